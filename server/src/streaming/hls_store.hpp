// One session's HLS, served from memory: per variant (AAC-LC in MPEG-TS, Opus in fMP4) a
// sliding window of finished segments and the live media playlist over it, and the master
// playlist that names the variants with their CODECS. Segments are immutable (names never
// repeat: each run of the segmenters has its own epoch in the names), so caches may keep
// them; a segment stays servable a few segments after it left the playlist, then is dropped:
// what is kept is bounded by `kept_segments` per variant.
//
// The session segments only while HLS is asked for: every request counts (touch()), and the
// segmenters stop `idle_stop` after the last one. A playlist asked for before the first
// segments exist waits for them (when_ready) instead of answering an empty playlist.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auralis::server {

enum class HlsVariant { aac = 0, opus = 1 };
inline constexpr int kHlsVariants = 2;

struct HlsSettings {
  int segment_s = 4;        // target segment duration (the playlists' EXT-X-TARGETDURATION)
  int window_segments = 5;  // segments listed in a media playlist
  int kept_segments = 8;    // segments kept per variant (the window and a few just left it)
  bool opus = true;         // the Opus-in-fMP4 variant besides AAC in MPEG-TS
  std::chrono::seconds idle_stop{30};   // segmenting stops this long after the last request
  std::chrono::seconds wait_limit{15};  // a playlist waits at most this long for the first segments
};

struct HlsSegment {
  std::uint64_t sequence = 0;
  double duration_s = 0;
  std::chrono::system_clock::time_point program_date_time;
  std::string name;
  std::shared_ptr<const std::string> bytes;
};

// A file of the session's HLS as the routes serve it.
struct HlsFile {
  std::shared_ptr<const std::string> body;
  const char* content_type = "";
  std::string etag;       // quoted
  bool playlist = false;  // short-lived; segments and init segments are immutable
};

class HlsStore {
 public:
  using Clock = std::chrono::steady_clock;
  using Waiter = std::function<void(bool ready)>;

  explicit HlsStore(HlsSettings settings);
  ~HlsStore();  // waiters still waiting hear `false`
  HlsStore(const HlsStore&) = delete;
  HlsStore& operator=(const HlsStore&) = delete;

  const HlsSettings& settings() const { return settings_; }

  // --- network side ---
  // A client asked for something: HLS is wanted (the segmenters run, or start).
  void touch(Clock::time_point now = Clock::now());
  // "index.m3u8" (master), "aac.m3u8", "opus.m3u8", a segment or init segment name.
  std::optional<HlsFile> find(std::string_view name) const;
  // True once every variant has segments from the live edge back.
  bool ready() const;
  // `waiter(true)` once ready (at once when ready now); `waiter(false)` if the store closes,
  // or wait_limit passes first. Called on whatever thread made it ready or gave up.
  void when_ready(Waiter waiter, Clock::time_point now = Clock::now());

  // --- the session's pacer ---
  // Whether someone asked within idle_stop.
  bool wanted(Clock::time_point now) const;
  // Segmenting (re)starts: the windows start empty; `opus_init` names the Opus variant's init
  // segment (fMP4 header) of this run.
  void begin(std::string opus_init_name, std::shared_ptr<const std::string> opus_init);
  void add(HlsVariant variant, HlsSegment segment);
  // The segmenters reached the live edge: once every variant has a segment, the store is ready.
  void mark_live();
  // Segmenting stopped: nothing is served until the next begin().
  void reset();
  // Gives up on waiters older than wait_limit.
  void expire_waiters(Clock::time_point now);
  void close();

  // Requests answered from the store, by kind (for /metrics).
  std::atomic<std::uint64_t> playlist_requests{0};
  std::atomic<std::uint64_t> segment_requests{0};

 private:
  struct Window {
    std::deque<HlsSegment> segments;
    std::shared_ptr<const std::string> playlist;
    std::string etag;
  };
  void render_locked(HlsVariant variant);
  void render_master_locked();
  bool ready_locked() const;
  std::vector<Waiter> take_waiters_locked(std::optional<Clock::time_point> older_than);

  const HlsSettings settings_;
  mutable std::mutex mutex_;
  bool closed_ = false;
  bool live_ = false;
  std::uint64_t run_ = 0;  // begin() count, in the playlists' ETags
  Window windows_[kHlsVariants];
  std::string opus_init_name_;
  std::shared_ptr<const std::string> opus_init_;
  std::shared_ptr<const std::string> master_;
  std::vector<std::pair<Clock::time_point, Waiter>> waiters_;
  std::atomic<Clock::rep> last_request_{0};
};

}  // namespace auralis::server
