// Built without LibTorch (-DAURALIS_WITH_TORCH=OFF): the LibTorch engine is absent and says so.
#include <stdexcept>

#include "auralis/synthesis/engine.hpp"

namespace auralis::synthesis {

std::unique_ptr<Engine> make_torch_engine(const std::string& device) {
  throw std::runtime_error("torch engine (device \"" + device +
                           "\") unavailable: Auralis was built without LibTorch");
}

std::unique_ptr<Engine> make_torch_engine(const std::string& device, int /*threads*/) {
  return make_torch_engine(device);
}

bool torch_engine_available() {
  return false;
}

int torch_cuda_devices() {
  return 0;
}

}  // namespace auralis::synthesis
