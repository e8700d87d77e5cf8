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

# C++ code of `proto` (a .proto file in the calling directory), generated into
# the build tree beside it (src/<part>/<name>.pb.{h,cc}); the .pb.cc file
# goes into `out_var` for the part's library.
function(mytsdb_protobuf proto out_var)
  get_filename_component(_name ${proto} NAME_WE)
  file(RELATIVE_PATH _rel ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  set(_pb_dir ${CMAKE_BINARY_DIR}/${_rel})
  add_custom_command(
    OUTPUT ${_pb_dir}/${_name}.pb.cc ${_pb_dir}/${_name}.pb.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_pb_dir}
    COMMAND protobuf::protoc --proto_path=${CMAKE_CURRENT_SOURCE_DIR} --cpp_out=${_pb_dir}
            ${CMAKE_CURRENT_SOURCE_DIR}/${proto}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${proto} protobuf::protoc
    COMMENT "protoc ${proto}")
  set_source_files_properties(${_pb_dir}/${_name}.pb.cc PROPERTIES COMPILE_OPTIONS "-w")
  set(${out_var} ${_pb_dir}/${_name}.pb.cc PARENT_SCOPE)
endfunction()
