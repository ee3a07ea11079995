#include "deploy/session_store.hpp"

#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <system_error>

#include "auralis/config/log.hpp"

namespace fs = std::filesystem;

namespace auralis::server {
namespace {

// Schema version 1. Seeds are stored as the int64 with the same bits (SQLite has no uint64).
constexpr const char* kSchema = R"sql(
CREATE TABLE sessions (
  id            TEXT PRIMARY KEY NOT NULL,
  name          TEXT NOT NULL,
  params        TEXT NOT NULL,
  seed          INTEGER NOT NULL,
  phrase_index  INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL
) STRICT;
)sql";

std::string utc_stamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Releases a prepared statement's bindings and state when a call leaves, however it leaves.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

void bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)))
              : std::string();
}

}  // namespace

SessionStore::SessionStore(fs::path path) : path_(std::move(path)) {}

SessionStore::~SessionStore() {
  close_db();
}

std::unique_ptr<SessionStore> SessionStore::open(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw StoreError("state directory " + dir.string() + ": " + ec.message());
  std::unique_ptr<SessionStore> store(new SessionStore(dir / kFileName));
  try {
    store->open_and_check();
    return store;
  } catch (const StoreError& e) {
    store->close_db();
    // Only a file whose contents are unusable is moved aside; anything else may pass (EMFILE,
    // EACCES, EIO): fail and keep the file.
    if (!e.corrupt() || !fs::exists(store->path_)) throw;
    const fs::path aside = store->path_.string() + ".corrupt-" + utc_stamp();
    // Move the write-ahead log and index too: the log may hold committed transactions.
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const fs::path from = store->path_.string() + suffix;
      if (!fs::exists(from)) continue;
      fs::rename(from, aside.string() + suffix, ec);
      if (ec)
        throw StoreError("session store " + from.string() + " is unusable (" + e.what() +
                         ") and could not be moved aside: " + ec.message());
    }
    log::get("store")->error(
        "session store {} is corrupt or unreadable ({}): moved aside to {}; starting with an "
        "empty store (the saved sessions are in the moved file)",
        store->path_.string(), e.what(), aside.string());
    store->moved_aside_ = aside;
  }
  store->open_and_check();  // a fresh file: failing now is not about the old contents
  return store;
}

void SessionStore::open_and_check() {
  const int rc =
      sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) fail("open");
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
  // Reading the header happens here: garbage fails with "file is not a database".
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=FULL");
  {
    sqlite3_stmt* check = prepare("PRAGMA quick_check");
    std::string problems;
    int step = SQLITE_OK;
    while ((step = sqlite3_step(check)) == SQLITE_ROW) {
      const std::string line = column_text(check, 0);
      if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
    }
    sqlite3_finalize(check);
    if (step != SQLITE_DONE) fail("quick_check");
    if (!problems.empty())
      throw StoreError("integrity check failed: " + problems, StoreError::Kind::corrupt);
  }
  int version = 0;
  int tables = 0;
  {
    sqlite3_stmt* stmt = prepare("PRAGMA user_version");
    if (sqlite3_step(stmt) == SQLITE_ROW) version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    stmt = prepare("SELECT count(*) FROM sqlite_schema");
    if (sqlite3_step(stmt) == SQLITE_ROW) tables = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
  }
  if (version == 0 && tables == 0) {
    exec("BEGIN IMMEDIATE");
    try {
      exec(kSchema);
      exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  } else if (version == 0) {
    throw StoreError("not an Auralis session store (no schema version, " + std::to_string(tables) +
                         " foreign table(s))",
                     StoreError::Kind::corrupt);
  } else if (version > kSchemaVersion) {
    throw StoreError("schema version " + std::to_string(version) +
                         " is newer than this Auralis understands (" +
                         std::to_string(kSchemaVersion) + ")",
                     StoreError::Kind::corrupt);
  }
  // Preparing also checks that the table has the columns we need.
  upsert_ = prepare(
      "INSERT INTO sessions (id, name, params, seed, phrase_index, created_at_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
      "params = excluded.params, seed = excluded.seed, phrase_index = excluded.phrase_index, "
      "created_at_ms = excluded.created_at_ms");
  remove_ = prepare("DELETE FROM sessions WHERE id = ?1");
  phrase_ = prepare("UPDATE sessions SET phrase_index = ?2 WHERE id = ?1");
  select_ = prepare(
      "SELECT id, name, params, seed, phrase_index, created_at_ms FROM sessions "
      "ORDER BY created_at_ms, rowid");
}

