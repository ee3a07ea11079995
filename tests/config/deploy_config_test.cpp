// Deployment configuration: --state-dir, the [icecast] keys and their checks, and SIGHUP reload
// (which keys change live, secrets never printed).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "auralis/config/command_line.hpp"
#include "auralis/config/reload.hpp"

namespace auralis::config {
namespace {

TEST(DeployConfig, StateDirFlagSetsTheKey) {
  const char* argv[] = {"auralis", "--state-dir", "/var/lib/auralis"};
  EXPECT_EQ(parse_command_line(3, argv).config.state_dir, "/var/lib/auralis");
  EXPECT_EQ(Config{}.state_dir, "") << "no persistence unless asked";
}

TEST(DeployConfig, IcecastKeysFromEnvironmentAndTheirChecks) {
  Config c;
  apply_environment(c, {"AURALIS_ICECAST_ENABLED=true", "AURALIS_ICECAST_HOST=relay.example",
                        "AURALIS_ICECAST_PORT=8443", "AURALIS_ICECAST_MOUNT=/ambient.ogg",
                        "AURALIS_ICECAST_PASSWORD=hackme", "AURALIS_ICECAST_TLS=yes"});
  EXPECT_TRUE(c.icecast.enabled);
  EXPECT_EQ(c.icecast.host, "relay.example");
  EXPECT_EQ(c.icecast.port, 8443);
  EXPECT_EQ(c.icecast.mount, "/ambient.ogg");
  EXPECT_TRUE(c.icecast.tls);
  EXPECT_NO_THROW(validate(c));
  EXPECT_THROW(set_key(c, "icecast.mount", "noslash.ogg"), ConfigError);
  EXPECT_THROW(set_key(c, "icecast.port", "0"), ConfigError);
  c.icecast.password.clear();
  try {
    validate(c);
    FAIL() << "enabled without a password accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("icecast.password"), std::string::npos) << e.what();
  }
}

TEST(DeployConfig, DiffSaysWhatIsLiveAndMasksPasswords) {
  Config a;
  Config b;
  b.log_level = "debug";
  b.bitrate_kbps = 96;
  b.icecast.password = "secret";
  b.api_token = "secret-token";
  b.listener_queue_ms = 2000;
  const auto changes = diff_config(a, b);
  ASSERT_EQ(changes.size(), 5u);
  for (const auto& ch : changes) {
    EXPECT_EQ(ch.live, ch.key != "audio.bitrate_kbps" && ch.key != "api.token") << ch.key;
    EXPECT_EQ(ch.after.find("secret"), std::string::npos) << "secret printed: " << ch.after;
  }
  EXPECT_TRUE(is_live_reloadable("icecast.mount"));
  EXPECT_TRUE(is_live_reloadable("server.tls_cert"));  // certificate renewal
  EXPECT_TRUE(is_live_reloadable("limits.max_listeners_per_ip"));
  EXPECT_TRUE(is_live_reloadable("stream.listener_queue_ms"));
  EXPECT_FALSE(is_live_reloadable("server.listen"));
  EXPECT_FALSE(is_live_reloadable("state.dir"));
}

TEST(DeployConfig, ReloadReadsTheFileAgainAndKeepsFlags) {
  std::random_device rd;
  const auto path =
      std::filesystem::temp_directory_path() / ("auralis-reload-" + std::to_string(rd()) + ".toml");
  std::ofstream(path) << "[log]\nlevel = \"info\"\n[audio]\nbitrate_kbps = 96\n";
  const std::vector<std::string> argv = {"auralis", "--config", path.string(), "--set",
                                         "audio.complexity=5"};
  const Config first = reload_config(argv);
  std::ofstream(path) << "[log]\nlevel = \"debug\"\n[audio]\nbitrate_kbps = 96\n";
  const Config second = reload_config(argv);
  EXPECT_EQ(first.log_level, "info");
  EXPECT_EQ(second.log_level, "debug");
  EXPECT_EQ(second.complexity, 5) << "flags still win";
  std::ofstream(path) << "[log]\nlevel = \"loud\"\n";
  EXPECT_THROW(reload_config(argv), ConfigError);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace auralis::config
