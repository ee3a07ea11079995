// One session's music path, phrase by phrase: composer -> timeline -> engine -> mixer -> PCM.
// Sequential by nature (the mixer's state flows from phrase to phrase).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "auralis/music/composer.hpp"
#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/mixer.hpp"
#include "auralis/synthesis/timeline.hpp"

namespace auralis::devices {

struct RenderedPhrase {
  music::Phrase score;
  std::int64_t start_frame = 0;  // on the session timeline
  std::vector<float> pcm;        // interleaved stereo, finished (effects and master applied)
  std::string engine;            // "cpu", "torch" or "silence"
  double render_seconds = 0;     // wall time in the engine
  double mix_seconds = 0;        // wall time in effects and master

  std::int64_t frames() const { return static_cast<std::int64_t>(pcm.size() / 2); }
};

class SessionRenderer {
 public:
  explicit SessionRenderer(const music::SessionParams& params);

  // Composes the next phrase and renders it with `engine` into finished PCM (window by
  // window through `scratch`, see synthesis::render_and_mix).
  RenderedPhrase render_next(synthesis::Engine& engine, synthesis::Stems& scratch);

  void set_params(const music::SessionParams& params) { composer_.set_params(params); }
  const music::SessionParams& params() const { return composer_.params(); }
  std::uint64_t next_index() const { return composer_.next_index(); }

 private:
  music::Composer composer_;
  synthesis::Timeline timeline_;
  synthesis::Mixer mixer_;
};

}  // namespace auralis::devices
