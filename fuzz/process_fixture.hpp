// A fuzz target's fixture (a daemon's parts with their threads): made on the first input and torn
// down at exit before spdlog's registry, which log::setup makes first and so is destroyed after
// this handler runs: render workers and the network thread log until they are joined.
#pragma once

#include <cstdlib>

#include "auralis/config/log.hpp"

template <class Fixture>
Fixture& process_fixture() {
  static Fixture* f = [] {
    auralis::log::setup("off");
    auto* made = new Fixture();
    std::atexit([] { delete f; });
    return made;
  }();
  return *f;
}
