// Sessions created through the API, kept across restarts in `<state dir>/auralis.db` (SQLite,
// WAL, synchronous=FULL). Every write is one transaction, so a crash never leaves half a record;
// a database this build cannot use (corrupt, foreign, a newer schema) is logged at ERROR, moved
// aside as `auralis.db.corrupt-<UTC timestamp>` and replaced by a fresh one, never silently
// dropped. Any other failure to open (permissions, descriptors, I/O) leaves the files as they
// are and fails: a passing problem must not cost the saved sessions.
// Thread-safe; every call does blocking disk I/O (a commit is an fsync): keep it off the pacer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace auralis::server {

// One persisted session. Free of server types: the REST layer converts to and from its own.
struct StoredSession {
  std::string id;                  // the stream's id: /stream/<id>.ogg
  std::string name;                // display name (may be empty)
  nlohmann::json params;           // the session parameters as the API accepts them
  std::uint64_t seed = 0;          // composer seed (all 64 bits kept)
  std::int64_t phrase_index = 0;   // index of the phrase playing when last written
  std::int64_t created_at_ms = 0;  // Unix time in ms

  bool operator==(const StoredSession&) const = default;
};

class StoreError : public std::runtime_error {
 public:
  enum class Kind { failed, corrupt };
  explicit StoreError(const std::string& what, Kind kind = Kind::failed)
      : std::runtime_error(what), kind_(kind) {}
  // The file's contents are unusable (as opposed to the file being unreachable just now).
  bool corrupt() const { return kind_ == Kind::corrupt; }

 private:
  Kind kind_;
};

class SessionStore {
 public:
  static constexpr int kSchemaVersion = 1;
  static constexpr const char* kFileName = "auralis.db";

  // Opens `<dir>/auralis.db`, creating the directory and the schema when missing. A corrupt,
  // foreign or newer-schema database is moved aside (see moved_aside()) and a fresh one
  // created. Throws StoreError, touching no file, for every other failure (directory not
  // writable, out of descriptors, I/O error).
  static std::unique_ptr<SessionStore> open(const std::filesystem::path& dir);
  ~SessionStore();
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  // Inserts or replaces the record with this id. Throws StoreError; nothing is written then.
  void upsert(const StoredSession& session);
  // False when no record had this id.
  bool remove(const std::string& id);
  // Cheap (one prepared UPDATE); false when no record had this id.
  bool update_phrase_index(const std::string& id, std::int64_t phrase_index);
  // Every record, oldest first. A record whose params are not valid JSON is logged at ERROR
  // and left in the database (not returned, not deleted).
  std::vector<StoredSession> load_all();

  const std::filesystem::path& path() const { return path_; }
  // Where a corrupt database found by open() was moved, if one was.
  const std::optional<std::filesystem::path>& moved_aside() const { return moved_aside_; }

 private:
  explicit SessionStore(std::filesystem::path path);
  void open_and_check();  // throws StoreError describing what is wrong with the file
  void close_db();
  void exec(const char* sql);
  sqlite3_stmt* prepare(const char* sql);
  [[noreturn]] void fail(const std::string& what);
  StoreError::Kind error_kind() const;  // of the last SQLite error

  std::filesystem::path path_;
  std::optional<std::filesystem::path> moved_aside_;
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* remove_ = nullptr;
  sqlite3_stmt* phrase_ = nullptr;
  sqlite3_stmt* select_ = nullptr;
};

}  // namespace auralis::server
