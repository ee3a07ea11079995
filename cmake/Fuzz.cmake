# libFuzzer build: -DAURALIS_FUZZ=ON with clang (CC=clang CXX=clang++), in its own build dir
# and with -DAURALIS_WITH_TORCH=OFF. Every Auralis library is built with coverage
# instrumentation, ASan and UBSan; the targets in fuzz/ add the libFuzzer driver.
# scripts/fuzz configures, builds and runs them.
if(AURALIS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "AURALIS_FUZZ needs clang: configure with CC=clang CXX=clang++")
  endif()
  if(AURALIS_SANITIZE OR AURALIS_TSAN)
    message(FATAL_ERROR "AURALIS_FUZZ brings its own sanitizers: leave AURALIS_SANITIZE/AURALIS_TSAN off")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
