# Arrow C++ / Parquet from the pyarrow wheel in .venv, and DuckDB's C library
# from npm in .deps/duckdb (both installed by scripts/setup.sh). Defines the
# imported targets mytsdb::arrow, mytsdb::parquet, mytsdb::arrow_s3 and
# mytsdb::duckdb. Their headers are included only inside src/cold, src/sql
# and io's S3 file system.

set(MYTSDB_VENV_PYTHON ${CMAKE_SOURCE_DIR}/.venv/bin/python)
if(NOT EXISTS ${MYTSDB_VENV_PYTHON})
  message(FATAL_ERROR "${MYTSDB_VENV_PYTHON} not found: run scripts/setup.sh first (make does it)")
endif()
execute_process(
  COMMAND ${MYTSDB_VENV_PYTHON} -c
          "import pyarrow as pa; print(pa.get_include()); print(pa.get_library_dirs()[0]); print(pa.__version__)"
  OUTPUT_VARIABLE _pa_out RESULT_VARIABLE _pa_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _pa_rc EQUAL 0)
  message(FATAL_ERROR "pyarrow is not importable from .venv: run scripts/setup.sh")
endif()
string(REPLACE "\n" ";" _pa_lines "${_pa_out}")
list(GET _pa_lines 0 ARROW_INCLUDE_DIR)
list(GET _pa_lines 1 ARROW_LIB_DIR)
list(GET _pa_lines 2 ARROW_VERSION)
message(STATUS "Arrow ${ARROW_VERSION} from pyarrow: ${ARROW_LIB_DIR}")

foreach(_lib arrow parquet)
  if(NOT EXISTS ${ARROW_LIB_DIR}/lib${_lib}.so)
    message(FATAL_ERROR "${ARROW_LIB_DIR}/lib${_lib}.so missing: run scripts/setup.sh "
                        "(it calls pyarrow.create_library_symlinks())")
  endif()
  add_library(mytsdb::${_lib} SHARED IMPORTED GLOBAL)
  set_target_properties(mytsdb::${_lib} PROPERTIES
    IMPORTED_LOCATION ${ARROW_LIB_DIR}/lib${_lib}.so
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${ARROW_INCLUDE_DIR}
    INTERFACE_INCLUDE_DIRECTORIES ${ARROW_INCLUDE_DIR})
endforeach()
set_property(TARGET mytsdb::parquet PROPERTY INTERFACE_LINK_LIBRARIES mytsdb::arrow)
# Arrow's S3 file system (with the AWS SDK inside) is a library of its own.
if(NOT EXISTS ${ARROW_LIB_DIR}/libarrow_s3.so)
  message(FATAL_ERROR "${ARROW_LIB_DIR}/libarrow_s3.so missing: run scripts/setup.sh")
endif()
add_library(mytsdb::arrow_s3 SHARED IMPORTED GLOBAL)
set_target_properties(mytsdb::arrow_s3 PROPERTIES
  IMPORTED_LOCATION ${ARROW_LIB_DIR}/libarrow_s3.so
  INTERFACE_LINK_LIBRARIES mytsdb::arrow)

set(DUCKDB_DIR ${CMAKE_SOURCE_DIR}/.deps/duckdb)
if(NOT EXISTS ${DUCKDB_DIR}/lib/libduckdb.so OR NOT EXISTS ${DUCKDB_DIR}/include/duckdb.h)
  message(FATAL_ERROR "DuckDB not found in ${DUCKDB_DIR}: run scripts/setup.sh")
endif()
add_library(mytsdb::duckdb SHARED IMPORTED GLOBAL)
set_target_properties(mytsdb::duckdb PROPERTIES
  IMPORTED_LOCATION ${DUCKDB_DIR}/lib/libduckdb.so
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${DUCKDB_DIR}/include
  INTERFACE_INCLUDE_DIRECTORIES ${DUCKDB_DIR}/include)

# Binaries find these libraries without LD_LIBRARY_PATH.
list(APPEND CMAKE_BUILD_RPATH ${ARROW_LIB_DIR} ${DUCKDB_DIR}/lib)
