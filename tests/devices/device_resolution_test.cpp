// The engine.device setting maps to a device the engines can use, or fails with a clear reason.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "auralis/devices/device_info.hpp"
#include "auralis/synthesis/engine.hpp"

namespace auralis::devices {
namespace {

DeviceInfo with_gpus(int count) {
  DeviceInfo info;
  info.torch_built = true;
  info.cuda_available = count > 0;
  for (int i = 0; i < count; ++i) info.gpus.push_back({i, "Test GPU", 16ull << 30});
  return info;
}

std::string error_of(const std::string& setting, const DeviceInfo& info) {
  try {
    resolve_device(setting, info);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

TEST(DeviceDetection, InventoryIsConsistent) {
  const DeviceInfo info = detect_devices();
  EXPECT_EQ(info.torch_built, synthesis::torch_engine_available());
  if (!info.cuda_available) {
    EXPECT_TRUE(info.gpus.empty());
  }
  for (std::size_t i = 0; i < info.gpus.size(); ++i) EXPECT_EQ(info.gpus[i].index, int(i));
  EXPECT_FALSE(describe(info).empty());
}

TEST(DeviceResolution, CpuIsAlwaysUsable) {
  EXPECT_EQ(resolve_device("cpu"), "cpu");
  EXPECT_EQ(resolve_device("cpu", with_gpus(2)), "cpu");
}

TEST(DeviceResolution, AutoPicksTheFirstGpuOnlyWhenOneIsUsable) {
  const DeviceInfo here = detect_devices();
  EXPECT_EQ(resolve_device("auto"), here.cuda_available && !here.gpus.empty() ? "cuda:0" : "cpu");
  EXPECT_EQ(resolve_device("auto", with_gpus(0)), "cpu");
  EXPECT_EQ(resolve_device("auto", with_gpus(2)), "cuda:0");
  EXPECT_EQ(resolve_device("auto", DeviceInfo{}), "cpu");  // built without LibTorch
}

TEST(DeviceResolution, CudaZeroIsRejectedClearlyWithoutAGpu) {
  const DeviceInfo here = detect_devices();
  if (here.cuda_available) GTEST_SKIP() << "this machine has a usable GPU";
  EXPECT_THROW(resolve_device("cuda:0"), std::runtime_error);
  const std::string why = error_of("cuda:0", here);
  EXPECT_NE(why.find("cuda:0"), std::string::npos) << why;
  EXPECT_NE(why.find(here.torch_built ? "no CUDA GPU" : "no LibTorch"), std::string::npos) << why;
  EXPECT_THROW(resolve_device("cuda"), std::runtime_error);
}

TEST(DeviceResolution, CudaIndicesAreCheckedAgainstTheInventory) {
  EXPECT_EQ(resolve_device("cuda", with_gpus(1)), "cuda:0");
  EXPECT_EQ(resolve_device("cuda:1", with_gpus(2)), "cuda:1");
  const std::string why = error_of("cuda:2", with_gpus(2));
  EXPECT_NE(why.find("only 2"), std::string::npos) << why;
  EXPECT_NE(error_of("cuda:0", DeviceInfo{}).find("no LibTorch"), std::string::npos);
}

TEST(DeviceResolution, MalformedSettingsAreRejected) {
  for (const char* bad : {"", "gpu", "cuda:", "cuda:-1", "cuda:x", "CPU", "cuda:0 "}) {
    EXPECT_NE(error_of(bad, with_gpus(1)).find("expected auto, cpu, cuda or cuda:N"),
              std::string::npos)
        << "'" << bad << "'";
  }
}

TEST(DeviceResolution, TheTorchEngineAcceptsWhatResolutionReturns) {
  if (!synthesis::torch_engine_available()) GTEST_SKIP() << "built without LibTorch";
  const std::string device = resolve_device("auto");
  EXPECT_EQ(synthesis::make_torch_engine(device)->device(), device);
}

}  // namespace
}  // namespace auralis::devices
