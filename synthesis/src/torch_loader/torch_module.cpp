// Loads the LibTorch engine module (src/torch/module_entry.cpp) the first time a LibTorch
// engine is asked for. Where it looks, in order: $AURALIS_TORCH_MODULE; libauralis_torch.so
// beside the executable; ../lib/auralis/ from the executable (an installed tree); the build
// tree that made this binary (tests and benches).
#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include "auralis/synthesis/engine.hpp"

namespace fs = std::filesystem;

namespace auralis::synthesis {
namespace {

constexpr const char* kModuleName = "libauralis_torch.so";

using MakeEngine = Engine* (*)(const char*, int, char*, std::size_t);
using CudaDevices = int (*)();

struct Module {
  MakeEngine make = nullptr;
  CudaDevices cuda_devices = nullptr;
};

fs::path find_module() {
  if (const char* explicit_path = std::getenv("AURALIS_TORCH_MODULE"))
    return fs::exists(explicit_path) ? fs::path(explicit_path) : fs::path();
  std::error_code ec;
  const fs::path exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  for (const fs::path& candidate :
       {exe_dir / kModuleName, exe_dir / ".." / "lib" / "auralis" / kModuleName,
        fs::path(AURALIS_TORCH_MODULE_BUILD_PATH)})
    if (!ec && fs::exists(candidate, ec)) return fs::weakly_canonical(candidate, ec);
  return {};
}

const Module& module() {
  static std::once_flag once;
  static Module loaded;
  static std::string failure;
  std::call_once(once, [] {
    const fs::path path = find_module();
    if (path.empty()) {
      failure = std::string("the LibTorch engine module (") + kModuleName +
                ") is not installed beside the executable, nor in ../lib/auralis, nor at "
                "$AURALIS_TORCH_MODULE";
      return;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      failure = "cannot load " + path.string() + ": " + dlerror();
      return;
    }
    loaded.make = reinterpret_cast<MakeEngine>(dlsym(handle, "auralis_torch_make_engine"));
    loaded.cuda_devices =
        reinterpret_cast<CudaDevices>(dlsym(handle, "auralis_torch_cuda_devices"));
    if (!loaded.make || !loaded.cuda_devices)
      failure = path.string() + " is not an Auralis LibTorch module";
  });
  if (!failure.empty()) throw std::runtime_error(failure);
  return loaded;
}

}  // namespace

std::unique_ptr<Engine> make_torch_engine(const std::string& device, int threads) {
  char error[512] = {};
  Engine* engine = module().make(device.c_str(), threads, error, sizeof error);
  if (!engine) throw std::runtime_error(error);
  return std::unique_ptr<Engine>(engine);
}

std::unique_ptr<Engine> make_torch_engine(const std::string& device) {
  return make_torch_engine(device, 1);
}

bool torch_engine_available() {
  return !find_module().empty();
}

int torch_cuda_devices() {
  return module().cuda_devices();
}

}  // namespace auralis::synthesis
