// Configuration: every key is documented in config/auralis.toml, sources apply in order, and
// bad values are rejected with a message naming the key.
#include "auralis/config/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "auralis/config/command_line.hpp"

#ifndef AURALIS_SOURCE_DIR
#error "AURALIS_SOURCE_DIR must be defined"
#endif

namespace auralis::config {
namespace {

std::string example_path() {
  return std::string(AURALIS_SOURCE_DIR) + "/config/auralis.toml";
}

TEST(Config, ExampleFileDocumentsEveryKeyWithItsDefault) {
  std::ifstream in(example_path());
  ASSERT_TRUE(in) << example_path();
  std::stringstream text;
  text << in.rdbuf();
  Config from_file;
  apply_toml_file(from_file, example_path());
  for (const auto& key : keys()) {
    const auto dot = key.name.find('.');
    const std::string section = "[" + key.name.substr(0, dot) + "]";
    const std::string field = key.name.substr(dot + 1) + " = ";
    EXPECT_NE(text.str().find(section), std::string::npos) << section;
    EXPECT_NE(text.str().find("\n" + field), std::string::npos) << key.name << " is not documented";
    // The example's values are the defaults.
    EXPECT_EQ(get_key(from_file, key.name), key.default_value) << key.name;
  }
}

TEST(Config, EnvironmentOverridesFileAndNamesTheKeyOnError) {
  Config c;
  apply_toml_string(c, "[audio]\nbitrate_kbps = 96\n", "test.toml");
  EXPECT_EQ(c.bitrate_kbps, 96);
  auto unknown =
      apply_environment(c, {"AURALIS_AUDIO_BITRATE_KBPS=64", "AURALIS_NOPE=1", "PATH=/bin"});
  EXPECT_EQ(c.bitrate_kbps, 64);
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0], "AURALIS_NOPE");
  try {
    apply_environment(c, {"AURALIS_SESSION_TEMPO_BPM=300"});
    FAIL() << "tempo 300 accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("session.tempo_bpm"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("AURALIS_SESSION_TEMPO_BPM"), std::string::npos)
        << e.what();
  }
}

TEST(Config, BadFileValuesNameKeyAndFile) {
  Config c;
  EXPECT_THROW(apply_toml_string(c, "[audio]\ncomplexity = 11\n", "x.toml"), ConfigError);
  EXPECT_THROW(apply_toml_string(c, "[audio]\nnope = 1\n", "x.toml"), ConfigError);
  EXPECT_THROW(apply_toml_string(c, "[audio\n", "x.toml"), ConfigError);
  try {
    apply_toml_string(c, "[session]\nkey = \"H\"\n", "x.toml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("x.toml: session.key"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.complexity, 10) << "a rejected value must change nothing";
}

// The default session's id and the Icecast session are checked like API ids: a bad one is a
// configuration error naming the key (it used to surface later as "invalid session id").
TEST(Config, SessionIdsAreCheckedWhereTheyAreSet) {
  Config c;
  const std::vector<std::string> bad_ids = {"bad/id", "a.b", "bad id", "\x01",
                                            std::string(65, 'x')};
  for (const auto& bad : bad_ids) {
    try {
      set_key(c, "session.name", bad);
      FAIL() << "accepted session.name = " << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("session.name"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(set_key(c, "icecast.session", "a b"), ConfigError);
  set_key(c, "icecast.session", "");  // allowed while Icecast is off (validate() checks it when on)
  EXPECT_THROW(apply_toml_string(c, "[session]\nname = \"bad id\"\n", "x.toml"), ConfigError);
  EXPECT_EQ(c.default_session, "default") << "a rejected value must change nothing";
  set_key(c, "session.name", "");  // no default session
  EXPECT_EQ(c.default_session, "");
  set_key(c, "session.name", "Lobby_2-b");
  EXPECT_EQ(c.default_session, "Lobby_2-b");
}

TEST(Config, FlagsOverrideEverything) {
  const char* argv[] = {"auralis", "--listen",         "127.0.0.1:0", "--log-level", "debug",
                        "--set",   "audio.page_ms=20", "--seed",      "42"};
  const auto cl = parse_command_line(9, argv);
  EXPECT_EQ(cl.command, Command::serve);
  EXPECT_EQ(cl.config.listen_port, 0);
  EXPECT_EQ(cl.config.log_level, "debug");
  EXPECT_EQ(cl.config.page_ms, 20);
  EXPECT_EQ(cl.config.session.seed, 42u);
  EXPECT_FALSE(cl.config.session_seed_random);
}

TEST(Config, CommandsAndTheirErrors) {
  const char* render[] = {"auralis", "render",   "--seed", "3",    "--minutes",
                          "0.5",     "--engine", "cpu",    "x.wav"};
  const auto cl = parse_command_line(9, render);
  EXPECT_EQ(cl.command, Command::render);
  EXPECT_EQ(cl.output_path, "x.wav");
  EXPECT_DOUBLE_EQ(cl.minutes, 0.5);
  const char* no_out[] = {"auralis", "render"};
  EXPECT_THROW(parse_command_line(2, no_out), ConfigError);
  const char* bad_engine[] = {"auralis", "render", "--engine", "gpu", "x.wav"};
  EXPECT_THROW(parse_command_line(5, bad_engine), ConfigError);
  const char* bad_listen[] = {"auralis", "--listen", "nohost"};
  EXPECT_THROW(parse_command_line(3, bad_listen), ConfigError);
  const char* bad_cmd[] = {"auralis", "dance"};
  EXPECT_THROW(parse_command_line(2, bad_cmd), ConfigError);
  // A bad seed is reported as typed, with the range (not as a wrapped-around number).
  for (const char* seed : {"-1", "18446744073709551615"}) {
    const char* bad_seed[] = {"auralis", "compose", "--seed", seed};
    try {
      parse_command_line(4, bad_seed);
      FAIL() << "accepted --seed " << seed;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("0..9007199254740991, got ") + seed),
                std::string::npos)
          << e.what();
    }
  }
  // Options of another command are refused, naming the command they belong to.
  const char* misplaced[][5] = {{"auralis", "render", "--phrases", "3", "x.wav"},
                                {"auralis", "compose", "--minutes", "1", "--json"},
                                {"auralis", "render", "--listen", "127.0.0.1:1", "x.ogg"},
                                {"auralis", "serve", "--engine", "cpu", "--json"}};
  for (const auto& args : misplaced)
    EXPECT_THROW(parse_command_line(5, args), ConfigError) << args[2];
  const char* help[] = {"auralis", "--help"};
  EXPECT_EQ(parse_command_line(2, help).command, Command::help);
  EXPECT_NE(usage().find("--listen"), std::string::npos);
}

}  // namespace
}  // namespace auralis::config
