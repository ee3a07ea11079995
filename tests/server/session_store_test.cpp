// The session store keeps what users created across restarts, and a corrupt database is moved
// aside with an ERROR instead of being dropped or stopping the daemon.
#include "deploy/session_store.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "auralis/config/log.hpp"

namespace fs = std::filesystem;

namespace auralis::server {
namespace {

class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("auralis-store-test-" + std::to_string(rd()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static StoredSession record(const std::string& id, std::uint64_t seed) {
    StoredSession s;
    s.id = id;
    s.name = "Session " + id;
    s.params = {{"key", "F#"},
                {"mode", "dorian"},
                {"tempo_bpm", 64.5},
                {"energy", 0.2},
                {"layers", {{"pad", true}, {"percussion", false}}}};
    s.seed = seed;
    s.phrase_index = 0;
    s.created_at_ms = 1700000000000 + static_cast<std::int64_t>(seed % 1000);
    return s;
  }

  // Captures what the "store" logger writes while `body` runs, whatever level another test in
  // the same process left it at (run_loop_test turns logging off).
  template <typename F>
  std::string capture_log(F&& body) {
    std::ostringstream out;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    auto logger = log::get("store");
    const auto level = logger->level();
    logger->set_level(spdlog::level::info);
    logger->sinks().push_back(sink);
    body();
    logger->sinks().pop_back();
    logger->set_level(level);
    return out.str();
  }

  std::vector<fs::path> corrupt_files() const {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir_))
      if (entry.path().filename().string().starts_with("auralis.db.corrupt-"))
        out.push_back(entry.path());
    return out;
  }

  fs::path dir_;
};

TEST_F(SessionStoreTest, RecordsSurviveReopenWithParamsSeedAndPhraseIndex) {
  const auto a = record("ambient-1", 0xFEDCBA9876543210ull);  // needs all 64 bits
  const auto b = record("night_2", 42);
  {
    auto store = SessionStore::open(dir_);
    EXPECT_TRUE(fs::exists(dir_ / "auralis.db"));
    EXPECT_FALSE(store->moved_aside());
    store->upsert(a);
    store->upsert(b);
    EXPECT_TRUE(store->update_phrase_index("night_2", 17));
    EXPECT_FALSE(store->update_phrase_index("missing", 3));
  }
  auto store = SessionStore::open(dir_);
  auto all = store->load_all();
  ASSERT_EQ(all.size(), 2u);
  auto expected_b = b;
  expected_b.phrase_index = 17;
  EXPECT_EQ(all[0], expected_b) << "ordered by creation time";
  EXPECT_EQ(all[1], a);
  EXPECT_EQ(all[1].seed, 0xFEDCBA9876543210ull);
  EXPECT_EQ(all[1].params["layers"]["percussion"], false);
}

TEST_F(SessionStoreTest, UpsertReplacesAndRemoveDeletes) {
  auto store = SessionStore::open(dir_);
  auto s = record("x", 5);
  store->upsert(s);
  s.name = "renamed";
  s.params["tempo_bpm"] = 90;
  store->upsert(s);
  auto all = store->load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], s);
  EXPECT_TRUE(store->remove("x"));
  EXPECT_FALSE(store->remove("x"));
  EXPECT_TRUE(store->load_all().empty());
}

TEST_F(SessionStoreTest, UsesWalAndASchemaVersion) {
  auto store = SessionStore::open(dir_);
  store->upsert(record("a", 1));
  EXPECT_TRUE(fs::exists(dir_ / "auralis.db-wal")) << "journal_mode=WAL";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ / "auralis.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  auto query_int = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW) << sql;
    const auto value = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  };
  EXPECT_EQ(query_int("PRAGMA user_version"), SessionStore::kSchemaVersion);
  EXPECT_EQ(query_int("SELECT count(*) FROM sessions"), 1) << "committed, visible to others";
  sqlite3_close(db);
}

