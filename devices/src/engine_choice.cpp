#include "auralis/devices/engine_choice.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "auralis/config/log.hpp"
#include "auralis/devices/device_info.hpp"
#include "auralis/music/composer.hpp"
#include "auralis/synthesis/timeline.hpp"

namespace auralis::devices {
namespace {

int cores() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

EngineSpec cpu_spec(const EngineChoiceSettings& s, const std::string& reason) {
  return {"cpu", "cpu", s.cpu_workers > 0 ? s.cpu_workers : cores(), 1, reason};
}

EngineSpec torch_spec(const std::string& device, const std::string& reason) {
  // One worker per device; on the CPU LibTorch's intra-op threads use the cores.
  return {"torch", device, 1, 8, reason};
}

}  // namespace

double measure_real_time_factor(synthesis::Engine& engine) {
  music::SessionParams params;
  params.energy = 0.6;
  params.tempo_bpm = 70;
  music::Composer composer(params);
  synthesis::Timeline timeline;
  synthesis::RenderJob job = timeline.place(composer.next());
  synthesis::Stems stems;
  engine.render(job, stems);  // warm-up: buffers, lazy initialisation
  // The best of three: on a shared machine noise only ever slows a run down.
  double best = 1e300;
  for (int run = 0; run < 3; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    engine.render(job, stems);
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return static_cast<double>(job.frames) / synthesis::kSampleRate / std::max(best, 1e-9);
}

std::vector<EngineSpec> choose_engine_chain(const EngineChoiceSettings& s) {
  auto log = log::get("devices");
  const DeviceInfo info = detect_devices();
  log->info("devices: {}", describe(info));

  if (s.primary == "cpu") return {cpu_spec(s, "engine.primary = cpu")};

  if (s.primary == "torch") {
    if (!synthesis::torch_engine_available())
      throw std::runtime_error(
          "engine.primary = torch, but the LibTorch engine module (libauralis_torch.so) is not "
          "installed");
    const std::string device = resolve_device(s.device);
    return {torch_spec(device, "engine.primary = torch"), cpu_spec(s, "fallback")};
  }

  // auto: LibTorch leads only where it can win, on a CUDA GPU. Without one LibTorch is not
  // loaded at all (timing it here would map its ~300 libraries for nothing: on these CPUs the
  // C++ engine renders several times faster).
  if (!info.cuda_available) return {cpu_spec(s, "no CUDA GPU: LibTorch not loaded")};
  if (!info.torch_built) return {cpu_spec(s, "a CUDA GPU, but no LibTorch module installed")};
  const int torch_gpus = synthesis::torch_cuda_devices();
  if (torch_gpus == 0) {
    log->warn(
        "a CUDA GPU is present but this LibTorch cannot use it (a CPU-only build?): "
        "rendering on the C++ CPU engine");
    return {cpu_spec(s, "LibTorch without CUDA")};
  }
  return {torch_spec(resolve_device(s.device), "CUDA GPU present"), cpu_spec(s, "fallback")};
}

std::unique_ptr<synthesis::Engine> make_engine(const EngineSpec& spec) {
  if (spec.engine == "torch") return synthesis::make_torch_engine(spec.device);
  return synthesis::make_cpu_engine();
}

}  // namespace auralis::devices
