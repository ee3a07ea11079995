#include "theory.hpp"

#include "tables.hpp"

namespace auralis::music {

bool is_minor_family(Mode mode) {
  return mode == Mode::phrygian || mode == Mode::aeolian || mode == Mode::dorian;
}

int Scale::degree_pc(int degree) const {
  const int index = (((degree - 1) % 7) + 7) % 7;
  return pcs[static_cast<std::size_t>(index)];
}

int Scale::degree_of(int pc) const {
  const int p = pitch_class(pc);
  for (std::size_t i = 0; i < pcs.size(); ++i) {
    if (pcs[i] == p) return static_cast<int>(i) + 1;
  }
  return 0;
}

Scale make_scale(int tonic_pc, Mode mode) {
  Scale scale;
  scale.tonic_pc = pitch_class(tonic_pc);
  scale.mode = mode;
  const auto& steps = tables::kModeSteps[static_cast<std::size_t>(mode)];
  for (std::size_t i = 0; i < steps.size(); ++i) {
    scale.pcs[i] = pitch_class(scale.tonic_pc + steps[i]);
    scale.mask |= pc_bit(scale.pcs[i]);
  }
  return scale;
}

std::vector<int> pentatonic_offsets(Mode mode) {
  const auto& p = is_minor_family(mode) ? tables::kMinorPentatonic : tables::kMajorPentatonic;
  return {p.begin(), p.end()};
}

std::vector<int> mode_offsets(Mode mode) {
  const auto& steps = tables::kModeSteps[static_cast<std::size_t>(mode)];
  return {steps.begin(), steps.end()};
}

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::phrygian:
      return "phrygian";
    case Mode::aeolian:
      return "aeolian";
    case Mode::dorian:
      return "dorian";
    case Mode::mixolydian:
      return "mixolydian";
    case Mode::ionian:
      return "ionian";
    case Mode::lydian:
      return "lydian";
  }
  return "?";
}

const char* pitch_class_name(int pc) {
  static constexpr std::array<const char*, 12> kNames = {"C",  "C#", "D",  "D#", "E",  "F",
                                                         "F#", "G",  "G#", "A",  "A#", "B"};
  return kNames[static_cast<std::size_t>(pitch_class(pc))];
}

const char* layer_name(Layer layer) {
  switch (layer) {
    case Layer::pad:
      return "pad";
    case Layer::lead:
      return "lead";
    case Layer::bass:
      return "bass";
    case Layer::texture:
      return "texture";
    case Layer::kick:
      return "kick";
    case Layer::brush:
      return "brush";
    case Layer::ornament:
      return "ornament";
  }
  return "?";
}

const char* instrument_name(Instrument instrument) {
  static constexpr std::array<const char*, kInstrumentCount> kNames = {
      "warm_pad", "string_pad", "soft_lead", "electric_piano", "glass_bell", "pluck",
      "shimmer",  "sub_bass",   "air",       "kick",           "brush"};
  const auto i = static_cast<std::size_t>(instrument);
  return i < kNames.size() ? kNames[i] : "?";
}

const char* section_character_name(int character) {
  static constexpr std::array<const char*, 4> kNames = {"open", "drift", "song", "bloom"};
  return character >= 0 && character < 4 ? kNames[static_cast<std::size_t>(character)] : "?";
}

}  // namespace auralis::music
