// Dry per-layer stereo output of an engine for one window: planes[layer][channel][frame].
// Beside the samples, each layer keeps a "known silent" flag per grain of kGrain frames: set only
// where both channels are known to hold zeros, so a writer can skip zeroing what already is
// zero (a reused buffer, a fresh one) and a reader can skip reading what is silent. Most layers
// are silent most of the time (texture, brush and kick here sound in 5-30% of the frames).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <vector>

#include "auralis/music/score.hpp"

namespace auralis::synthesis {

class Stems {
 public:
  static constexpr std::int64_t kGrain = 256;  // frames per silence flag, from frame 0 of the stems

  // Keeps capacity and the samples already there; frames added hold zeros.
  void resize(std::int64_t frames);
  void clear();  // zero every plane
  std::int64_t frames() const { return frames_; }

  // Writable plane: the layer's silence flags are dropped (its samples may change to anything).
  // A span taken here must not be written after a later store()/store_silence() of that layer.
  std::span<float> plane(music::Layer layer, int channel);
  std::span<const float> plane(music::Layer layer, int channel) const;

  // Writes n frames of a layer from `begin`: samples, or zeros (skipping grains known silent).
  void store(music::Layer layer, std::int64_t begin, const float* left, const float* right,
             std::int64_t n);
  void store_silence(music::Layer layer, std::int64_t begin, std::int64_t n);
  // Both planes of a layer for a writer that fills all of [begin, begin + n) in place (an
  // engine rendering straight into them): that range's grains lose their silence flags.
  std::array<float*, 2> planes_for_write(music::Layer layer, std::int64_t begin, std::int64_t n);
  // True when every frame of [begin, begin + n) of the layer is known to be zero in both
  // channels (false says nothing: the frames may still be zeros).
  bool silent(music::Layer layer, std::int64_t begin, std::int64_t n) const;

 private:
  // The grains of [begin, begin + n) (n > 0) are no longer known silent.
  void drop_silence(std::size_t layer, std::int64_t begin, std::int64_t n);

  // Cache-line aligned planes: 64-byte vector loads and stores never straddle two lines.
  template <typename T>
  struct LineAligned {
    using value_type = T;
    LineAligned() = default;
    template <typename U>
    LineAligned(const LineAligned<U>&) {}
    T* allocate(std::size_t n) {
      return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{64}));
    }
    void deallocate(T* p, std::size_t) { ::operator delete (p, std::align_val_t{64}); }
    bool operator==(const LineAligned&) const { return true; }
  };
  std::int64_t frames_ = 0;
  std::array<std::vector<float, LineAligned<float>>, music::kLayerCount * 2> planes_;
  std::array<std::vector<std::uint8_t>, music::kLayerCount> silent_;  // per grain: 1 = zeros
};

}  // namespace auralis::synthesis
