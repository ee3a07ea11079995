#include "api/metrics_text.hpp"

#include <sstream>

namespace auralis::server {
namespace {

class Writer {
 public:
  void metric(const std::string& name, const std::string& type, const std::string& help) {
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  template <typename T>
  void sample(const std::string& name, const T& value, const std::string& labels = "") {
    out_ << name;
    if (!labels.empty()) out_ << "{" << labels << "}";
    out_ << " " << value << "\n";
  }
  void histogram(const std::string& name, const std::string& help, const devices::Histogram& h) {
    metric(name, "histogram", help);
    const auto snap = h.snapshot();
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < devices::Histogram::kBounds.size(); ++i) {
      cumulative += snap.counts[i];
      std::ostringstream le;
      le << devices::Histogram::kBounds[i];
      sample(name + "_bucket", cumulative, "le=\"" + le.str() + "\"");
    }
    cumulative += snap.counts.back();
    sample(name + "_bucket", cumulative, "le=\"+Inf\"");
    sample(name + "_sum", snap.sum);
    sample(name + "_count", snap.count);
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

std::string render_metrics(const SessionManager& sessions, const ListenerMetrics& l,
                           const std::optional<IcecastStatus>& icecast) {
  Writer w;
  const auto all = sessions.all();
  w.metric("auralis_sessions", "gauge", "Live sessions.");
  w.sample("auralis_sessions", all.size());

  w.metric("auralis_listeners", "gauge", "Listeners now connected, by transport.");
  w.sample("auralis_listeners", l.http_listeners.load(), "transport=\"http\"");
  w.sample("auralis_listeners", l.ws_listeners.load(), "transport=\"ws\"");
  w.metric("auralis_listeners_total", "counter", "Listeners that ever connected, by transport.");
  w.sample("auralis_listeners_total", l.http_listeners_total.load(), "transport=\"http\"");
  w.sample("auralis_listeners_total", l.ws_listeners_total.load(), "transport=\"ws\"");
  w.metric("auralis_bytes_sent_total", "counter", "Stream bytes written to listeners.");
  w.sample("auralis_bytes_sent_total", l.bytes_sent.load());
  w.metric("auralis_listener_writes_total", "counter",
           "Socket writes to listeners (pages are coalesced).");
  w.sample("auralis_listener_writes_total", l.writes.load());
  w.metric("auralis_listener_skips_total", "counter",
           "Times a slow listener was moved forward to the live edge.");
  w.sample("auralis_listener_skips_total", l.skips.load());
  w.metric("auralis_listener_drops_total", "counter",
           "Listeners disconnected for being too slow (skipped to the live edge too often, or a "
           "write stalled past stream.write_timeout_s).");
  w.sample("auralis_listener_drops_total", l.drops.load());
  w.metric("auralis_listener_held_bytes", "gauge",
           "Audio bytes queued for or being written to listeners (a slow listener's backlog).");
  w.sample("auralis_listener_held_bytes", l.held_bytes.load());
  w.metric("auralis_faults_total", "counter",
           "Exceptions caught by a barrier, by where: a route handler (answered 500), a network "
           "or media thread's handler (that connection or session ended; the daemon ran on).");
  w.sample("auralis_faults_total", l.faults_route.load(), "where=\"route\"");
  w.sample("auralis_faults_total", l.faults_network.load(), "where=\"network\"");
  w.sample("auralis_faults_total", l.faults_media.load(), "where=\"media\"");
  w.metric("auralis_http_write_delay_seconds", "gauge",
           "For HTTP listeners that keep up, the longest a page waited from publication to the "
           "write carrying it: in the last write pass, and the most since start "
           "(bound: stream.http_write_ms plus scheduling).");
  w.sample("auralis_http_write_delay_seconds", l.http_write_delay_last_us.load() / 1e6,
           "pass=\"last\"");
  w.sample("auralis_http_write_delay_seconds", l.http_write_delay_max_us.load() / 1e6,
           "pass=\"max\"");
  w.metric("auralis_ws_floods_total", "counter",
           "WebSocket listeners closed (1008) for sending too many frames.");
  w.sample("auralis_ws_floods_total", l.ws_floods.load());
  w.metric("auralis_accept_errors_total", "counter",
           "Failed accepts (out of descriptors or memory); each one backs the accept loop off.");
  w.sample("auralis_accept_errors_total", l.accept_errors.load());
  w.metric("auralis_http_requests_total", "counter", "HTTP requests answered.");
  w.sample("auralis_http_requests_total", l.requests.load());

  const auto& f = *sessions.format_metrics();
  w.metric("auralis_format_listeners", "gauge",
           "Listeners now connected to a byte-stream mount, by format (HLS clients hold no "
           "connection: see auralis_hls_requests_total).");
  w.sample("auralis_format_listeners", f.mp3_listeners->load(), "format=\"mp3\"");
  w.sample("auralis_format_listeners", f.aac_listeners->load(), "format=\"aac\"");
  w.metric("auralis_format_encoders", "gauge",
           "Encoders running now, all sessions, by format (each runs only while listened to; "
           "hls_opus segments the session's Opus, hls uses the aac encoder).");
  w.metric("auralis_format_encoder_starts_total", "counter", "Encoder starts, by format.");
  w.metric("auralis_format_encode_cpu_seconds_total", "counter",
           "CPU time spent encoding and muxing, by format (catch-up included).");
  for (int i = 0; i < kExtraFormats; ++i) {
    const std::string label =
        "format=\"" + std::string(format_label(static_cast<ExtraFormat>(i))) + "\"";
    w.sample("auralis_format_encoders", f.encoders_running[i].load(), label);
    w.sample("auralis_format_encoder_starts_total", f.encoder_starts[i].load(), label);
    w.sample("auralis_format_encode_cpu_seconds_total",
             static_cast<double>(f.encode_cpu_ns[i].load()) / 1e9, label);
  }
  w.metric("auralis_hls_sessions", "gauge", "Sessions segmenting HLS now.");
  w.sample("auralis_hls_sessions", f.hls_sessions.load());
  w.metric("auralis_hls_requests_total", "counter", "HLS requests, by kind.");
  w.sample("auralis_hls_requests_total", f.hls_playlist_requests.load(), "kind=\"playlist\"");
  w.sample("auralis_hls_requests_total", f.hls_segment_requests.load(), "kind=\"segment\"");

  const auto m = sessions.metrics();
  w.metric("auralis_phrases_total", "counter",
           "Phrases played, by the engine that rendered them (silence: none in time).");
  for (const auto& [engine, n] : m->phrases_by_engine())
    w.sample("auralis_phrases_total", n, "engine=\"" + engine + "\"");
  w.metric("auralis_deadline_misses_total", "counter", "Renders abandoned at their deadline.");
  w.sample("auralis_deadline_misses_total", m->deadline_misses.load());
  w.metric("auralis_fallbacks_to_cpu_total", "counter",
           "Phrases handed to the CPU engine after the first engine missed or failed.");
  w.sample("auralis_fallbacks_to_cpu_total", m->fallbacks_to_cpu.load());
  w.metric("auralis_silent_phrases_total", "counter",
           "Phrases played as silence because no engine rendered them in time.");
  w.sample("auralis_silent_phrases_total", m->silent_phrases.load());
  w.metric("auralis_render_failures_total", "counter", "Engine renders that failed with an error.");
  w.sample("auralis_render_failures_total", m->render_failures.load());
  w.metric("auralis_underrun_frames_total", "counter",
           "20 ms frames with nothing planned to play.");
  w.sample("auralis_underrun_frames_total", m->underrun_frames.load());
  w.histogram("auralis_render_seconds",
              "Engine time per phrase (a batched pass counts once per job).", m->render_seconds);
  w.histogram("auralis_mix_seconds", "Effects and master time per phrase.", m->mix_seconds);

  if (const auto journal = sessions.journal_health()) {
    w.metric("auralis_store_writable", "gauge",
             "1 when the session store's last write succeeded; 0 while changes are refused (503).");
    w.sample("auralis_store_writable", journal->writable ? 1 : 0);
    w.metric("auralis_store_write_failures_total", "counter",
             "Session store writes that failed (the change was refused, nothing changed).");
    w.sample("auralis_store_write_failures_total", journal->write_failures);
  }
  if (icecast) {
    w.metric("auralis_icecast_connected", "gauge", "1 while the Icecast source is connected.");
    w.sample("auralis_icecast_connected", icecast->connected ? 1 : 0);
    w.metric("auralis_icecast_connects_total", "counter", "Successful Icecast source connections.");
    w.sample("auralis_icecast_connects_total", icecast->connects);
    w.metric("auralis_icecast_failures_total", "counter",
             "Failed Icecast connection attempts and lost connections.");
    w.sample("auralis_icecast_failures_total", icecast->failures);
    w.metric("auralis_icecast_bytes_sent_total", "counter", "Stream bytes pushed to Icecast.");
    w.sample("auralis_icecast_bytes_sent_total", icecast->bytes_sent);
    w.metric("auralis_icecast_skips_total", "counter",
             "Times the Icecast push skipped to the live edge.");
    w.sample("auralis_icecast_skips_total", icecast->skips);
  }

  w.metric("auralis_lookahead_seconds", "gauge", "Finished audio ahead of playback, per session.");
  for (const auto& s : all)
    w.sample("auralis_lookahead_seconds", s->status().lookahead_s, "session=\"" + s->id() + "\"");
  w.metric("auralis_encoder_seconds_total", "counter",
           "CPU time spent encoding Opus (and pacing), per session.");
  for (const auto& s : all)
    w.sample("auralis_encoder_seconds_total", s->encode_seconds(), "session=\"" + s->id() + "\"");
  w.metric("auralis_packets_encoded_total", "counter", "Opus packets encoded, per session.");
  for (const auto& s : all)
    w.sample("auralis_packets_encoded_total", s->packets_encoded(), "session=\"" + s->id() + "\"");
  return w.str();
}

}  // namespace auralis::server
