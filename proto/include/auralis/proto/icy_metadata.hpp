// ICY (SHOUTcast/Icecast) in-stream metadata: with `Icy-MetaData: 1` a client gets a metadata
// block after every `icy-metaint` bytes of audio. A block is one length byte (n: 16 * n bytes
// follow) and the text `StreamTitle='...';`, zero-padded to a multiple of 16.
#pragma once

#include <string>
#include <string_view>

namespace auralis::proto {

inline constexpr int kIcyMaxBlockText = 255 * 16;

// The whole block (length byte included) that announces `title`. Control characters are
// dropped, a `'` (which would end the value early for many parsers) becomes a typographic
// apostrophe, and an over-long title is cut at a UTF-8 character boundary.
std::string icy_metadata_block(std::string_view title);

// The block that announces nothing new: one zero byte.
inline std::string icy_empty_block() {
  return std::string(1, '\0');
}

}  // namespace auralis::proto