TEST_F(SessionStoreTest, GarbageDatabaseIsMovedAsideWithAnErrorAndAFreshStoreWorks) {
  fs::create_directories(dir_);
  const std::string garbage(8192, '\x5a');
  std::ofstream(dir_ / "auralis.db", std::ios::binary) << garbage;
  std::unique_ptr<SessionStore> store;
  const auto log = capture_log([&] { store = SessionStore::open(dir_); });
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->moved_aside());
  EXPECT_NE(log.find("[error]"), std::string::npos) << log;
  EXPECT_NE(log.find((dir_ / "auralis.db").string()), std::string::npos)
      << "names the path: " << log;
  EXPECT_NE(log.find("moved aside"), std::string::npos) << log;
  const auto moved = corrupt_files();
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0], *store->moved_aside());
  std::ifstream in(moved[0], std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), garbage) << "kept byte for byte";
  store->upsert(record("fresh", 9));
  EXPECT_EQ(store->load_all().size(), 1u);
}

TEST_F(SessionStoreTest, TruncatedDatabaseIsMovedAside) {
  {
    auto store = SessionStore::open(dir_);
    for (int i = 0; i < 200; ++i) {
      auto s = record("s" + std::to_string(i), static_cast<std::uint64_t>(i));
      s.params["padding"] = std::string(300, 'p');  // spread over many pages
      store->upsert(s);
    }
  }  // closing checkpoints the WAL into the database file
  ASSERT_FALSE(fs::exists(dir_ / "auralis.db-wal"));
  const auto size = fs::file_size(dir_ / "auralis.db");
  ASSERT_GT(size, 16384u);
  fs::resize_file(dir_ / "auralis.db", size / 2);
  std::unique_ptr<SessionStore> store;
  const auto log = capture_log([&] { store = SessionStore::open(dir_); });
  ASSERT_TRUE(store->moved_aside()) << log;
  EXPECT_NE(log.find("[error]"), std::string::npos) << log;
  EXPECT_EQ(corrupt_files().size(), 1u);
  EXPECT_TRUE(store->load_all().empty());
}

TEST_F(SessionStoreTest, ForeignSqliteDatabaseIsMovedAsideNotReused) {
  fs::create_directories(dir_);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "auralis.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE photos (id INTEGER); INSERT INTO photos VALUES (1)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  std::unique_ptr<SessionStore> store;
  const auto log = capture_log([&] { store = SessionStore::open(dir_); });
  ASSERT_TRUE(store->moved_aside()) << log;
  EXPECT_NE(log.find("not an Auralis session store"), std::string::npos) << log;
  EXPECT_TRUE(store->load_all().empty());
}

TEST_F(SessionStoreTest, NewerSchemaIsMovedAsideNotOverwritten) {
  { SessionStore::open(dir_)->upsert(record("a", 1)); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "auralis.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  std::unique_ptr<SessionStore> store;
  const auto log = capture_log([&] { store = SessionStore::open(dir_); });
  ASSERT_TRUE(store->moved_aside()) << log;
  EXPECT_NE(log.find("newer"), std::string::npos) << log;
}

TEST_F(SessionStoreTest, AnOpenFailureThatIsNotCorruptionKeepsTheFiles) {
  { SessionStore::open(dir_)->upsert(record("kept", 1)); }
  // The write-ahead log's name taken by a directory: SQLite cannot open the database (as with
  // EACCES or EMFILE), though its contents are fine.
  fs::create_directories(dir_ / "auralis.db-wal");
  EXPECT_THROW(SessionStore::open(dir_), StoreError);
  EXPECT_TRUE(corrupt_files().empty()) << "a passing failure moved the store aside";
  fs::remove(dir_ / "auralis.db-wal");
  const auto all = SessionStore::open(dir_)->load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, "kept");
}

TEST_F(SessionStoreTest, UnusableDirectoryThrows) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  EXPECT_THROW(SessionStore::open(dir_ / "file" / "sub"), StoreError);
}

}  // namespace
}  // namespace auralis::server
