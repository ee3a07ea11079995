// The one table of configuration keys: name, description, parse and print.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <map>
#include <string>

#include "auralis/config/config.hpp"

namespace auralis::config {
namespace {

struct KeyDef {
  KeyInfo info;
  std::function<void(Config&, const std::string&)> set;
  std::function<std::string(const Config&)> get;
};

[[noreturn]] void bad(const std::string& key, const std::string& why) {
  throw ConfigError(key + ": " + why);
}

long long parse_int(const std::string& key, const std::string& text, long long lo, long long hi) {
  long long value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range && ptr == end)  // an integer, just a huge one
    bad(key, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + text);
  if (ec != std::errc() || ptr != end) bad(key, "expected an integer, got '" + text + "'");
  if (value < lo || value > hi)
    bad(key, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + text);
  return value;
}

double parse_double(const std::string& key, const std::string& text, double lo, double hi) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    bad(key, "expected a number, got '" + text + "'");
  }
  if (used != text.size()) bad(key, "expected a number, got '" + text + "'");
  if (!(value >= lo && value <= hi))
    bad(key, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + text);
  return value;
}

bool parse_bool(const std::string& key, const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  bad(key, "expected true or false, got '" + text + "'");
}

std::string one_of(const std::string& key, const std::string& text,
                   std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (text == a) return text;
  std::string list;
  for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
  bad(key, "must be one of " + list + ", got '" + text + "'");
}

// A session id (valid_session_id), or empty where `empty_ok`.
std::string session_id(const std::string& key, const std::string& text, bool empty_ok) {
  if ((text.empty() && empty_ok) || valid_session_id(text)) return text;
  bad(key, "must be a session id: 1-64 characters of A-Z a-z 0-9 _ -" +
               std::string(empty_ok ? " (or empty)" : "") + ", got '" + text + "'");
}

