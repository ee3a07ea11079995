# Sanitizer builds: -DAURALIS_SANITIZE=ON (ASan+UBSan) or -DAURALIS_TSAN=ON.
if(AURALIS_SANITIZE AND AURALIS_TSAN)
  message(FATAL_ERROR "AURALIS_SANITIZE and AURALIS_TSAN cannot be combined")
endif()
if(AURALIS_SANITIZE)
  # Every UBSan check stops the process; vptr's only with UBSAN_OPTIONS halt_on_error=1, which
  # scripts/sanitize sets. That check reads the object's memory through a pipe, so in a daemon
  # with every descriptor in use (tests/hostile/test_descriptors.py) it reports a valid object
  # as "invalid vptr"; that test lets it carry on and fails on any other report.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
                      -fsanitize-recover=vptr)
  add_link_options(-fsanitize=address,undefined)
endif()
if(AURALIS_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
