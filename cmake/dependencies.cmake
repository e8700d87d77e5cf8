# Dependencies from Debian packages. Arrow/Parquet (pyarrow wheel) and DuckDB
# (npm packages) are found in cmake/arrow_duckdb.cmake.
find_package(Threads REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(Protobuf REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SNAPPY REQUIRED IMPORTED_TARGET snappy)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
find_package(RapidJSON REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)  # HTTP clients (notifiers, benchmarks)
# libcurl for the one request Arrow's S3 file system cannot send: a
# conditional put (If-None-Match), signed by libcurl's CURLOPT_AWS_SIGV4.
find_package(CURL 7.75 REQUIRED)
# The HTTP server: Boost.Beast/Asio (header-only), OpenSSL for TLS, libcrypt
# (libxcrypt) for bcrypt password hashes.
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL REQUIRED)
find_library(CRYPT_LIBRARY crypt REQUIRED)
# Time zones of Alertmanager's time intervals (absl::LoadTimeZone reads the
# system's zoneinfo, as Go's time.LoadLocation does).
find_package(absl REQUIRED)
# Unicode properties and normalization of the search model's tokenizer.
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)

include(cmake/arrow_duckdb.cmake)