void SessionStore::close_db() {
  for (sqlite3_stmt** stmt : {&upsert_, &remove_, &phrase_, &select_}) {
    sqlite3_finalize(*stmt);
    *stmt = nullptr;
  }
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

StoreError::Kind SessionStore::error_kind() const {
  const int primary = db_ ? (sqlite3_extended_errcode(db_) & 0xff) : SQLITE_NOMEM;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ? StoreError::Kind::corrupt
                                                               : StoreError::Kind::failed;
}

void SessionStore::fail(const std::string& what) {
  std::string message = what + ": ";
  message += db_ ? sqlite3_errmsg(db_) : "out of memory";
  throw StoreError(message, error_kind());
}

void SessionStore::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message =
        std::string(sql).substr(0, 40) + ": " + (error ? error : sqlite3_errmsg(db_));
    sqlite3_free(error);
    throw StoreError(message, error_kind());
  }
}

sqlite3_stmt* SessionStore::prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
    fail(std::string("prepare ") + std::string(sql).substr(0, 40));
  return stmt;
}

void SessionStore::upsert(const StoredSession& s) {
  const std::string params = s.params.dump();
  std::lock_guard lock(mutex_);
  StatementUse use(upsert_);
  bind_text(upsert_, 1, s.id);
  bind_text(upsert_, 2, s.name);
  bind_text(upsert_, 3, params);
  sqlite3_bind_int64(upsert_, 4, static_cast<sqlite3_int64>(s.seed));
  sqlite3_bind_int64(upsert_, 5, s.phrase_index);
  sqlite3_bind_int64(upsert_, 6, s.created_at_ms);
  // One statement outside BEGIN is its own transaction: all of it is written, or none.
  if (sqlite3_step(upsert_) != SQLITE_DONE) fail("saving session '" + s.id + "'");
}

bool SessionStore::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  StatementUse use(remove_);
  bind_text(remove_, 1, id);
  if (sqlite3_step(remove_) != SQLITE_DONE) fail("removing session '" + id + "'");
  return sqlite3_changes(db_) > 0;
}

bool SessionStore::update_phrase_index(const std::string& id, std::int64_t phrase_index) {
  std::lock_guard lock(mutex_);
  StatementUse use(phrase_);
  bind_text(phrase_, 1, id);
  sqlite3_bind_int64(phrase_, 2, phrase_index);
  if (sqlite3_step(phrase_) != SQLITE_DONE) fail("saving the phrase index of '" + id + "'");
  return sqlite3_changes(db_) > 0;
}

std::vector<StoredSession> SessionStore::load_all() {
  std::lock_guard lock(mutex_);
  StatementUse use(select_);
  std::vector<StoredSession> out;
  int step = SQLITE_OK;
  while ((step = sqlite3_step(select_)) == SQLITE_ROW) {
    StoredSession s;
    s.id = column_text(select_, 0);
    s.name = column_text(select_, 1);
    const std::string params = column_text(select_, 2);
    s.seed = static_cast<std::uint64_t>(sqlite3_column_int64(select_, 3));
    s.phrase_index = sqlite3_column_int64(select_, 4);
    s.created_at_ms = sqlite3_column_int64(select_, 5);
    try {
      s.params = nlohmann::json::parse(params);
    } catch (const nlohmann::json::exception& e) {
      log::get("store")->error(
          "{}: session '{}' has unreadable params ({}); kept in the store, "
          "not restored",
          path_.string(), s.id, e.what());
      continue;
    }
    out.push_back(std::move(s));
  }
  if (step != SQLITE_DONE) fail("loading sessions");
  return out;
}

}  // namespace auralis::server
