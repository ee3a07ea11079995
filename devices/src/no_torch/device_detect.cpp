// Built without LibTorch: no CUDA engine; the plain C++ CPU engine renders.
#include "auralis/devices/device_info.hpp"

namespace auralis::devices {

DeviceInfo detect_devices() { return {}; }

}  // namespace auralis::devices
