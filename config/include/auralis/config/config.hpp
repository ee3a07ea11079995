// Daemon configuration: one struct, filled from defaults < TOML file < AURALIS_* env < flags.
// Every key is described once in a table (config_keys.cpp) that drives all three sources and
// the documented example config/auralis.toml.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "auralis/music/params.hpp"

namespace auralis::config {

// [icecast]: push one session to an Icecast mount as a source client, so Icecast's relays can
// serve more listeners than one Auralis machine.
struct IcecastConfig {
  bool enabled = false;
  std::string session = "default";  // id of the session to push
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::string mount = "/auralis.ogg";
  std::string user = "source";
  std::string password;
  bool tls = false;
  bool tls_verify = true;  // check the server's certificate and host name (tls only)
  std::string name;        // Ice-Name; empty: server.stream_name
};

struct Config {
  // [server]
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8000;
  int io_threads = 1;
  int media_threads = 0;  // pacing + Opus encoding threads; 0: one per core
  std::string stream_name = "Auralis";
  std::string stream_description = "Endless generative ambient music";
  std::string tls_cert;  // PEM certificate chain: serve HTTPS/WSS (browsers need a secure context)
  std::string tls_key;   // PEM private key
  std::string public_url;  // http[s]://host[:port] clients use; empty: the request's Host
  // [log]
  std::string log_level = "info";
  // [audio]
  int bitrate_kbps = 128;
  int complexity = 10;
  int page_ms = 40;
  // [stream]
  int burst_ms = 500;
  int fanout_ms = 100;
  int http_write_ms = 1000;  // HTTP listeners: audio per write pass (whole batches)
  int listener_queue_ms = 4000;
  int listener_queue_kib = 512;
  int listener_sndbuf_kib = 64;
  int write_timeout_s = 10;
  // [formats]: the mounts besides Ogg Opus, each encoded once per session while listened to
  bool mp3 = true;  // /stream/{id}.mp3 (LAME, CBR)
  int mp3_bitrate_kbps = 160;
  bool aac = true;              // /stream/{id}.aac (AAC-LC in ADTS)
  int aac_bitrate_kbps = 128;   // also the HLS AAC variant's
  int format_idle_stop_s = 10;  // an encoder stops this long after its last listener
  int icy_metaint = 16000;      // audio bytes between ICY metadata blocks (Icy-MetaData: 1)
  int format_burst_ms = 4000;   // audio a new MP3/AAC listener gets at once
  // [hls]: /hls/{id}/index.m3u8
  bool hls = true;
  int hls_segment_s = 4;
  int hls_window_segments = 5;
  bool hls_opus = true;  // the Opus-in-fMP4 variant besides AAC-LC in MPEG-TS
  int hls_idle_stop_s = 30;
  // [engine]
  std::string engine = "auto";   // auto | cpu | torch
  std::string device = "auto";   // auto | cpu | cuda | cuda:N
  int render_workers = 0;        // 0: one per core
  int lookahead_ms = 500;        // finished audio kept ahead of playback, at least
  int deadline_margin_ms = 200;  // first engine must finish a unit this long before it plays
  int fallback_margin_ms = 50;   // last engine must finish this long before
  // [faults]: injected delays/failures per engine (an operator drill; off by default)
  struct Faults {
    int delay_ms = 0;
    double failure_probability = 0;
  };
  Faults faults_torch;
  Faults faults_cpu;
  // [api]
  std::string api_token;  // non-empty: POST/PATCH/DELETE need "Authorization: Bearer <token>"
  std::string cors_origin = "*";  // Access-Control-Allow-Origin for the API; empty: no CORS headers
  int max_sessions = 32;
  // [limits]
  int max_listeners = 15000;  // all sessions, both transports
  int max_listeners_per_session = 10000;
  int max_listeners_per_ip = 100;   // 0: no per-address limit
  int header_timeout_s = 10;        // a request's headers and body must arrive within this
  int keepalive_timeout_s = 30;     // idle keep-alive connections are closed after this
  int ws_max_message_bytes = 4096;  // largest WebSocket message a client may send
  int idle_session_stop_s = 0;      // API sessions without listeners this long are ended (0: never)
  // [session]: the default session started at start-up
  std::string default_session = "default";
  music::SessionParams session;
  bool session_seed_random = true;  // seed = 0 in the file means "random at start-up"
  // [state]
  std::string state_dir;  // sessions created through the API are kept here; empty: not kept
  // [icecast]
  IcecastConfig icecast;
};

// Thrown with a message naming the key (and the source: file, env or flag).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct KeyInfo {
  std::string name;         // "audio.bitrate_kbps"
  std::string env;          // "AURALIS_AUDIO_BITRATE_KBPS"
  std::string description;  // one line, with range and unit
  std::string default_value;
};

// All keys, in documentation order.
const std::vector<KeyInfo>& keys();

// Sets one key from text ("audio.bitrate_kbps", "96"); throws ConfigError naming the key.
void set_key(Config& config, const std::string& key, const std::string& value);
std::string get_key(const Config& config, const std::string& key);

// Applies a TOML file; unknown keys and bad values are errors naming the key and file.
void apply_toml_file(Config& config, const std::string& path);
void apply_toml_string(Config& config, const std::string& text, const std::string& origin);

// Applies AURALIS_<SECTION>_<KEY> variables from `environ` (or the given list "NAME=value").
// Returns the AURALIS_* names that match no key, for the caller to warn about.
std::vector<std::string> apply_environment(Config& config);
std::vector<std::string> apply_environment(Config& config, const std::vector<std::string>& entries);

// Cross-field checks after all sources are applied; throws ConfigError.
void validate(const Config& config);

// Session ids (session.name, icecast.session, the API's): 1-64 of [A-Za-z0-9_-].
bool valid_session_id(const std::string& id);

}  // namespace auralis::config
