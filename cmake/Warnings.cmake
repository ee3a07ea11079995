# Warnings for every Auralis target (third-party headers come in as SYSTEM and stay quiet).
function(auralis_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wcast-align -Woverloaded-virtual)
  target_compile_options(${target} PRIVATE -Wno-missing-field-initializers)
endfunction()
