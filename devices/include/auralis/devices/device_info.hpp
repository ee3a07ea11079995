// Compute devices seen through LibTorch: whether CUDA is usable, how many GPUs, their names and
// memory; and the mapping of the `engine.device` setting to a device LibTorch can use.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace auralis::devices {

struct GpuInfo {
  int index = 0;
  std::string name;                // empty when this LibTorch build cannot tell
  std::uint64_t total_memory = 0;  // bytes; 0 when unknown
};

struct DeviceInfo {
  bool torch_built = false;  // this binary links LibTorch
  bool cuda_available = false;
  std::vector<GpuInfo> gpus;
  int cpu_threads = 0;  // LibTorch intra-op threads (0 without LibTorch)
};

DeviceInfo detect_devices();
std::string describe(const DeviceInfo& info);

// "auto" -> "cuda:0" when a GPU is usable, else "cpu"; "cpu"; "cuda" -> "cuda:0"; "cuda:N".
// Throws std::runtime_error with a clear message for a device that is not usable here.
std::string resolve_device(const std::string& setting);
// The same against a given inventory (tests, or a caller that already ran detect_devices()).
std::string resolve_device(const std::string& setting, const DeviceInfo& info);

}  // namespace auralis::devices
