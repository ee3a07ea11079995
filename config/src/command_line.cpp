#include "auralis/config/command_line.hpp"

#include <boost/program_options.hpp>
#include <sstream>

namespace po = boost::program_options;

namespace auralis::config {
namespace {

po::options_description general_options() {
  po::options_description opts("Options");
  opts.add_options()("help,h", "print this help")("version", "print the version")(
      "config,c", po::value<std::string>(), "TOML configuration file (see config/auralis.toml)")(
      "listen,l", po::value<std::string>(), "HOST:PORT to listen on (default 127.0.0.1:8000)")(
      "log-level", po::value<std::string>(), "trace, debug, info, warn, error, off")(
      "state-dir", po::value<std::string>(),
      "keep API-created sessions in DIR/auralis.db (config key state.dir)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "KEY=VALUE: set any config key, e.g. --set audio.bitrate_kbps=96")(
      "seed", po::value<std::string>(),
      "composer seed (compose/render; serve: the default session's)")(
      "phrases", po::value<int>(), "compose: phrases to print (default 4)")(
      "json", "compose: print JSON")("minutes", po::value<double>(),
                                     "render: minutes of audio (default 1)")(
      "engine", po::value<std::string>(), "render: cpu or torch (default cpu)");
  return opts;
}

}  // namespace

std::string usage() {
  std::ostringstream out;
  out << "Usage:\n"
         "  auralis [serve] [options]               run the streaming daemon\n"
         "  auralis compose --seed N --phrases K [--json]\n"
         "                                          print composed phrases\n"
         "  auralis render --seed N --minutes M [--engine cpu|torch] OUT.wav|OUT.ogg\n"
         "                                          render offline what a listener hears\n\n"
         "Configuration: defaults < --config FILE < AURALIS_<SECTION>_<KEY> environment < "
         "flags.\n\n"
      << general_options();
  return out.str();
}

CommandLine parse_command_line(int argc, const char* const* argv) {
  CommandLine cl;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && !args.front().starts_with("-")) {
    const std::string cmd = args.front();
    if (cmd == "serve")
      cl.command = Command::serve;
    else if (cmd == "compose")
      cl.command = Command::compose;
    else if (cmd == "render")
      cl.command = Command::render;
    else if (cmd == "help")
      cl.command = Command::help;
    else
      throw ConfigError("unknown command '" + cmd + "' (serve, compose, render, help)");
    args.erase(args.begin());
  }

  po::options_description opts = general_options();
  opts.add_options()("output", po::value<std::string>(), "render output");
  po::positional_options_description positional;
  positional.add("output", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }

  if (vm.count("help")) cl.command = Command::help;
  if (vm.count("version")) cl.command = Command::version;
  if (cl.command == Command::help || cl.command == Command::version) return cl;

  // An option another command reads is a mistake here, not something to ignore silently.
  const auto only_for = [&](const char* option, std::initializer_list<Command> commands,
                            const char* where) {
    if (!vm.count(option)) return;
    for (const Command c : commands)
      if (cl.command == c) return;
    throw ConfigError(std::string("--") + option + " is for " + where);
  };
  only_for("phrases", {Command::compose}, "compose");
  only_for("json", {Command::compose}, "compose");
  only_for("minutes", {Command::render}, "render");
  only_for("engine", {Command::render}, "render");
  only_for("listen", {Command::serve}, "serve");
  only_for("state-dir", {Command::serve}, "serve");

  if (vm.count("config")) {
    cl.config_path = vm["config"].as<std::string>();
    apply_toml_file(cl.config, cl.config_path);
  }
  cl.unknown_env = apply_environment(cl.config);
  if (vm.count("listen")) set_key(cl.config, "server.listen", vm["listen"].as<std::string>());
  if (vm.count("log-level")) set_key(cl.config, "log.level", vm["log-level"].as<std::string>());
  if (vm.count("state-dir")) set_key(cl.config, "state.dir", vm["state-dir"].as<std::string>());
  if (vm.count("set")) {
    for (const auto& kv : vm["set"].as<std::vector<std::string>>()) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) throw ConfigError("--set expects KEY=VALUE, got '" + kv + "'");
      set_key(cl.config, kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  // Checked as session.seed, so an error quotes what was typed.
  if (vm.count("seed")) set_key(cl.config, "session.seed", vm["seed"].as<std::string>());
  if (vm.count("phrases")) {
    cl.phrases = vm["phrases"].as<int>();
    if (cl.phrases < 1 || cl.phrases > 100000) throw ConfigError("--phrases must be 1..100000");
  }
  cl.json = vm.count("json") > 0;
  if (vm.count("minutes")) {
    cl.minutes = vm["minutes"].as<double>();
    if (!(cl.minutes > 0 && cl.minutes <= 24 * 60))
      throw ConfigError("--minutes must be > 0 and <= 1440");
  }
  if (vm.count("engine")) {
    cl.render_engine = vm["engine"].as<std::string>();
    if (cl.render_engine != "cpu" && cl.render_engine != "torch")
      throw ConfigError("--engine must be cpu or torch, got '" + cl.render_engine + "'");
  }
  if (vm.count("output")) cl.output_path = vm["output"].as<std::string>();
  if (cl.command == Command::render && cl.output_path.empty())
    throw ConfigError("render needs an output file: OUT.wav or OUT.ogg");
  if (cl.command != Command::render && !cl.output_path.empty())
    throw ConfigError("unexpected argument '" + cl.output_path + "'");
  validate(cl.config);
  return cl;
}

}  // namespace auralis::config
