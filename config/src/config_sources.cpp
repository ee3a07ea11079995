// Applies configuration from a TOML file and from AURALIS_* environment variables.
#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "auralis/config/config.hpp"

extern char** environ;

namespace auralis::config {
namespace {

std::string node_text(const toml::node& node, const std::string& key, const std::string& origin) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point()) {
    std::ostringstream out;
    out << *node.value<double>();
    return out.str();
  }
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  throw ConfigError(origin + ": " + key + ": expected a string, number or boolean");
}

void apply_table(Config& config, const toml::table& table, const std::string& prefix,
                 const std::string& origin) {
  for (const auto& [name, node] : table) {
    const std::string key =
        prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    if (const auto* sub = node.as_table()) {
      apply_table(config, *sub, key, origin);
      continue;
    }
    try {
      set_key(config, key, node_text(node, key, origin));
    } catch (const ConfigError& e) {
      throw ConfigError(origin + ": " + e.what());
    }
  }
}

}  // namespace

void apply_toml_string(Config& config, const std::string& text, const std::string& origin) {
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << origin << ":" << e.source().begin.line << ": " << e.description();
    throw ConfigError(msg.str());
  }
  apply_table(config, table, "", origin);
}

void apply_toml_file(Config& config, const std::string& path) {
  // toml++ reads a directory as an empty file: say so instead of starting on defaults.
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw ConfigError(path + ": not a regular file");
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path << ":" << e.source().begin.line << ": " << e.description();
    throw ConfigError(msg.str());
  }
  apply_table(config, table, "", path);
}

std::vector<std::string> apply_environment(Config& config,
                                           const std::vector<std::string>& entries) {
  std::vector<std::string> unknown;
  for (const auto& entry : entries) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || entry.rfind("AURALIS_", 0) != 0) continue;
    const std::string name = entry.substr(0, eq);
    bool known = false;
    for (const auto& key : keys()) {
      if (key.env != name) continue;
      known = true;
      try {
        set_key(config, key.name, entry.substr(eq + 1));
      } catch (const ConfigError& e) {
        throw ConfigError("environment " + name + ": " + e.what());
      }
    }
    if (!known) unknown.push_back(name);
  }
  return unknown;
}

std::vector<std::string> apply_environment(Config& config) {
  std::vector<std::string> entries;
  for (char** e = environ; e && *e; ++e)
    if (std::string_view(*e).starts_with("AURALIS_")) entries.emplace_back(*e);
  return apply_environment(config, entries);
}

void validate(const Config& config) {
  if (auto err = music::validate(config.session))
    throw ConfigError("session." + err->field + ": " + err->message);
  if (config.engine == "torch" && config.device.empty())
    throw ConfigError("engine.device: must not be empty");
  if (config.icecast.enabled) {
    if (config.icecast.session.empty()) throw ConfigError("icecast.session: must name a session");
    if (config.icecast.host.empty()) throw ConfigError("icecast.host: must not be empty");
    if (config.icecast.password.empty())
      throw ConfigError("icecast.password: must be set when icecast.enabled is true");
  }
}

}  // namespace auralis::config
