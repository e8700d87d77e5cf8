# Helpers that keep module CMakeLists short (in the spirit of Arrow's
# add_arrow_lib / add_arrow_test): one library and one test binary per module.

# mytsdb_library(<name> SOURCES a.cc b.cc DEPS other_lib ...)
# Creates static library mytsdb_<name>.
function(mytsdb_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(mytsdb_${name} STATIC ${ARG_SOURCES})
  target_include_directories(mytsdb_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src ${CMAKE_BINARY_DIR}/src)
  target_link_libraries(mytsdb_${name} PUBLIC ${ARG_DEPS})
endfunction()

# pyarrow's libparquet carries its own copy of OpenSSL and exports its
# symbols. An executable must find the system's libcrypto first, or
# libcrypto's own calls (X509_STORE_set_default_paths -> OSSL_STORE_*)
# resolve into libparquet's copy and crash: libcrypto goes first among the
# shared libraries a binary needs.
function(mytsdb_openssl_first target)
  target_link_libraries(${target} PRIVATE OpenSSL::SSL OpenSSL::Crypto)
endfunction()

# mytsdb_test(<name> SOURCES a_test.cc DEPS mytsdb_x ...)
# Creates test binary <name>_test registered with ctest.
function(mytsdb_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name}_test ${ARG_SOURCES})
  mytsdb_openssl_first(${name}_test)
  target_link_libraries(${name}_test PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main Threads::Threads)
  add_test(NAME ${name} COMMAND ${name}_test)
endfunction()

# mytsdb_benchmark(<name> SOURCES a_benchmark.cc DEPS ...)
# Creates <name>_benchmark; `make bench` runs all of them.
function(mytsdb_benchmark name)
  if(NOT MYTSDB_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name}_benchmark ${ARG_SOURCES})
  target_link_libraries(${name}_benchmark PRIVATE ${ARG_DEPS} benchmark::benchmark benchmark::benchmark_main)
  set_property(GLOBAL APPEND PROPERTY MYTSDB_BENCHMARK_TARGETS ${name}_benchmark)
endfunction()

# mytsdb_fuzzer(<name> SOURCES a_fuzz.cc DEPS ...)
# Creates <name>_fuzz, a libFuzzer binary; only with -DMYTSDB_FUZZ=ON under clang.
function(mytsdb_fuzzer name)
  if(NOT MYTSDB_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name}_fuzz ${ARG_SOURCES})
  target_compile_options(${name}_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name}_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name}_fuzz PRIVATE ${ARG_DEPS})
  set_property(GLOBAL APPEND PROPERTY MYTSDB_FUZZ_TARGETS ${name}_fuzz)
endfunction()
