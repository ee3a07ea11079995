// Session parameters: valid ranges, errors that name the field, text parsing.
#include "auralis/music/params.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "auralis/music/composer.hpp"

namespace auralis::music {
namespace {

std::string rejected_field(const SessionParams& params) {
  const auto error = validate(params);
  return error ? error->field : std::string("(accepted)");
}

TEST(Params, DefaultsAreValid) {
  EXPECT_FALSE(validate(SessionParams{}).has_value());
}

TEST(Params, RangeEdgesAreAccepted) {
  SessionParams p;
  p.key_pc = 0;
  p.tempo_bpm = 40;
  p.energy = 0;
  p.brightness = 1;
  p.density = 0;
  EXPECT_FALSE(validate(p).has_value());
  p.key_pc = 11;
  p.tempo_bpm = 120;
  p.energy = 1;
  p.brightness = 0;
  p.density = 1;
  EXPECT_FALSE(validate(p).has_value());
}

TEST(Params, EachOutOfRangeFieldIsNamed) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    const char* field;
    void (*spoil)(SessionParams&);
  };
  const Case cases[] = {
      {"key_pc", [](SessionParams& p) { p.key_pc = 12; }},
      {"key_pc", [](SessionParams& p) { p.key_pc = -1; }},
      {"mode", [](SessionParams& p) { p.mode = static_cast<Mode>(9); }},
      {"tempo_bpm", [](SessionParams& p) { p.tempo_bpm = 39.9; }},
      {"tempo_bpm", [](SessionParams& p) { p.tempo_bpm = 121; }},
      {"energy", [](SessionParams& p) { p.energy = -0.01; }},
      {"energy", [](SessionParams& p) { p.energy = 1.5; }},
      {"brightness", [](SessionParams& p) { p.brightness = 2; }},
      {"density", [](SessionParams& p) { p.density = -1; }},
  };
  for (const auto& c : cases) {
    SessionParams p;
    c.spoil(p);
    EXPECT_EQ(rejected_field(p), c.field);
  }
  SessionParams p;
  p.tempo_bpm = nan;
  EXPECT_EQ(rejected_field(p), "tempo_bpm") << "NaN must be rejected";
  p = SessionParams{};
  p.energy = nan;
  EXPECT_EQ(rejected_field(p), "energy");
}

TEST(Params, MessageSaysWhyAndWhatWasGiven) {
  SessionParams p;
  p.tempo_bpm = 200;
  const auto error = validate(p);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->message.find("tempo_bpm"), std::string::npos) << error->message;
  EXPECT_NE(error->message.find("40"), std::string::npos) << error->message;
  EXPECT_NE(error->message.find("120"), std::string::npos) << error->message;
  EXPECT_NE(error->message.find("200"), std::string::npos) << error->message;
}

TEST(Params, ComposerRejectsInvalidParamsNamingTheField) {
  SessionParams p;
  p.density = 3;
  try {
    Composer composer(p);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("density"), std::string::npos) << e.what();
  }
}

TEST(Params, SetParamsRejectsAndKeepsTheOldParams) {
  Composer composer(SessionParams{});
  SessionParams bad;
  bad.energy = 7;
  EXPECT_THROW(composer.set_params(bad), std::invalid_argument);
  EXPECT_DOUBLE_EQ(composer.params().energy, SessionParams{}.energy);
  try {
    composer.set_params(bad);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("energy"), std::string::npos) << e.what();
  }
}

TEST(Params, ParseKeyAcceptsNamesSharpsAndFlats) {
  EXPECT_EQ(parse_key("C"), 0);
  EXPECT_EQ(parse_key("c"), 0);
  EXPECT_EQ(parse_key("F#"), 6);
  EXPECT_EQ(parse_key("f#"), 6);
  EXPECT_EQ(parse_key("Bb"), 10);
  EXPECT_EQ(parse_key("bb"), 10);
  EXPECT_EQ(parse_key("Db"), 1);
  EXPECT_EQ(parse_key("Cb"), 11);
  EXPECT_EQ(parse_key("B#"), 0);
  EXPECT_EQ(parse_key(" A "), 9);
  EXPECT_FALSE(parse_key("H").has_value());
  EXPECT_FALSE(parse_key("").has_value());
  EXPECT_FALSE(parse_key("C##").has_value());
  EXPECT_FALSE(parse_key("Cx").has_value());
}

TEST(Params, ParseModeByNameCaseInsensitive) {
  EXPECT_EQ(parse_mode("dorian"), Mode::dorian);
  EXPECT_EQ(parse_mode("Lydian"), Mode::lydian);
  EXPECT_EQ(parse_mode("PHRYGIAN"), Mode::phrygian);
  EXPECT_EQ(parse_mode("major"), Mode::ionian);
  EXPECT_EQ(parse_mode("minor"), Mode::aeolian);
  EXPECT_FALSE(parse_mode("locrian").has_value());
  EXPECT_FALSE(parse_mode("").has_value());
}

TEST(Params, ModeFollowsBrightnessBands) {
  EXPECT_EQ(mode_for_brightness(0.0), Mode::phrygian);
  EXPECT_EQ(mode_for_brightness(0.149), Mode::phrygian);
  EXPECT_EQ(mode_for_brightness(0.15), Mode::aeolian);
  EXPECT_EQ(mode_for_brightness(0.35), Mode::dorian);
  EXPECT_EQ(mode_for_brightness(0.55), Mode::mixolydian);
  EXPECT_EQ(mode_for_brightness(0.70), Mode::ionian);
  EXPECT_EQ(mode_for_brightness(0.879), Mode::ionian);
  EXPECT_EQ(mode_for_brightness(0.88), Mode::lydian);
  EXPECT_EQ(mode_for_brightness(1.0), Mode::lydian);
}

TEST(Params, AutoModeComesFromBrightnessAndAGivenModeWins) {
  SessionParams p;
  p.brightness = 0.05;
  EXPECT_EQ(Composer(p).next().mode, Mode::phrygian);
  p.brightness = 0.95;
  EXPECT_EQ(Composer(p).next().mode, Mode::lydian);
  p.mode = Mode::dorian;
  EXPECT_EQ(Composer(p).next().mode, Mode::dorian);
}

TEST(Params, NamesForDisplay) {
  EXPECT_STREQ(mode_name(Mode::mixolydian), "mixolydian");
  EXPECT_STREQ(pitch_class_name(0), "C");
  EXPECT_STREQ(pitch_class_name(6), "F#");
  EXPECT_STREQ(pitch_class_name(11), "B");
  EXPECT_STREQ(layer_name(Layer::brush), "brush");
  EXPECT_STREQ(layer_name(Layer::pad), "pad");
}

}  // namespace
}  // namespace auralis::music
