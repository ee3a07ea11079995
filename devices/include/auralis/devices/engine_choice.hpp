// Which engines render, in which order. Measured, not assumed: with a CUDA GPU the LibTorch
// engine leads; on a CPU-only machine `auto` times both engines on a reference phrase and leads
// with the faster one. The chain always ends with the plain C++ CPU engine (the fallback).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auralis/synthesis/engine.hpp"

namespace auralis::devices {

struct EngineSpec {
  std::string engine;  // "torch" or "cpu"
  std::string device;  // "cpu", "cuda:0"
  int workers = 1;     // pool threads (one per CUDA device for torch)
  int max_batch = 1;   // jobs rendered in one pass
  std::string reason;  // why it is in the chain (logged)
};

struct EngineChoiceSettings {
  std::string primary = "auto";  // auto | cpu | torch
  std::string device = "auto";   // auto | cpu | cuda | cuda:N
  int cpu_workers = 0;           // 0: one per core
};

// Throws std::runtime_error for an impossible request (torch in a build without LibTorch,
// cuda:N that is not there).
std::vector<EngineSpec> choose_engine_chain(const EngineChoiceSettings& settings);

std::unique_ptr<synthesis::Engine> make_engine(const EngineSpec& spec);

// Seconds of audio per wall second for `engine` on a reference job (one phrase at 70 BPM).
double measure_real_time_factor(synthesis::Engine& engine);

}  // namespace auralis::devices
