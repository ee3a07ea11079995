// Where sessions are kept across restarts. The session manager writes a change here before it
// applies it, and applies it only when the write succeeded: a change the journal could not
// keep is refused (store_unavailable) and nothing else changes. deploy/ implements it on SQLite.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "auralis/music/params.hpp"
#include "sessions/session_error.hpp"

namespace auralis::server {

struct SessionRecord {
  std::string id;
  std::string name;
  music::ValidParams params;
  bool pinned = false;
  std::uint64_t phrase = 0;  // the phrase playing when written (a restart resumes there)
  std::chrono::system_clock::time_point created_at;
};

struct JournalHealth {
  bool writable = true;  // the last write succeeded
  std::uint64_t write_failures = 0;
  std::string last_error;  // of the last failed write
};

class SessionJournal {
 public:
  virtual ~SessionJournal() = default;
  // Inserts or replaces the record; returns once it is durable.
  virtual SessionResult<void> save(const SessionRecord& record) = 0;
  // Forgets the record (no error when there was none).
  virtual SessionResult<void> erase(const std::string& id) = 0;
  virtual JournalHealth health() const = 0;
};

}  // namespace auralis::server
