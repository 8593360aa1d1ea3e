# fuzz.cmake — the FUZZ=ON build (included by the top-level CMakeLists.txt instead of
# the services): every object instrumented for libFuzzer's coverage, with ASan and
# UBSan, and only what the targets link (the runtime, the domain library, search_logic).
# The gcc builds (normal, SANITIZE=ON) never read this file.
if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "FUZZ=ON needs clang (Debian: clang, libclang-rt-14-dev): "
                      "cmake -S . -B build-fuzz -DFUZZ=ON -DCMAKE_C_COMPILER=clang")
endif()
if(SANITIZE)
  message(FATAL_ERROR "FUZZ=ON already builds with ASan and UBSan; leave SANITIZE off")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)

add_subdirectory(protos)
add_subdirectory(shared)
add_subdirectory(search-svc EXCLUDE_FROM_ALL) # for search_logic (page tokens, queries)
add_subdirectory(tests/fuzz)
