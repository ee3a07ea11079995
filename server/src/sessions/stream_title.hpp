// What a player shows as the stream's title (ICY StreamTitle): the session's name, then what
// plays: key and mode, and the chord. It follows the playback events (phrase starts, chord
// changes), so the title changes where the music does.
#pragma once

#include <string>

#include "auralis/devices/phrase_scheduler.hpp"

namespace auralis::server {

class StreamTitle {
 public:
  explicit StreamTitle(std::string session_name) : name_(std::move(session_name)) {}

  // True when the title changed.
  bool apply(const devices::PlaybackEvent& event);
  bool set_name(const std::string& name);
  // "night — D dorian · Dm9" (just the name before the music starts).
  std::string text() const;

 private:
  std::string name_;
  std::string key_mode_;
  std::string chord_;
};

}  // namespace auralis::server
