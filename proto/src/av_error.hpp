// FFmpeg's negative error codes as exceptions, with FFmpeg's own message; FFmpeg's own log kept
// to its errors.
#pragma once

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

#include <stdexcept>
#include <string>

namespace auralis::proto {

inline int check_av(int err, const char* what) {
  if (err >= 0) return err;
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, text, sizeof text);
  throw std::runtime_error(std::string(what) + ": " + text);
}

// FFmpeg's informational lines (encoder statistics at close, ...) stay out of the daemon's
// output; its errors still reach stderr, and every failure is an exception anyway.
inline void quiet_ffmpeg_log() {
  av_log_set_level(AV_LOG_ERROR);
}

}  // namespace auralis::proto
