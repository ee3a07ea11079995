// Splits a byte stream into Ogg pages and checks each page's CRC (used by tests and tools).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace auralis::proto {

struct OggPageView {
  std::uint8_t header_type = 0;  // 1 continued, 2 BOS, 4 EOS
  std::int64_t granule = 0;
  std::uint32_t serial = 0;
  std::uint32_t sequence = 0;
  std::uint32_t crc = 0;                               // as stored
  bool crc_ok = false;                                 // stored CRC equals the recomputed one
  std::vector<std::span<const std::uint8_t>> packets;  // complete packets ending in this page
  std::size_t size = 0;                                // bytes of the whole page
};

// The Ogg CRC-32 (polynomial 0x04c11db7, no reflection) over `bytes`, continuing from `crc`.
std::uint32_t ogg_crc(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0);

// Parses the page at the start of `bytes`; nullopt when incomplete or not a page.
std::optional<OggPageView> parse_ogg_page(std::span<const std::uint8_t> bytes);

// Parses consecutive pages; stops at the first incomplete or malformed one.
std::vector<OggPageView> parse_ogg_pages(std::span<const std::uint8_t> bytes);

}  // namespace auralis::proto
