// CUDA detection through LibTorch (the only devices/ file that includes Torch): LibTorch says
// whether it can use CUDA and how many devices; names and memory come from the CUDA driver
// (cuda_driver_query), so this compiles against CPU-only LibTorch packages without CUDA headers.
#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include "auralis/devices/device_info.hpp"
#include "cuda_driver_query.hpp"

namespace auralis::devices {

DeviceInfo detect_devices() {
  DeviceInfo info;
  info.torch_built = true;
  info.cpu_threads = at::get_num_threads();
  info.cuda_available = torch::cuda::is_available();
  if (!info.cuda_available) return info;
  const int count = static_cast<int>(torch::cuda::device_count());
  const std::vector<GpuInfo> named = query_cuda_driver_gpus();
  for (int i = 0; i < count; ++i) {
    GpuInfo gpu;
    gpu.index = i;
    if (static_cast<std::size_t>(i) < named.size()) {
      gpu.name = named[static_cast<std::size_t>(i)].name;
      gpu.total_memory = named[static_cast<std::size_t>(i)].total_memory;
    }
    info.gpus.push_back(gpu);
  }
  return info;
}

}  // namespace auralis::devices
