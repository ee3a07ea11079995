// `auralis render`: the same music path a listener hears (composer, engine, effects, and for
// .ogg the same Opus encoder and Ogg muxer), written to a file instead of a socket.
#pragma once

#include <string>

#include "auralis/config/config.hpp"

namespace auralis::server {

struct RenderSummary {
  double audio_seconds = 0;
  double wall_seconds = 0;
  int phrases = 0;
  std::string engine;
};

// Writes `minutes` of audio to `path` (.wav: 32-bit float stereo; .ogg/.opus: Ogg Opus).
RenderSummary render_offline(const config::Config& config, double minutes,
                             const std::string& engine, const std::string& path);

}  // namespace auralis::server
