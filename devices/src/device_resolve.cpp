#include <stdexcept>
#include <string>

#include "auralis/config/log.hpp"
#include "auralis/devices/device_info.hpp"

namespace auralis::devices {

std::string describe(const DeviceInfo& info) {
  const std::string torch = info.torch_built ? "LibTorch module installed" : "no LibTorch module";
  if (!info.cuda_available || info.gpus.empty())
    return "no CUDA GPU, " + std::to_string(info.cpu_threads) + " CPU threads, " + torch;
  std::string s = std::to_string(info.gpus.size()) + " CUDA GPU(s):";
  for (const auto& g : info.gpus) {
    s += " cuda:" + std::to_string(g.index);
    if (!g.name.empty()) s += " " + g.name;
    if (g.total_memory) s += " (" + std::to_string(g.total_memory >> 20) + " MiB)";
  }
  return s;
}

namespace {

std::string resolve(const std::string& setting, const DeviceInfo& info) {
  if (setting == "cpu") return "cpu";
  const int gpus = info.cuda_available ? static_cast<int>(info.gpus.size()) : 0;
  if (setting == "auto") return gpus > 0 ? "cuda:0" : "cpu";
  int index = -1;
  if (setting == "cuda") {
    index = 0;
  } else if (setting.rfind("cuda:", 0) == 0 && setting.size() > 5 &&
             setting.find_first_not_of("0123456789", 5) == std::string::npos &&
             setting.size() < 9) {
    index = std::stoi(setting.substr(5));
  } else {
    throw std::runtime_error("engine.device: expected auto, cpu, cuda or cuda:N, got '" + setting +
                             "'");
  }
  if (!info.torch_built)
    throw std::runtime_error("engine.device = " + setting +
                             ": no LibTorch module is installed (no LibTorch in this build)");
  if (gpus == 0)
    throw std::runtime_error("engine.device = " + setting +
                             ": no CUDA GPU is usable here (the CUDA driver reports none); use "
                             "auto or cpu");
  if (index >= gpus)
    throw std::runtime_error("engine.device = " + setting + ": only " + std::to_string(gpus) +
                             " CUDA GPU(s)");
  return "cuda:" + std::to_string(index);
}

}  // namespace

std::string resolve_device(const std::string& setting, const DeviceInfo& info) {
  const std::string device = resolve(setting, info);
  log::get("devices")->info("engine.device = {} -> {} ({})", setting, device, describe(info));
  return device;
}

std::string resolve_device(const std::string& setting) {
  return resolve_device(setting, detect_devices());
}

}  // namespace auralis::devices
