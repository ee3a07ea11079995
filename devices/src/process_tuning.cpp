#include "auralis/devices/process_tuning.hpp"

#include <malloc.h>

#include <cstdlib>

namespace auralis::devices {

void tune_process_for_live_rendering() {
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
}

}  // namespace auralis::devices
