#include "chords.hpp"

#include <array>

#include "tables.hpp"

namespace auralis::music {
namespace {

struct ChordSpec {
  const char* suffix;
  ChordFamily family;
  std::array<int, 6> intervals;
  int size;
  int first_extension;  // intervals[first_extension..] are extensions (droppable colour)
  ChordType reduced;    // the type after dropping its extension
};

// Indexed by ChordType.
constexpr std::array<ChordSpec, kChordTypeCount> kSpecs = {{
    {"", ChordFamily::triad, {0, 4, 7}, 3, 3, ChordType::maj},
    {"m", ChordFamily::triad, {0, 3, 7}, 3, 3, ChordType::min},
    {"sus2", ChordFamily::sus, {0, 2, 7}, 3, 3, ChordType::sus2},
    {"sus4", ChordFamily::sus, {0, 5, 7}, 3, 3, ChordType::sus4},
    {"maj7", ChordFamily::seventh, {0, 4, 7, 11}, 4, 4, ChordType::maj7},
    {"m7", ChordFamily::seventh, {0, 3, 7, 10}, 4, 4, ChordType::m7},
    {"7", ChordFamily::seventh, {0, 4, 7, 10}, 4, 4, ChordType::dom7},
    {"add9", ChordFamily::add9, {0, 4, 7, 14}, 4, 3, ChordType::maj},
    {"madd9", ChordFamily::add9, {0, 3, 7, 14}, 4, 3, ChordType::min},
    {"maj9", ChordFamily::ninth, {0, 4, 7, 11, 14}, 5, 4, ChordType::maj7},
    {"m9", ChordFamily::ninth, {0, 3, 7, 10, 14}, 5, 4, ChordType::m7},
    {"6/9", ChordFamily::ninth, {0, 4, 7, 9, 14}, 5, 3, ChordType::add9},
    {"m11", ChordFamily::ninth, {0, 3, 7, 10, 14, 17}, 6, 4, ChordType::m9},
    {"maj7#11", ChordFamily::ninth, {0, 4, 7, 11, 18}, 5, 4, ChordType::maj7},
    {"quartal", ChordFamily::sus, {0, 5, 10, 15}, 4, 4, ChordType::quartal},
}};

const ChordSpec& spec(ChordType type) {
  return kSpecs[static_cast<std::size_t>(type)];
}

constexpr std::array<ChordType, kChordTypeCount> kAllTypes = {
    ChordType::maj, ChordType::min,      ChordType::sus2, ChordType::sus4,    ChordType::maj7,
    ChordType::m7,  ChordType::dom7,     ChordType::add9, ChordType::madd9,   ChordType::maj9,
    ChordType::m9,  ChordType::six_nine, ChordType::m11,  ChordType::maj7s11, ChordType::quartal};

// Third above the root of the degree's triad: 4 major, 3 minor; 0 when diminished/augmented.
int triad_third(const Scale& scale, int degree) {
  const int root = scale.degree_pc(degree);
  const int third = pitch_class(scale.degree_pc(degree + 2) - root);
  const int fifth = pitch_class(scale.degree_pc(degree + 4) - root);
  if (fifth != 7) return 0;
  return third;
}

}  // namespace

PcMask Chord::pcs() const {
  PcMask mask = 0;
  const auto& s = spec(type);
  for (int i = 0; i < s.size; ++i)
    mask |= pc_bit(root_pc + s.intervals[static_cast<std::size_t>(i)]);
  return mask;
}

std::vector<int> Chord::intervals() const {
  return chord_intervals(type);
}

std::string Chord::name() const {
  std::string name = pitch_class_name(root_pc);
  name += chord_suffix(type);
  return name;
}

int Chord::fifth_pc() const {
  for (int i : chord_intervals(type)) {
    if (i == 7) return pitch_class(root_pc + 7);
  }
  return -1;
}

const char* chord_suffix(ChordType type) {
  return spec(type).suffix;
}
ChordFamily chord_family(ChordType type) {
  return spec(type).family;
}

std::vector<int> chord_intervals(ChordType type) {
  const auto& s = spec(type);
  return {s.intervals.begin(), s.intervals.begin() + s.size};
}

bool chord_fits(ChordType type, int root_pc, const Scale& scale) {
  const auto& s = spec(type);
  for (int i = 0; i < s.size; ++i) {
    if (!scale.contains(root_pc + s.intervals[static_cast<std::size_t>(i)])) return false;
  }
  for (int e = s.first_extension; e < s.size; ++e) {
    const int ext = s.intervals[static_cast<std::size_t>(e)];
    for (int t = 0; t < s.size; ++t) {
      if (t == e) continue;
      if (pitch_class(ext - s.intervals[static_cast<std::size_t>(t)]) == 1) return false;
    }
  }
  return true;
}

ChordType reduced_type(ChordType type) {
  return spec(type).reduced;
}

bool degree_has_triad(const Scale& scale, int degree) {
  return triad_third(scale, degree) != 0;
}

bool fit_chord(ChordType wanted, int root_pc, const Scale& scale, ChordType& fitted) {
  ChordType type = wanted;
  for (int guard = 0; guard < 4; ++guard) {
    if (chord_fits(type, root_pc, scale)) {
      fitted = type;
      return true;
    }
    const ChordType next = spec(type).reduced;
    if (next == type) break;
    type = next;
  }
  const int degree = scale.degree_of(root_pc);
  if (degree == 0) return false;
  const int third = triad_third(scale, degree);
  if (third == 0) return false;
  fitted = third == 4 ? ChordType::maj : ChordType::min;
  return true;
}

double chord_colour(double brightness) {
  return tables::kColourBase + tables::kColourPerBrightness * brightness;
}

Chord choose_chord(const Scale& scale, int degree, double colour, Rng& rng) {
  Chord chord;
  chord.degree = degree;
  chord.root_pc = scale.degree_pc(degree);
  const int third = triad_third(scale, degree);
  const ChordType triad = third == 3 ? ChordType::min : ChordType::maj;

  // Types that fit this degree, grouped by family. A type with a third must agree with the
  // degree's triad (a major-third type on a minor degree would leave the mode anyway).
  std::array<std::vector<ChordType>, 5> by_family;
  for (ChordType type : kAllTypes) {
    if (!chord_fits(type, chord.root_pc, scale)) continue;
    by_family[static_cast<std::size_t>(spec(type).family)].push_back(type);
  }
  std::array<double, 5> weights{};
  for (std::size_t f = 0; f < weights.size(); ++f) {
    if (by_family[f].empty()) continue;
    weights[f] =
        (1.0 - colour) * tables::kFamilyWeightsAtZero[f] + colour * tables::kFamilyWeightsAtOne[f];
  }
  double total = 0;
  for (double w : weights) total += w;
  if (total <= 0) {
    chord.type = triad;  // only reached on a diminished degree, which callers avoid
    return chord;
  }
  const auto family = rng.pick_weighted(weights);
  const auto& types = by_family[family];
  chord.type =
      types[static_cast<std::size_t>(rng.uniform_int(0, static_cast<int>(types.size()) - 1))];
  return chord;
}

}  // namespace auralis::music
