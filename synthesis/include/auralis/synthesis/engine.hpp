// The synthesis engine interface: renders a job's voices into dry per-layer stems.
// Engines are interchangeable: the same job gives the same stems (within the parity bound).
#pragma once

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
};

std::unique_ptr<Engine> make_cpu_engine();

// LibTorch engine on `device` ("cpu", "cuda", "cuda:N"). Throws std::runtime_error when this
// build has no LibTorch or the device is unusable.
std::unique_ptr<Engine> make_torch_engine(const std::string& device);
// The same with an explicit intra-op thread count for LibTorch (at::set_num_threads; the
// setting is process-wide in LibTorch, so the last engine created decides).
std::unique_ptr<Engine> make_torch_engine(const std::string& device, int threads);
bool torch_engine_available();

}  // namespace auralis::synthesis
