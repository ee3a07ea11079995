// Function multiversioning for the hot kernels: one binary carries an AVX2+FMA build and a
// baseline x86-64 build of each, picked at load time by the CPU it runs on.
#pragma once

// Not under TSan: its runtime is not up yet when the loader runs the ifunc resolvers.
#if defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define AURALIS_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AURALIS_CLONES
#endif
