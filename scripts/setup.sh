#!/usr/bin/env bash
# Installs everything MyTSDB needs to build, run and test, and nothing twice:
#   1. Debian packages (apt-get), only those missing;
#   2. a Python virtual environment in .venv with requirements-dev.txt
#      (pyarrow ships the Arrow C++ libraries and headers we link against);
#   3. DuckDB 1.4.4's shared library and C header from npm into .deps/duckdb.
# Idempotent and non-interactive; a second run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and test dependencies, and the peers the benchmarks run against.
APT_PACKAGES=(
  clang lld ccache ninja-build cmake pkg-config make
  libprotobuf-dev protobuf-compiler libsnappy-dev libre2-dev libyaml-cpp-dev
  rapidjson-dev libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  libcli11-dev libspdlog-dev libfmt-dev libjemalloc-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev libclang-rt-14-dev
  npm
  # Peers for the side-by-side benchmarks and interoperability tests.
  prometheus victoria-metrics
)
DUCKDB_VERSION=1.4.4
DUCKDB_BINDINGS_VERSION=1.4.4-r.4

export DEBIAN_FRONTEND=noninteractive
step() { printf 'setup: %s\n' "$*"; }
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo -n "$@"; fi; }

# ---- 1. Debian packages ------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  # Tools already on PATH (e.g. a non-Debian npm or cmake) count as present.
  case "$p" in
    npm|cmake|make) command -v "$p" >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  step "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  step "Debian packages present"
fi

# ---- 2. Python virtual environment --------------------------------------------
PY=${PYTHON:-python3}
stamp_dir=.deps/stamps
mkdir -p "$stamp_dir"
req_hash=$(sha256sum requirements-dev.txt | cut -c1-16)
if [[ ! -x .venv/bin/python || ! -f "$stamp_dir/venv-$req_hash" ]]; then
  step "creating .venv and installing requirements-dev.txt"
  [[ -x .venv/bin/python ]] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
  .venv/bin/python -c "import pyarrow; pyarrow.create_library_symlinks()"
  rm -f "$stamp_dir"/venv-*
  touch "$stamp_dir/venv-$req_hash"
else
  step ".venv up to date"
fi

# ---- 3. DuckDB C library and header from npm ------------------------------------
duckdb_dir=.deps/duckdb
if [[ ! -f "$duckdb_dir/lib/libduckdb.so" || ! -f "$duckdb_dir/include/duckdb.h" ||
      ! -f "$stamp_dir/duckdb-$DUCKDB_BINDINGS_VERSION" ]]; then
  step "fetching DuckDB $DUCKDB_VERSION from npm"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "@duckdb/node-bindings-linux-x64@$DUCKDB_BINDINGS_VERSION" \
       "duckdb@$DUCKDB_VERSION" >/dev/null)
  rm -rf "$duckdb_dir"
  mkdir -p "$duckdb_dir/lib" "$duckdb_dir/include"
  tar -xzf "$tmp"/duckdb-node-bindings-linux-x64-*.tgz -C "$tmp" package/libduckdb.so
  mv "$tmp/package/libduckdb.so" "$duckdb_dir/lib/"
  tar -xzf "$tmp/duckdb-$DUCKDB_VERSION.tgz" -C "$tmp" package/src/duckdb/src/include/duckdb.h
  mv "$tmp/package/src/duckdb/src/include/duckdb.h" "$duckdb_dir/include/"
  rm -f "$stamp_dir"/duckdb-*
  touch "$stamp_dir/duckdb-$DUCKDB_BINDINGS_VERSION"
else
  step "DuckDB $DUCKDB_VERSION present"
fi
