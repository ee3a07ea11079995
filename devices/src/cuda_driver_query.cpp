#include "cuda_driver_query.hpp"

#include <dlfcn.h>

#include <cstddef>

namespace auralis::devices {
namespace {

// The few driver entry points used, declared by hand (CUdevice is an int, CUresult an enum
// whose success value is 0); stable C ABI since CUDA 3.2.
using CuInit = int (*)(unsigned int);
using CuDeviceGetCount = int (*)(int*);
using CuDeviceGet = int (*)(int*, int);
using CuDeviceGetName = int (*)(char*, int, int);
using CuDeviceTotalMem = int (*)(std::size_t*, int);

template <typename F>
F symbol(void* lib, const char* name) {
  return reinterpret_cast<F>(dlsym(lib, name));
}

}  // namespace

std::vector<GpuInfo> query_cuda_driver_gpus() {
  std::vector<GpuInfo> gpus;
  void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return gpus;
  const auto init = symbol<CuInit>(lib, "cuInit");
  const auto count = symbol<CuDeviceGetCount>(lib, "cuDeviceGetCount");
  const auto get = symbol<CuDeviceGet>(lib, "cuDeviceGet");
  const auto name = symbol<CuDeviceGetName>(lib, "cuDeviceGetName");
  const auto memory = symbol<CuDeviceTotalMem>(lib, "cuDeviceTotalMem_v2");
  int n = 0;
  if (init && count && get && init(0) == 0 && count(&n) == 0) {
    for (int i = 0; i < n; ++i) {
      GpuInfo gpu;
      gpu.index = i;
      int device = 0;
      if (get(&device, i) != 0) continue;
      char text[256] = {};
      if (name && name(text, sizeof text - 1, device) == 0) gpu.name = text;
      std::size_t bytes = 0;
      if (memory && memory(&bytes, device) == 0) gpu.total_memory = bytes;
      gpus.push_back(gpu);
    }
  }
  // The driver stays loaded: LibTorch (CUDA builds) uses the same library, and unloading a
  // driver that was initialised is not supported.
  return gpus;
}

}  // namespace auralis::devices
