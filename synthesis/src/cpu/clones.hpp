// Function multiversioning for the hot kernels: one binary carries AVX-512, AVX2+FMA, SSE4.2
// (x86-64-v2: a vector floor) and baseline x86-64 builds of each, picked at load time by the CPU
// it runs on.
#pragma once

// Not under TSan: its runtime is not up yet when the loader runs the ifunc resolvers.
#if defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define AURALIS_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "arch=x86-64-v2", "default")))
#else
#define AURALIS_CLONES
#endif
