#include "auralis/analysis/session_render.hpp"

#include <algorithm>
#include <span>
#include <vector>

#include "auralis/music/composer.hpp"
#include "auralis/synthesis/timeline.hpp"

namespace auralis::analysis {
namespace {

// The percussion stems of `stems` into `solo_stems`; every other layer silent.
void keep_percussion(const synthesis::Stems& stems, std::int64_t frames,
                     synthesis::Stems& solo_stems) {
  solo_stems.resize(frames);
  for (int l = 0; l < music::kLayerCount; ++l) {
    const auto layer = static_cast<music::Layer>(l);
    const bool percussion = layer == music::Layer::kick || layer == music::Layer::brush;
    if (percussion && !stems.silent(layer, 0, frames))
      solo_stems.store(layer, 0, stems.plane(layer, 0).data(), stems.plane(layer, 1).data(),
                       frames);
    else
      solo_stems.store_silence(layer, 0, frames);
  }
}

}  // namespace

void render_session(const music::SessionParams& params, synthesis::Engine& engine,
                    std::int64_t total_frames, Listener& listener, Listener* solo,
                    const std::function<void(const RenderedPhrase&)>& after_phrase) {
  music::Composer composer(params);
  synthesis::Timeline timeline;
  synthesis::Mixer mixer, solo_mixer;
  synthesis::Stems window, solo_stems;
  std::vector<float> pcm, solo_pcm;
  for (std::int64_t done = 0; done < total_frames;) {
    const music::Phrase phrase = composer.next();
    const synthesis::RenderJob job = timeline.place(phrase);
    if (job.start_frame > 0) listener.mark_join(job.start_frame);
    pcm.assign(static_cast<std::size_t>(2 * job.frames), 0.0f);
    solo_pcm.assign(pcm.size(), 0.0f);
    synthesis::RenderJob w;
    w.controls = job.controls;
    engine.render_windows(
        job, window, [&](std::int64_t offset, std::int64_t frames, const synthesis::Stems& stems) {
          w.start_frame = job.start_frame + offset;
          w.frames = frames;
          const auto at = static_cast<std::size_t>(2 * offset);
          const auto n = static_cast<std::size_t>(2 * frames);
          mixer.process(w, stems, std::span<float>(pcm).subspan(at, n));
          if (!solo) return;
          keep_percussion(stems, frames, solo_stems);
          solo_mixer.hold_master_gain_db(mixer.master_gain_db());
          solo_mixer.process(w, solo_stems, std::span<float>(solo_pcm).subspan(at, n));
        });
    const std::int64_t keep = std::min(job.frames, total_frames - done);
    const auto samples = static_cast<std::size_t>(2 * keep);
    listener.add(std::span<const float>(pcm).first(samples));
    if (solo) solo->add(std::span<const float>(solo_pcm).first(samples));
    if (after_phrase) after_phrase({phrase, job.start_frame, done, done + keep, mixer});
    done += keep;
  }
}

}  // namespace auralis::analysis
