// The synthesis engine interface: renders a job's voices into dry per-layer stems.
// Engines are interchangeable: the same job gives the same stems (within the parity bound).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "auralis/synthesis/render_job.hpp"
#include "auralis/synthesis/stems.hpp"

namespace auralis::synthesis {

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;  // "cpu", "torch"
  virtual std::string device() const = 0;     // "cpu", "cuda:0"

  // Renders job.voices over [job.start_frame, job.start_frame + job.frames) into `out`
  // (resized and overwritten). Throws on an engine failure.
  virtual void render(const RenderJob& job, Stems& out) = 0;

  // Renders several jobs (e.g. of several sessions) in one pass where the engine can batch.
  virtual void render_batch(std::span<const RenderJob* const> jobs, std::span<Stems* const> outs);

  // Renders the job as consecutive windows into `scratch` (resized to hold one window) and
  // hands each to `consume(offset, frames, scratch)`, offset counted from job.start_frame,
  // before rendering the next; scratch's frames [0, frames) hold the window. The CPU engine
  // gives windows of its 2,048-frame block, so a consumer that mixes each at once reads stems
  // still in cache (see render_and_mix); the default renders the job as one window.
  using WindowConsumer =
      std::function<void(std::int64_t offset, std::int64_t frames, const Stems& window)>;
  virtual void render_windows(const RenderJob& job, Stems& scratch, const WindowConsumer& consume);
};

std::unique_ptr<Engine> make_cpu_engine();

// LibTorch engine on `device` ("cpu", "cuda", "cuda:N"), from the LibTorch module, which the
// first call loads (libauralis_torch.so; a process that never asks never maps LibTorch).
// Throws std::runtime_error when the module is missing or the device is unusable.
std::unique_ptr<Engine> make_torch_engine(const std::string& device);
// The same with an explicit intra-op thread count for LibTorch (at::set_num_threads; the
// setting is process-wide in LibTorch, so the last engine created decides).
std::unique_ptr<Engine> make_torch_engine(const std::string& device, int threads);
// Whether the LibTorch module is there to load (it is not loaded to tell).
bool torch_engine_available();
// CUDA devices LibTorch can use: loads the module (0 for a CPU-only LibTorch). Throws like
// make_torch_engine when the module is missing.
int torch_cuda_devices();

}  // namespace auralis::synthesis
