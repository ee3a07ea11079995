// Text forms of a phrase for people and tools: `auralis compose` prints them.
#pragma once

#include <string>

#include "auralis/music/score.hpp"

namespace auralis::music {

// Several lines: phrase index, key, mode, tempo, the chords with their bars, notes per layer.
std::string describe(const Phrase& phrase);

// The whole phrase as one JSON object (metadata, chords, notes).
std::string to_json(const Phrase& phrase);

}  // namespace auralis::music
