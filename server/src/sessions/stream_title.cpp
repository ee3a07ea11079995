#include "sessions/stream_title.hpp"

namespace auralis::server {

bool StreamTitle::apply(const devices::PlaybackEvent& event) {
  const std::string before = text();
  if (event.kind == devices::PlaybackEvent::Kind::phrase) {
    key_mode_ = std::string(music::pitch_class_name(event.key_pc)) + " " +
                std::string(music::mode_name(event.mode));
    if (!event.chords.empty()) chord_ = event.chords.front().first;
  } else {
    chord_ = event.chord;
  }
  return text() != before;
}

bool StreamTitle::set_name(const std::string& name) {
  if (name == name_) return false;
  name_ = name;
  return true;
}

std::string StreamTitle::text() const {
  if (key_mode_.empty()) return name_;
  return name_ + " \xE2\x80\x94 " + key_mode_ + (chord_.empty() ? "" : " \xC2\xB7 " + chord_);
}

}  // namespace auralis::server
