// What this machine can render on, without loading LibTorch: GPUs from the CUDA driver (opened
// at run time), and whether the LibTorch engine module is installed. Whether that LibTorch can
// use CUDA is asked of the module itself, and only where a GPU is present (engine_choice.cpp).
#include <thread>

#include "auralis/devices/device_info.hpp"
#include "auralis/synthesis/engine.hpp"
#include "cuda_driver_query.hpp"

namespace auralis::devices {

DeviceInfo detect_devices() {
  DeviceInfo info;
  info.torch_built = synthesis::torch_engine_available();
  info.gpus = query_cuda_driver_gpus();
  info.cuda_available = !info.gpus.empty();
  info.cpu_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return info;
}

}  // namespace auralis::devices
