// Layer buses, effects and master after either engine: stems in, finished stereo out.
// One continuous, stateful chain per session; copyable so a scheduler can snapshot it at a
// phrase boundary and re-run a phrase after a parameter change.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "auralis/synthesis/render_job.hpp"
#include "auralis/synthesis/stems.hpp"

namespace auralis::synthesis {

class Mixer {
 public:
  Mixer();
  Mixer(const Mixer&);
  Mixer& operator=(const Mixer&);
  Mixer(Mixer&&) noexcept;
  Mixer& operator=(Mixer&&) noexcept;
  ~Mixer();

  // Processes the window `job` described (stems rendered for it) into interleaved stereo
  // float `out` of job.frames * 2 samples. Windows must follow each other on the timeline.
  void process(const RenderJob& job, const Stems& stems, std::span<float> out);

  // Processes `frames` of silent input (a phrase that failed to render): tails ring out.
  void process_silence(const MixControls& controls, std::int64_t frames, std::span<float> out);

  // The master gain the slow loudness control stands at, dB (metering, the report's figures).
  double master_gain_db() const;
  // Holds the master gain at `db` instead of the loudness control's (a solo render of some
  // layers measured at the gain the full mix had): call before each window.
  void hold_master_gain_db(double db);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace auralis::synthesis
