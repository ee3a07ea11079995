// Compute devices as the CUDA driver reports them (names, memory), whether the LibTorch engine
// module is installed, and the mapping of the `engine.device` setting to a device.
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
  bool torch_built = false;     // the LibTorch engine module is installed (not loaded to tell)
  bool cuda_available = false;  // the CUDA driver reports a GPU
  std::vector<GpuInfo> gpus;
  int cpu_threads = 0;  // hardware threads
};

DeviceInfo detect_devices();
std::string describe(const DeviceInfo& info);

// "auto" -> "cuda:0" when a GPU is usable, else "cpu"; "cpu"; "cuda" -> "cuda:0"; "cuda:N".
// Throws std::runtime_error with a clear message for a device that is not usable here.
std::string resolve_device(const std::string& setting);
// The same against a given inventory (tests, or a caller that already ran detect_devices()).
std::string resolve_device(const std::string& setting, const DeviceInfo& info);

}  // namespace auralis::devices