std::string fmt_double(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string env_name(const std::string& key) {
  std::string env = "AURALIS_";
  for (char c : key)
    env += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

KeyDef def(const std::string& name, const std::string& description,
           std::function<void(Config&, const std::string&)> set,
           std::function<std::string(const Config&)> get) {
  KeyDef d{{name, env_name(name), description, get(Config{})}, std::move(set), std::move(get)};
  return d;
}

#define INT_KEY(NAME, FIELD, LO, HI, DESC)                                    \
  def(                                                                        \
      NAME, DESC,                                                             \
      [](Config& c, const std::string& v) {                                   \
        c.FIELD = static_cast<decltype(c.FIELD)>(parse_int(NAME, v, LO, HI)); \
      },                                                                      \
      [](const Config& c) { return std::to_string(c.FIELD); })
#define STRING_KEY(NAME, FIELD, DESC)                                   \
  def(                                                                  \
      NAME, DESC, [](Config& c, const std::string& v) { c.FIELD = v; }, \
      [](const Config& c) { return c.FIELD; })
#define BOOL_KEY(NAME, FIELD, DESC)                                                       \
  def(                                                                                    \
      NAME, DESC, [](Config& c, const std::string& v) { c.FIELD = parse_bool(NAME, v); }, \
      [](const Config& c) { return std::string(c.FIELD ? "true" : "false"); })
#define PARAM_DOUBLE_KEY(NAME, FIELD, LO, HI, DESC)                                             \
  def(                                                                                          \
      NAME, DESC,                                                                               \
      [](Config& c, const std::string& v) { c.session.FIELD = parse_double(NAME, v, LO, HI); }, \
      [](const Config& c) { return fmt_double(c.session.FIELD); })
#define LAYER_KEY(NAME, FIELD, DESC)                                                         \
  def(                                                                                       \
      NAME, DESC,                                                                            \
      [](Config& c, const std::string& v) { c.session.layers.FIELD = parse_bool(NAME, v); }, \
      [](const Config& c) { return std::string(c.session.layers.FIELD ? "true" : "false"); })

const std::vector<KeyDef>& table() {
  static const std::vector<KeyDef> defs = {
      def(
          "server.listen",
          "HOST:PORT to listen on (IPv4, or [IPv6]:PORT); port 0 picks a free port",
          [](Config& c, const std::string& v) {
            const auto colon = v.rfind(':');
            if (colon == std::string::npos || colon == 0)
              bad("server.listen", "expected HOST:PORT, got '" + v + "'");
            std::string host = v.substr(0, colon);
            if (host.size() > 2 && host.front() == '[' && host.back() == ']')
              host = host.substr(1, host.size() - 2);
            c.listen_host = host;
            c.listen_port = static_cast<std::uint16_t>(
                parse_int("server.listen", v.substr(colon + 1), 0, 65535));
          },
          [](const Config& c) {
            const bool v6 = c.listen_host.find(':') != std::string::npos;
            return (v6 ? "[" + c.listen_host + "]" : c.listen_host) + ":" +
                   std::to_string(c.listen_port);
          }),
      INT_KEY("server.io_threads", io_threads, 1, 64, "network threads (1..64)"),
      INT_KEY("server.media_threads", media_threads, 0, 64,
              "threads that pace sessions and encode Opus (0: one per core)"),
      STRING_KEY("server.stream_name", stream_name, "icy-name header and Ogg TITLE of streams"),
      STRING_KEY("server.stream_description", stream_description, "icy-description header"),
      STRING_KEY("server.tls_cert", tls_cert,
                 "PEM certificate chain file: serve HTTPS and WSS (empty: plain HTTP)"),
      STRING_KEY("server.tls_key", tls_key, "PEM private key file for server.tls_cert"),
      def(
          "server.public_url",
          "the daemon's address as clients reach it (http[s]://host[:port], no path): the API's "
          "stream_url and ws_url are built on it (empty: from the request's Host)",
          [](Config& c, const std::string& v) {
            const bool scheme = v.starts_with("http://") || v.starts_with("https://");
            const auto rest = v.substr(v.find("://") == std::string::npos ? 0 : v.find("://") + 3);
            const bool clean = std::all_of(rest.begin(), rest.end(), [](unsigned char ch) {
              return std::isalnum(ch) || ch == '.' || ch == '-' || ch == ':' || ch == '[' ||
                     ch == ']';
            });
            if (!v.empty() && (!scheme || rest.empty() || !clean))
              bad("server.public_url",
                  "expected http://host[:port] or https://host[:port] without a path, got '" + v +
                      "'");
            c.public_url = v;
          },
          [](const Config& c) { return c.public_url; }),
      def(
          "log.level", "trace, debug, info, warn, error or off",
          [](Config& c, const std::string& v) {
            c.log_level =
                one_of("log.level", v, {"trace", "debug", "info", "warn", "error", "off"});
          },
          [](const Config& c) { return c.log_level; }),
      INT_KEY("audio.bitrate_kbps", bitrate_kbps, 16, 510, "Opus bitrate in kb/s (16..510)"),
      INT_KEY("audio.complexity", complexity, 0, 10,
              "Opus encoder complexity (0..10; 10 best, ~2x the CPU of 5)"),
      def(
          "audio.page_ms", "Ogg page duration in ms: 20, 40 or 60",
          [](Config& c, const std::string& v) {
            const auto ms = parse_int("audio.page_ms", v, 20, 60);
            if (ms % 20 != 0) bad("audio.page_ms", "must be 20, 40 or 60, got " + v);
            c.page_ms = static_cast<int>(ms);
          },
          [](const Config& c) { return std::to_string(c.page_ms); }),
      INT_KEY("stream.burst_ms", burst_ms, 0, 10000,
              "audio sent at once to a new listener so players start fast (ms)"),
      INT_KEY("stream.fanout_ms", fanout_ms, 20, 1000,
              "pages are handed to listeners in batches of this length (ms); fewer writes per "
              "listener"),
      INT_KEY("stream.http_write_ms", http_write_ms, 20, 2000,
              "HTTP stream listeners get a socket write per this much audio (whole fanout_ms "
              "batches; WebSocket listeners get every batch)"),
      INT_KEY(
          "stream.listener_queue_ms", listener_queue_ms, 200, 60000,
          "a listener further behind than this (beyond its next HTTP write) skips to the live edge "
          "(ms)"),
      INT_KEY("stream.listener_queue_kib", listener_queue_kib, 16, 65536,
              "bytes queued per listener before it skips to the live edge (KiB)"),
      INT_KEY("stream.listener_sndbuf_kib", listener_sndbuf_kib, 4, 16384,
              "kernel send buffer per listener socket (KiB), capped so slow readers are seen"),
      INT_KEY("stream.write_timeout_s", write_timeout_s, 1, 600,
              "a listener whose write makes no progress for this long is closed (s)"),
      BOOL_KEY("formats.mp3", mp3, "serve /stream/{id}.mp3 (MP3, LAME, CBR)"),
      def(
          "formats.mp3_bitrate_kbps",
          "MP3 bitrate in kb/s: 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256 or 320",
          [](Config& c, const std::string& v) {
            const auto kbps = parse_int("formats.mp3_bitrate_kbps", v, 32, 320);
            static constexpr int kRates[] = {32,  40,  48,  56,  64,  80,  96,
                                             112, 128, 160, 192, 224, 256, 320};
            if (std::find(std::begin(kRates), std::end(kRates), kbps) == std::end(kRates))
              bad("formats.mp3_bitrate_kbps",
                  "must be an MPEG-1 Layer III bitrate (32, 40, 48, 56, 64, 80, 96, 112, 128, "
                  "160, 192, 224, 256 or 320), got " +
                      v);
            c.mp3_bitrate_kbps = static_cast<int>(kbps);
          },
          [](const Config& c) { return std::to_string(c.mp3_bitrate_kbps); }),
      BOOL_KEY("formats.aac", aac, "serve /stream/{id}.aac (AAC-LC in ADTS)"),
      INT_KEY("formats.aac_bitrate_kbps", aac_bitrate_kbps, 32, 320,
              "AAC-LC bitrate in kb/s (32..320), of the .aac mount and the HLS AAC variant"),
      INT_KEY("formats.idle_stop_s", format_idle_stop_s, 1, 3600,
              "a session's MP3/AAC encoder stops this long after its last listener (s)"),
      INT_KEY("formats.burst_ms", format_burst_ms, 0, 6000,
              "audio sent at once to a new MP3/AAC listener (ms, 0..6000)"),
      INT_KEY("formats.icy_metaint", icy_metaint, 256, 65536,
              "audio bytes between ICY metadata blocks for clients sending Icy-MetaData: 1"),
      BOOL_KEY("hls.enabled", hls, "serve HLS at /hls/{id}/index.m3u8"),
      INT_KEY("hls.segment_s", hls_segment_s, 2, 6,
              "HLS segment duration and EXT-X-TARGETDURATION (s, 2..6)"),
      INT_KEY("hls.window_segments", hls_window_segments, 3, 20,
              "segments listed in a live HLS playlist (3..20)"),
      BOOL_KEY("hls.opus", hls_opus, "offer an Opus-in-fMP4 variant besides AAC-LC in MPEG-TS"),
      INT_KEY("hls.idle_stop_s", hls_idle_stop_s, 10, 3600,
              "a session stops segmenting HLS this long after the last HLS request (s)"),
      def(
          "engine.primary",
          "synthesis engine: auto (measured fastest: torch on CUDA, else cpu), cpu or torch",
          [](Config& c, const std::string& v) {
            c.engine = one_of("engine.primary", v, {"auto", "cpu", "torch"});
          },
          [](const Config& c) { return c.engine; }),
      STRING_KEY("engine.device", device, "LibTorch device: auto, cpu, cuda or cuda:N"),
      INT_KEY("engine.render_workers", render_workers, 0, 256,
              "render worker threads (0: one per core)"),
      INT_KEY("engine.lookahead_ms", lookahead_ms, 100, 60000,
              "finished audio kept ahead of playback, at least (ms): a live change replaces what "
              "is rendered past the point it is heard"),
      INT_KEY("engine.deadline_margin_ms", deadline_margin_ms, 20, 60000,
              "the first engine must finish a render unit this long before it plays, else the "
              "next engine takes over (ms)"),
      INT_KEY("engine.fallback_margin_ms", fallback_margin_ms, 10, 60000,
              "the last engine must finish a render unit this long before it plays, else it "
              "plays as silence (ms)"),
      INT_KEY("faults.torch_delay_ms", faults_torch.delay_ms, 0, 3600000,
              "drill: delay added to every LibTorch render (ms)"),
      def(
          "faults.torch_failure_probability",
          "drill: probability 0..1 that a LibTorch render fails",
          [](Config& c, const std::string& v) {
            c.faults_torch.failure_probability =
                parse_double("faults.torch_failure_probability", v, 0, 1);
          },
          [](const Config& c) { return fmt_double(c.faults_torch.failure_probability); }),
      INT_KEY("faults.cpu_delay_ms", faults_cpu.delay_ms, 0, 3600000,
              "drill: delay added to every CPU-engine render (ms)"),
      def(
          "faults.cpu_failure_probability",
          "drill: probability 0..1 that a CPU-engine render fails",
          [](Config& c, const std::string& v) {
            c.faults_cpu.failure_probability =
                parse_double("faults.cpu_failure_probability", v, 0, 1);
          },
          [](const Config& c) { return fmt_double(c.faults_cpu.failure_probability); }),
      STRING_KEY(
          "api.token", api_token,
          "bearer token required for POST/PATCH/DELETE (empty: no token); listening stays open"),
      STRING_KEY("api.cors_origin", cors_origin,
                 "Access-Control-Allow-Origin for the API (empty: no CORS headers)"),
      INT_KEY("api.max_sessions", max_sessions, 1, 10000,
              "sessions at most; more are refused with 429"),
      INT_KEY("limits.max_listeners", max_listeners, 1, 1000000,
              "listeners at most, all sessions and transports; more get 503"),
      INT_KEY("limits.max_listeners_per_session", max_listeners_per_session, 1, 1000000,
              "listeners at most per session; more get 429"),
      INT_KEY("limits.max_listeners_per_ip", max_listeners_per_ip, 0, 1000000,
              "listeners at most per client address (0: no limit); more get 429"),
      INT_KEY("limits.header_timeout_s", header_timeout_s, 1, 600,
              "a request (headers and body) must arrive within this (s): slowloris guard"),
      INT_KEY("limits.keepalive_timeout_s", keepalive_timeout_s, 1, 3600,
              "idle keep-alive connections are closed after this (s)"),
      INT_KEY("limits.ws_max_message_bytes", ws_max_message_bytes, 125, 1048576,
              "largest WebSocket message a client may send (bytes)"),
      INT_KEY("limits.idle_session_stop_s", idle_session_stop_s, 0, 31536000,
              "sessions created through the API with no listener for this long are ended (s; 0: "
              "never; pinned sessions and the default session stay)"),
      def(
          "session.name", "id of the session started at start-up (empty: none)",
          [](Config& c, const std::string& v) {
            c.default_session = session_id("session.name", v, true);
          },
          [](const Config& c) { return c.default_session; }),
      def(
          "session.key", "tonic: C, C#, Db, D, ... B",
          [](Config& c, const std::string& v) {
            auto pc = music::parse_key(v);
            if (!pc) bad("session.key", "expected a key name like D or F#, got '" + v + "'");
            c.session.key_pc = *pc;
          },
          [](const Config& c) { return std::string(music::pitch_class_name(c.session.key_pc)); }),
      def(
          "session.mode",
          "auto (from brightness), phrygian, aeolian, dorian, mixolydian, ionian or lydian",
          [](Config& c, const std::string& v) {
            if (v == "auto") {
              c.session.mode.reset();
              return;
            }
            auto mode = music::parse_mode(v);
            if (!mode)
              bad("session.mode", "expected auto or a mode name like dorian, got '" + v + "'");
            c.session.mode = *mode;
          },
          [](const Config& c) {
            return c.session.mode ? std::string(music::mode_name(*c.session.mode))
                                  : std::string("auto");
          }),
      PARAM_DOUBLE_KEY("session.tempo_bpm", tempo_bpm, 40, 120, "tempo in BPM (40..120)"),
      PARAM_DOUBLE_KEY("session.energy", energy, 0, 1,
                       "energy 0..1: harmonic rhythm, percussion above 0.4"),
      PARAM_DOUBLE_KEY("session.brightness", brightness, 0, 1,
                       "brightness 0..1: mode (when auto), chord colour, pad cutoff"),
      PARAM_DOUBLE_KEY("session.density", density, 0, 1, "density 0..1: how busy the lead is"),
      def(
          "session.deja_vu",
          "deja-vu 0..1: the chance a two-bar cell of the lead recalls one heard before; auto "
          "follows energy",
          [](Config& c, const std::string& v) {
            if (v == "auto")
              c.session.deja_vu.reset();
            else
              c.session.deja_vu = parse_double("session.deja_vu", v, 0, 1);
          },
          [](const Config& c) {
            return c.session.deja_vu ? fmt_double(*c.session.deja_vu) : std::string("auto");
          }),
      def(
          "session.seed", "composer seed; 0 picks a random one at start-up",
          [](Config& c, const std::string& v) {
            const auto seed = parse_int("session.seed", v, 0, 9007199254740991LL);
            c.session.seed = static_cast<std::uint64_t>(seed);
            c.session_seed_random = seed == 0;
          },
          [](const Config& c) {
            return c.session_seed_random ? std::string("0") : std::to_string(c.session.seed);
          }),
      LAYER_KEY("session.pad", pad, "play the pad layer"),
      LAYER_KEY("session.lead", lead, "play the lead layer"),
      LAYER_KEY("session.bass", bass, "play the sub bass layer"),
      LAYER_KEY("session.texture", texture, "play the noise texture layer"),
      LAYER_KEY("session.percussion", percussion, "play percussion (only above energy 0.4)"),
      STRING_KEY("state.dir", state_dir,
                 "directory of the session database auralis.db (empty: sessions are not kept "
                 "across restarts)"),
      BOOL_KEY("icecast.enabled", icecast.enabled,
               "push a session to an Icecast server as a source client"),
      def(
          "icecast.session", "id of the session to push",
          [](Config& c, const std::string& v) {
            c.icecast.session = session_id("icecast.session", v, true);
          },
          [](const Config& c) { return c.icecast.session; }),
      STRING_KEY("icecast.host", icecast.host, "Icecast server host name or address"),
      INT_KEY("icecast.port", icecast.port, 1, 65535, "Icecast server port (1..65535)"),
      def(
          "icecast.mount", "mount point, starting with /",
          [](Config& c, const std::string& v) {
            if (v.size() < 2 || v.front() != '/' ||
                v.find_first_of(" \t\r\n?#") != std::string::npos)
              bad("icecast.mount", "expected a path like /auralis.ogg, got '" + v + "'");
            c.icecast.mount = v;
          },
          [](const Config& c) { return c.icecast.mount; }),
      STRING_KEY("icecast.user", icecast.user, "source user name (Icecast's default is source)"),
      STRING_KEY("icecast.password", icecast.password, "source password (required when enabled)"),
      BOOL_KEY("icecast.tls", icecast.tls, "connect with TLS (HTTPS)"),
      BOOL_KEY("icecast.tls_verify", icecast.tls_verify,
               "verify the server certificate and host name (with tls)"),
      STRING_KEY("icecast.name", icecast.name,
                 "Ice-Name of the stream (empty: server.stream_name)"),
  };
  return defs;
}

const KeyDef* find(const std::string& key) {
  for (const auto& d : table())
    if (d.info.name == key) return &d;
  return nullptr;
}

}  // namespace

const std::vector<KeyInfo>& keys() {
  static const std::vector<KeyInfo> infos = [] {
    std::vector<KeyInfo> out;
    for (const auto& d : table()) out.push_back(d.info);
    return out;
  }();
  return infos;
}

void set_key(Config& config, const std::string& key, const std::string& value) {
  const KeyDef* d = find(key);
  if (!d) throw ConfigError(key + ": unknown configuration key");
  d->set(config, value);
}

std::string get_key(const Config& config, const std::string& key) {
  const KeyDef* d = find(key);
  if (!d) throw ConfigError(key + ": unknown configuration key");
  return d->get(config);
}

bool valid_session_id(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

}  // namespace auralis::config
