// Configuration reload (SIGHUP): re-reads the configuration the way start-up did, and tells
// which changed keys the running daemon applies and which wait for a restart.
#pragma once

#include <string>
#include <vector>

#include "auralis/config/config.hpp"

namespace auralis::config {

struct KeyChange {
  std::string key;
  std::string before;  // printable: secrets are masked
  std::string after;
  bool live = false;  // applied without a restart
};

// Keys the daemon applies while running (a trailing '*' covers a section):
// log.level; stream.listener_queue_ms, listener_queue_kib, listener_sndbuf_kib and
// write_timeout_s (for listeners that connect afterwards); icecast.* (the source reconnects
// with the new settings). Everything else needs a restart.
const std::vector<std::string>& live_reloadable_keys();
bool is_live_reloadable(const std::string& key);

// Every key whose value differs between `before` and `after`, in documentation order.
std::vector<KeyChange> diff_config(const Config& before, const Config& after);

// Builds the configuration again from the same command line (defaults < --config FILE <
// AURALIS_* environment < flags; argv[0] included). Throws ConfigError like start-up does.
Config reload_config(const std::vector<std::string>& argv);

}  // namespace auralis::config
