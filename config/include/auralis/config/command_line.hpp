// The `auralis` command line: `auralis [serve]`, `auralis compose`, `auralis render`.
// Builds the Config from defaults < --config FILE < AURALIS_* env < flags.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "auralis/config/config.hpp"

namespace auralis::config {

enum class Command { serve, compose, render, help, version };

struct CommandLine {
  Command command = Command::serve;
  Config config;
  std::string config_path;
  std::vector<std::string> unknown_env;  // AURALIS_* names that matched no key
  // compose
  int phrases = 4;
  bool json = false;
  // render
  double minutes = 1;
  std::string render_engine = "cpu";
  std::string output_path;
};

// Throws ConfigError with a message for the user on any bad flag, file or value.
CommandLine parse_command_line(int argc, const char* const* argv);
std::string usage();

}  // namespace auralis::config
