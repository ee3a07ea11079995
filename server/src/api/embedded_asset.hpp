// Files compiled into the binary (the web player, the OpenAPI document), so the daemon runs
// from any directory, in Docker or under systemd, with no assets to install.
#pragma once

#include <span>
#include <string_view>

namespace auralis::server {

struct EmbeddedAsset {
  std::string_view name;  // path relative to its folder, e.g. "js/main.js"
  std::string_view data;
};

std::span<const EmbeddedAsset> web_assets();    // web/** (served at /<path>)
std::span<const EmbeddedAsset> proto_assets();  // proto/openapi.json

}  // namespace auralis::server
