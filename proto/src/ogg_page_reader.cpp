#include "auralis/proto/ogg_page_reader.hpp"

#include <array>
#include <cstring>

namespace auralis::proto {
namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t r = i << 24;
    for (int k = 0; k < 8; ++k) r = (r & 0x80000000u) ? (r << 1) ^ 0x04c11db7u : (r << 1);
    table[i] = r;
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();

std::uint32_t le32(const std::uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

}  // namespace

std::uint32_t ogg_crc(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
  for (std::uint8_t b : bytes) crc = (crc << 8) ^ kCrcTable[((crc >> 24) & 0xff) ^ b];
  return crc;
}

std::optional<OggPageView> parse_ogg_page(std::span<const std::uint8_t> bytes) {
  constexpr std::size_t kHeader = 27;
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), "OggS", 4) != 0 || bytes[4] != 0)
    return std::nullopt;
  const std::size_t segments = bytes[26];
  if (bytes.size() < kHeader + segments) return std::nullopt;
  std::size_t body = 0;
  for (std::size_t i = 0; i < segments; ++i) body += bytes[kHeader + i];
  const std::size_t total = kHeader + segments + body;
  if (bytes.size() < total) return std::nullopt;

  OggPageView view;
  view.header_type = bytes[5];
  std::uint64_t granule = 0;
  for (int i = 7; i >= 0; --i) granule = (granule << 8) | bytes[6 + i];
  view.granule = static_cast<std::int64_t>(granule);
  view.serial = le32(bytes.data() + 14);
  view.sequence = le32(bytes.data() + 18);
  view.crc = le32(bytes.data() + 22);
  view.size = total;

  // The CRC covers the whole page with its own field taken as zero.
  constexpr std::uint8_t kZeros[4] = {0, 0, 0, 0};
  std::uint32_t crc = ogg_crc(bytes.first(22));
  crc = ogg_crc(kZeros, crc);
  crc = ogg_crc(bytes.subspan(26, total - 26), crc);
  view.crc_ok = crc == view.crc;

  // Lacing: a packet ends at the first segment shorter than 255. Packets continued onto the
  // next page are not reported (the Auralis muxer never splits a packet).
  std::size_t offset = kHeader + segments;
  std::size_t packet_start = offset;
  for (std::size_t i = 0; i < segments; ++i) {
    offset += bytes[kHeader + i];
    if (bytes[kHeader + i] < 255) {
      view.packets.emplace_back(bytes.data() + packet_start, offset - packet_start);
      packet_start = offset;
    }
  }
  return view;
}

std::vector<OggPageView> parse_ogg_pages(std::span<const std::uint8_t> bytes) {
  std::vector<OggPageView> pages;
  while (auto page = parse_ogg_page(bytes)) {
    bytes = bytes.subspan(page->size);
    pages.push_back(std::move(*page));
  }
  return pages;
}

}  // namespace auralis::proto
