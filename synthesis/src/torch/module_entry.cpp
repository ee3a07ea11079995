// The LibTorch engine as a module the daemon loads at run time (libauralis_torch.so): a daemon
// that renders on the CPU never maps LibTorch and its ~300 libraries. The entry points are C
// functions; an engine crosses the boundary as a pointer and is deleted through its virtual
// destructor, which lives here (the module is never unloaded).
#include <torch/cuda.h>

#include <cstdio>
#include <exception>

#include "auralis/synthesis/engine.hpp"

#define AURALIS_MODULE_EXPORT extern "C" __attribute__((visibility("default")))

AURALIS_MODULE_EXPORT auralis::synthesis::Engine* auralis_torch_make_engine(
    const char* device, int threads, char* error, std::size_t error_size) {
  try {
    return auralis::synthesis::make_torch_engine(device, threads).release();
  } catch (const std::exception& e) {
    std::snprintf(error, error_size, "%s", e.what());
    return nullptr;
  }
}

// CUDA devices this LibTorch can use (0 for a CPU-only build, whatever the GPUs present).
AURALIS_MODULE_EXPORT int auralis_torch_cuda_devices() {
  return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
}
