#include "auralis/config/reload.hpp"

#include "auralis/config/command_line.hpp"

namespace auralis::config {

const std::vector<std::string>& live_reloadable_keys() {
  static const std::vector<std::string> keys = {"log.level",
                                                "stream.listener_queue_ms",
                                                "stream.listener_queue_kib",
                                                "stream.listener_sndbuf_kib",
                                                "stream.write_timeout_s",
                                                "limits.max_listeners",
                                                "limits.max_listeners_per_session",
                                                "limits.max_listeners_per_ip",
                                                "server.tls_cert",
                                                "server.tls_key",
                                                "icecast.*"};
  return keys;
}

bool is_live_reloadable(const std::string& key) {
  for (const auto& pattern : live_reloadable_keys()) {
    if (pattern.ends_with('*') ? key.starts_with(pattern.substr(0, pattern.size() - 1))
                               : key == pattern)
      return true;
  }
  return false;
}

std::vector<KeyChange> diff_config(const Config& before, const Config& after) {
  std::vector<KeyChange> changes;
  for (const auto& info : keys()) {
    std::string a = get_key(before, info.name);
    std::string b = get_key(after, info.name);
    if (a == b) continue;
    // Secrets (icecast.password, api.token) never reach the log.
    if (info.name.find("password") != std::string::npos ||
        info.name.find("token") != std::string::npos) {
      a = a.empty() ? "(empty)" : "***";
      b = b.empty() ? "(empty)" : "***";
    }
    changes.push_back({info.name, a, b, is_live_reloadable(info.name)});
  }
  return changes;
}

Config reload_config(const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  for (const auto& a : argv) args.push_back(a.c_str());
  const CommandLine cl = parse_command_line(static_cast<int>(args.size()), args.data());
  if (cl.command != Command::serve) throw ConfigError("reload: not a serve command line");
  return cl.config;
}

}  // namespace auralis::config
