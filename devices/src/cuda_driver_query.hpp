// GPU names and memory straight from the CUDA driver (libcuda.so.1, opened at run time): works
// whether or not LibTorch was built with CUDA, needs no CUDA headers and no link-time CUDA.
#pragma once

#include <vector>

#include "auralis/devices/device_info.hpp"

namespace auralis::devices {

// Every GPU the driver reports, in CUDA ordinal order (CUDA_VISIBLE_DEVICES applies); empty when
// there is no driver or it fails to initialise.
std::vector<GpuInfo> query_cuda_driver_gpus();

}  // namespace auralis::devices
