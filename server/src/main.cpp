// auralis: serve (the daemon), compose (print scores), render (offline audio).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "auralis/config/command_line.hpp"
#include "auralis/config/log.hpp"
#include "auralis/config/reload.hpp"
#include "auralis/devices/process_tuning.hpp"
#include "auralis/music/composer.hpp"
#include "auralis/music/score_format.hpp"
#include "auralis/server/daemon.hpp"
#include "auralis/synthesis/engine.hpp"
#include "auralis/version.hpp"
#include "cli/offline_render.hpp"

namespace {

int compose(const auralis::config::CommandLine& cl) {
  auralis::music::Composer composer(cl.config.session);
  for (int i = 0; i < cl.phrases; ++i) {
    const auto phrase = composer.next();
    std::cout << (cl.json ? auralis::music::to_json(phrase) : auralis::music::describe(phrase))
              << "\n";
  }
  std::cout.flush();
  if (!std::cout) {  // e.g. a full disk or a closed pipe: not a success
    std::fprintf(stderr, "auralis: compose: cannot write the output: %s\n", std::strerror(errno));
    return 1;
  }
  return 0;
}

int render(const auralis::config::CommandLine& cl) {
  const auto summary =
      auralis::server::render_offline(cl.config, cl.minutes, cl.render_engine, cl.output_path);
  std::printf("rendered %.1f s (%d phrases) with %s in %.2f s: %.1fx real time -> %s\n",
              summary.audio_seconds, summary.phrases, summary.engine.c_str(), summary.wall_seconds,
              summary.audio_seconds / summary.wall_seconds, cl.output_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A write past a file-size limit fails with EFBIG (the store reports it, the offline writer
  // exits non-zero) instead of killing the daemon and every stream with it.
  std::signal(SIGXFSZ, SIG_IGN);
  auralis::devices::tune_process_for_live_rendering();  // heap kept, LibTorch threads sleep
  auralis::config::CommandLine cl;
  try {
    cl = auralis::config::parse_command_line(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "auralis: %s\n(see auralis --help)\n", e.what());
    return 2;
  }
  switch (cl.command) {
    case auralis::config::Command::help:
      std::cout << auralis::config::usage();
      return 0;
    case auralis::config::Command::version:
      // "LibTorch: yes" when the LibTorch engine module is installed where the daemon looks.
      std::printf("auralis %s (LibTorch: %s)\n", auralis::kVersion,
                  auralis::synthesis::torch_engine_available() ? "yes" : "no");
      return 0;
    default:
      break;
  }
  auralis::log::setup(cl.config.log_level);
  for (const auto& name : cl.unknown_env)
    auralis::log::get("config")->warn("ignoring unknown environment variable {}", name);
  try {
    if (cl.command == auralis::config::Command::compose) return compose(cl);
    if (cl.command == auralis::config::Command::render) return render(cl);
    auralis::log::get("server")->info("auralis {} starting{}", auralis::kVersion,
                                      cl.config_path.empty() ? "" : " with " + cl.config_path);
    auralis::server::Daemon daemon(cl.config);
    daemon.set_config_reloader([argc, argv] {  // SIGHUP: file, environment and flags again
      return auralis::config::reload_config(std::vector<std::string>(argv, argv + argc));
    });
    return daemon.run();
  } catch (const std::exception& e) {
    auralis::log::get("server")->critical("{}", e.what());
    return 1;
  }
}
