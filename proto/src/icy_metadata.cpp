#include "auralis/proto/icy_metadata.hpp"

namespace auralis::proto {

std::string icy_metadata_block(std::string_view title) {
  std::string clean;
  clean.reserve(title.size());
  for (const char c : title) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) continue;
    if (c == '\'')
      clean += "\xE2\x80\x99";  // U+2019
    else
      clean += c;
  }
  const std::string prefix = "StreamTitle='";
  const std::string suffix = "';";
  const std::size_t room = kIcyMaxBlockText - prefix.size() - suffix.size();
  if (clean.size() > room) {
    std::size_t cut = room;
    while (cut > 0 && (static_cast<unsigned char>(clean[cut]) & 0xc0) == 0x80) --cut;
    clean.resize(cut);
  }
  std::string text = prefix + clean + suffix;
  const std::size_t blocks = (text.size() + 15) / 16;
  text.resize(blocks * 16, '\0');
  return std::string(1, static_cast<char>(blocks)) + text;
}

}  // namespace auralis::proto
