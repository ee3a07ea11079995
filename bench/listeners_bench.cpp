// listeners_bench: the fan-out cost of the auralis daemon against Debian's icecast2, both in one
// run on the same audio, in steady state.
//
// Each round starts a fresh daemon, icecast2 (as its own unprivileged user, queue 512 KiB,
// burst 64 KiB, open-file limit raised) and ffmpeg as icecast2's source client, relaying the
// daemon's default stream (`ffmpeg -i http://.../stream/default.ogg -c copy -f ogg
// icecast://...`). Then, for each listener count N and each server in turn (the order reverses
// every other round):
//   1. the server's CPU with no bench listener (the daemon's render + encode; icecast2 reading
//      its source), from utime + stime in /proc/PID/stat, for the figures net of it;
//   2. N plain HTTP/1.1 GETs (WebSocket upgrades for auralis-ws), opened briskly;
//   3. a wait until every listener is admitted and, over a check window, each receives at least
//      0.75 s of audio per second; a server that does not get there within the bounds is
//      reported as not steady, and its figures stay out of the summary;
//   4. the measured window: server CPU and RSS, what each listener received (under 0.9 s of
//      audio per second counts as behind), and the daemon's own counters (writes, skips,
//      drops) from /metrics.
// An HTTP listener's audio comes from the granule positions of the Ogg pages it receives (a
// page less for icecast2, which writes whole pages); a WebSocket listener's is its bytes over
// the live rate that a reference listener measured on the idle daemon at the start of the
// round. The daemon's idle figure includes its reference listeners and ffmpeg (two or three
// listeners).
//
// --format mp3 measures the MP3 mounts instead: the daemon's /stream/default.mp3 (LAME CBR,
// encoded once for the session and shared by its listeners) against an icecast2 mount fed the
// same MP3 bytes (`ffmpeg -i http://.../stream/default.mp3 -c copy -f mp3 -content_type
// audio/mpeg icecast://...`). A listener's audio is then the frames whose headers it received
// (1,152 samples each; at constant bitrate its bytes over the bitrate). The daemon's idle
// figure then includes its MP3 encoder too, which runs for the reference listener and ffmpeg.
//
// Everything runs on 127.0.0.1 and is bounded in time; every child is stopped on every exit
// path (and killed with the bench: PR_SET_PDEATHSIG).
//
// The client is one thread on epoll: one recv per arrival, a short nap between polls so that
// arrivals are read in batches; its own CPU is printed beside the servers'. It connects as fast
// as --ramp-per-s allows: Icecast 2.4 listens with a backlog of 5, and a SYN dropped on its full
// accept queue is sent again by the kernel only after 1, 3, 7... s, so a connect unanswered for
// --connect-retry-ms starts again at once. (Keeping a few connections pending until their
// response arrived, as this bench once did, held icecast2 to ~30 admissions a second: it
// answers a listener only on its source thread's next pass.)
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "listeners/child_process.hpp"
#include "listeners/clock.hpp"
#include "listeners/load_client.hpp"
#include "listeners/loopback_http.hpp"
#include "listeners/proc_stats.hpp"

using namespace listeners_bench;

namespace {

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  std::string auralis_bin;
  std::string icecast_bin = "icecast2";
  std::string ffmpeg_bin = "ffmpeg";
  std::vector<int> counts{1000, 5000};
  int rounds = 2;                // each configuration this many times, fresh servers each round
  double window_s = 20;          // measured window
  double baseline_s = 8;         // idle CPU before the listeners connect
  ClientPacing pacing;           // the load client: ramp, connects in flight, retries, nap
  double admit_rate = 20;        // admission fails when slower (listeners/s): 20 s + N / this
  double settle_s = 2;           // after the last admission, before the steady check
  double check_s = 6;            // steady check window (several of icecast2's 1 s pages)
  double steady_timeout_s = 60;  // steady state must come within this after admission
  double late_gap_s = 2.5;       // a listener with a data gap longer than this is late
  int icecast_page_ms = 1000;    // ffmpeg's Ogg page duration (its default: 1 s)
  double max_total_s = 0;        // hard limit for the run (0: computed from the plan)
  StreamFormat format = StreamFormat::ogg;  // the mounts measured: Ogg Opus or MP3
  std::vector<std::string> servers{"auralis", "icecast"};
  std::vector<std::string> sets;  // extra --set key=value for the daemon
};

void usage() {
  std::puts(
      "listeners_bench [AURALIS_BIN] [options]\n"
      "  AURALIS_BIN          the auralis executable (or --auralis PATH, or env AURALIS_BIN)\n"
      "  --counts LIST        listener counts, comma-separated (default 1000,5000; up to the\n"
      "                       open-file limit less 200)\n"
      "  --rounds R           rounds, fresh servers each, server order alternating (default 2)\n"
      "  --seconds S          measured window (default 20)\n"
      "  --baseline S         idle CPU measurement before each ramp (default 8)\n"
      "  --ramp-per-s R       new connections per second, at most (default 1000)\n"
      "  --max-pending N      connections not yet answered, at most (default 10000)\n"
      "  --max-connecting N   connects whose handshake is not yet answered, at most (default 64)\n"
      "  --connect-retry-ms MS  a connect unanswered this long starts again (default 250:\n"
      "                       icecast2 listens with a backlog of 5; a SYN dropped on a full\n"
      "                       accept queue is sent again by the kernel only after 1, 3, 7... s)\n"
      "  --admit-rate R       admission must average R listeners/s: it may take 20 s + N / R\n"
      "                       (default 20)\n"
      "  --settle S           wait after the last admission (default 2)\n"
      "  --check S            steady check window: every listener >= 75% of live (default 6)\n"
      "  --steady-timeout S   steady state must come within S after admission (default 60)\n"
      "  --late-gap S         data gap that makes a listener late (default 2.5)\n"
      "  --nap-ms MS          client nap between polls (default 10)\n"
      "  --format F           the mounts measured: ogg (default: /stream/default.ogg, icecast2\n"
      "                       relaying it as Ogg) or mp3 (/stream/default.mp3, icecast2 relaying\n"
      "                       the same MP3 bytes; a listener's audio is counted in MP3 frames)\n"
      "  --ws                 also measure the daemon's WebSocket listeners (/ws/default)\n"
      "  --no-icecast         the daemon only\n"
      "  --servers LIST       which, in order: auralis, icecast, auralis-ws (default\n"
      "                       auralis,icecast; icecast2's source is the daemon either way)\n"
      "  --icecast PATH       icecast2 executable (default icecast2)\n"
      "  --ffmpeg PATH        ffmpeg executable, icecast2's source client (default ffmpeg)\n"
      "  --icecast-page-ms MS Ogg page duration of the relayed stream (default 1000, ffmpeg's;\n"
      "                       icecast2 writes to a listener once per page)\n"
      "  --max-total S        hard limit for the run; children are killed (default: from the\n"
      "                       plan)\n"
      "  --set key=value      extra daemon setting (repeatable), e.g. stream.http_write_ms=1000");
}

Options parse_options(int argc, char** argv) {
  Options o;
  if (const char* env = std::getenv("AURALIS_BIN")) o.auralis_bin = env;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    auto number = [&]() { return std::stod(value()); };
    if (a == "--help" || a == "-h") {
      usage();
      std::exit(0);
    } else if (a == "--auralis") {
      o.auralis_bin = value();
    } else if (a == "--icecast") {
      o.icecast_bin = value();
    } else if (a == "--ffmpeg") {
      o.ffmpeg_bin = value();
    } else if (a == "--counts") {
      o.counts.clear();
      std::stringstream ss(value());
      for (std::string item; std::getline(ss, item, ',');) {
        const int n = std::stoi(item);
        if (n < 1) throw std::runtime_error("--counts: each count must be at least 1");
        o.counts.push_back(n);
      }
    } else if (a == "--rounds") {
      o.rounds = std::max(1, static_cast<int>(number()));
    } else if (a == "--seconds") {
      o.window_s = std::max(1.0, number());
    } else if (a == "--baseline") {
      o.baseline_s = std::max(1.0, number());
    } else if (a == "--ramp-per-s") {
      o.pacing.ramp_per_s = std::max(1, static_cast<int>(number()));
    } else if (a == "--connect-retry-ms") {
      o.pacing.connect_retry_ms = std::max(10, static_cast<int>(number()));
    } else if (a == "--max-connecting") {
      o.pacing.max_connecting = std::max(1, static_cast<int>(number()));
    } else if (a == "--max-pending") {
      o.pacing.max_pending = std::max(1, static_cast<int>(number()));
    } else if (a == "--admit-rate") {
      o.admit_rate = std::max(0.1, number());
    } else if (a == "--settle") {
      o.settle_s = number();
    } else if (a == "--check") {
      o.check_s = std::max(1.0, number());
    } else if (a == "--steady-timeout") {
      o.steady_timeout_s = number();
    } else if (a == "--late-gap") {
      o.late_gap_s = number();
    } else if (a == "--nap-ms") {
      o.pacing.nap_ms = std::max(0, static_cast<int>(number()));
    } else if (a == "--icecast-page-ms") {
      o.icecast_page_ms = std::max(1, static_cast<int>(number()));
    } else if (a == "--max-total") {
      o.max_total_s = number();
    } else if (a == "--format") {
      const std::string f = value();
      if (f != "ogg" && f != "mp3") throw std::runtime_error("--format: ogg or mp3, not " + f);
      o.format = f == "mp3" ? StreamFormat::mp3 : StreamFormat::ogg;
    } else if (a == "--ws") {
      if (std::find(o.servers.begin(), o.servers.end(), "auralis-ws") == o.servers.end())
        o.servers.push_back("auralis-ws");
    } else if (a == "--no-icecast") {
      std::erase(o.servers, "icecast");
    } else if (a == "--servers") {
      o.servers.clear();
      std::stringstream ss(value());
      for (std::string item; std::getline(ss, item, ',');) {
        if (item != "auralis" && item != "icecast" && item != "auralis-ws")
          throw std::runtime_error("--servers: auralis, icecast or auralis-ws, not " + item);
        o.servers.push_back(item);
      }
    } else if (a == "--set") {
      o.sets.push_back(value());
    } else if (!a.starts_with("-")) {
      o.auralis_bin = a;
    } else {
      throw std::runtime_error("unknown option " + a + " (see --help)");
    }
  }
  if (o.auralis_bin.empty())
    throw std::runtime_error("give the auralis executable (argument or AURALIS_BIN)");
  if (o.counts.empty()) throw std::runtime_error("--counts is empty");
  if (o.servers.empty()) throw std::runtime_error("no server to measure");
  if (o.format == StreamFormat::mp3 &&
      std::find(o.servers.begin(), o.servers.end(), "auralis-ws") != o.servers.end())
    throw std::runtime_error("--format mp3 measures HTTP listeners: WebSocket carries Ogg Opus");
  return o;
}

const char* extension(const Options& o) {
  return o.format == StreamFormat::mp3 ? "mp3" : "ogg";
}

// The daemon's mount and icecast2's, in the format measured.
std::string stream_path(const Options& o) {
  return std::string("/stream/default.") + extension(o);
}
std::string icecast_mount(const Options& o) {
  return std::string("/auralis.") + extension(o);
}

bool measures(const Options& o, const std::string& server) {
  return std::find(o.servers.begin(), o.servers.end(), server) != o.servers.end();
}

// Ctrl-C, SIGTERM, SIGHUP or the --max-total alarm: the children go with the bench.
extern "C" void on_fatal_signal(int sig) {
  kill_children_now();
  const char msg[] =
      "listeners_bench: stopped by a signal or the --max-total limit; children killed\n";
  [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
  ::_exit(sig == SIGALRM ? 3 : 128 + sig);
}

// The stream's live rate from a reference listener on the daemon (the same window for the
// figures; since past its burst for the round's line).
struct Reference {
  int group = -1;
  Clock::time_point t0{};
  std::uint64_t bytes0 = 0;
  bool started = false;

  double kib_s(LoadClient& client) {
    Group& g = client.group(group);
    if (g.conns.empty() || g.conns[0].state != State::body) return 0;
    if (!started) return 0;
    const double s = seconds_between(t0, Clock::now());
    return s > 0 ? static_cast<double>(g.conns[0].bytes - bytes0) / 1024.0 / s : 0;
  }
  // Bytes received so far; 0 when the reference lost the stream.
  std::uint64_t bytes(LoadClient& client) {
    Group& g = client.group(group);
    if (g.conns.empty() || g.conns[0].state != State::body) return 0;
    return g.conns[0].bytes;
  }
  // Audio position (s) of the stream the reference receives; negative when unknown.
  double audio_s(LoadClient& client) {
    Group& g = client.group(group);
    if (g.conns.empty() || !g.conns[0].clock) return -1;
    return g.conns[0].clock->audio_s();
  }
  // The MP3 bitrate in the reference's frame headers; 0 for Ogg or before the first frame.
  int mp3_kbps(LoadClient& client) {
    Group& g = client.group(group);
    if (g.conns.empty()) return 0;
    const auto* mp3 = dynamic_cast<const Mp3Clock*>(g.conns[0].clock.get());
    return mp3 ? mp3->kbps() : 0;
  }
  void mark(LoadClient& client) {
    Group& g = client.group(group);
    if (g.conns.empty() || g.conns[0].state != State::body) return;
    t0 = Clock::now();
    bytes0 = g.conns[0].bytes;
    started = true;
  }
};

// ---------------------------------------------------------------------------------------------
// The servers of one round

bool wait_for_status(unsigned short port, const std::string& path, int want, double timeout_s,
                     Child& child) {
  const auto deadline = after(timeout_s);
  while (Clock::now() < deadline) {
    if (!child.alive()) return false;
    if (http_status(port, path) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::vector<std::string> auralis_args(const Options& o, unsigned short port) {
  std::vector<std::string> a = {o.auralis_bin, "--listen", "127.0.0.1:" + std::to_string(port)};
  // Room for every bench listener from one address, and a fixed seed so that rounds play the
  // same music; --set from the command line comes later and wins.
  for (const std::string s :
       {"log.level=warn", "limits.max_listeners=30000", "limits.max_listeners_per_session=30000",
        "limits.max_listeners_per_ip=0", "engine.primary=cpu", "session.seed=7"}) {
    a.push_back("--set");
    a.push_back(s);
  }
  for (const auto& s : o.sets) {
    a.push_back("--set");
    a.push_back(s);
  }
  return a;
}

// Icecast refuses to run as root: as root the bench runs it as Debian's icecast2 user.
std::optional<RunAs> icecast_user() {
  if (::geteuid() != 0) return std::nullopt;
  for (const char* name : {"icecast2", "icecast", "nobody"})
    if (const passwd* pw = ::getpwnam(name)) return RunAs{pw->pw_uid, pw->pw_gid, name};
  throw std::runtime_error("running as root and no icecast2 or nobody user to run icecast2 as");
}

std::string icecast_config(const std::string& dir, unsigned short port, const std::string& password,
                           int clients) {
  const std::string path = dir + "/icecast.xml";
  std::ofstream f(path);
  // As its users run it for a large audience: queue 512 KiB, burst 64 KiB (Icecast's own
  // defaults), room for every listener.
  f << "<icecast>\n"
       "  <location>loopback</location>\n  <admin>bench@localhost</admin>\n"
       "  <limits>\n"
       "    <clients>"
    << clients
    << "</clients>\n    <sources>2</sources>\n"
       "    <queue-size>524288</queue-size>\n    <client-timeout>30</client-timeout>\n"
       "    <header-timeout>15</header-timeout>\n    <source-timeout>10</source-timeout>\n"
       "    <burst-on-connect>1</burst-on-connect>\n    <burst-size>65536</burst-size>\n"
       "  </limits>\n"
       "  <authentication>\n    <source-password>"
    << password << "</source-password>\n    <admin-user>admin</admin-user>\n    <admin-password>"
    << password
    << "</admin-password>\n  </authentication>\n"
       "  <hostname>127.0.0.1</hostname>\n"
       "  <listen-socket>\n    <port>"
    << port
    << "</port>\n    <bind-address>127.0.0.1</bind-address>\n  </listen-socket>\n"
       "  <fileserve>0</fileserve>\n"
       "  <paths>\n    <basedir>/usr/share/icecast2</basedir>\n    <logdir>"
    << dir
    << "</logdir>\n"
       "    <webroot>/usr/share/icecast2/web</webroot>\n"
       "    <adminroot>/usr/share/icecast2/admin</adminroot>\n  </paths>\n"
       "  <logging>\n    <accesslog>icecast-access.log</accesslog>\n"
       "    <errorlog>icecast-error.log</errorlog>\n    <loglevel>2</loglevel>\n"
       "  </logging>\n"
       "  <security>\n    <chroot>0</chroot>\n  </security>\n</icecast>\n";
  return path;
}

struct Round {
  std::string dir;
  std::unique_ptr<Child> auralis, icecast, ffmpeg;
  unsigned short aport = 0, iport = 0;
  long auralis_idle_rss_kib = 0, icecast_idle_rss_kib = 0;
  Reference ref_http, ref_ws;
  // The live rates (KiB/s) measured with no load: a reference listener under load could fall
  // behind with the others and hide it. MP3: the bitrate of its frames (constant), and what
  // the reference received (its burst's tail and the 1 s writes round it up or down).
  double http_live = 0, ws_live = 0, http_received = 0;
  int mp3_kbps = 0;

  ~Round() {  // the source first, then the servers
    ffmpeg.reset();
    icecast.reset();
    auralis.reset();
  }
};

void start_round(const Options& o, const std::optional<RunAs>& ice_as, LoadClient& client, Round& r,
                 int round) {
  r.aport = free_port();
  r.auralis = std::make_unique<Child>("auralis", auralis_args(o, r.aport),
                                      r.dir + "/auralis-round" + std::to_string(round) + ".log");
  if (!wait_for_status(r.aport, "/readyz", 200, 60, *r.auralis))
    throw std::runtime_error("auralis did not become ready within 60 s; " + r.auralis->log() +
                             ":\n" + tail_of(r.auralis->log()));
  // The live rate comes from reference listeners on the daemon, held for the whole round.
  r.ref_http.group =
      client.open_group("reference", r.aport, stream_path(o), Transport::http, 1, o.format);

  if (measures(o, "auralis-ws"))
    r.ref_ws.group = client.open_group("reference-ws", r.aport, "/ws/default", Transport::ws, 1);

  if (measures(o, "icecast")) {
    r.iport = free_port();
    const std::string password = "bench" + std::to_string(::getpid());
    const int max_n = *std::max_element(o.counts.begin(), o.counts.end());
    const std::string conf = icecast_config(r.dir, r.iport, password, max_n + 100);
    r.icecast =
        std::make_unique<Child>("icecast2", std::vector<std::string>{o.icecast_bin, "-c", conf},
                                r.dir + "/icecast-round" + std::to_string(round) + ".out", ice_as);
    const auto deadline = after(20);
    while (http_status(r.iport, "/") == 0 && Clock::now() < deadline && r.icecast->alive())
      client.run_until(after(0.1));
    if (!r.icecast->alive() || http_status(r.iport, "/") == 0)
      throw std::runtime_error("icecast2 did not start within 20 s:\n" + tail_of(r.icecast->log()) +
                               tail_of(r.dir + "/icecast-error.log"));
    // The daemon's stream as it is (-c copy): Ogg in pages of --icecast-page-ms, MP3 frames.
    const std::string input = "http://127.0.0.1:" + std::to_string(r.aport) + stream_path(o);
    std::vector<std::string> relay = {o.ffmpeg_bin, "-nostdin", "-hide_banner",
                                      "-loglevel",  "warning",  "-i",
                                      input,        "-c",       "copy"};
    if (o.format == StreamFormat::mp3)
      relay.insert(relay.end(), {"-f", "mp3", "-content_type", "audio/mpeg"});
    else
      relay.insert(relay.end(),
                   {"-f", "ogg", "-page_duration", std::to_string(o.icecast_page_ms * 1000LL),
                    "-content_type", "audio/ogg"});
    relay.insert(relay.end(), {"-ice_name", "auralis listeners_bench",
                               "icecast://source:" + password +
                                   "@127.0.0.1:" + std::to_string(r.iport) + icecast_mount(o)});
    r.ffmpeg = std::make_unique<Child>("ffmpeg", relay,
                                       r.dir + "/ffmpeg-round" + std::to_string(round) + ".log");
    const auto live_by = after(30);
    bool live = false;
    while (!live && Clock::now() < live_by && r.ffmpeg->alive() && r.icecast->alive()) {
      client.run_until(after(0.2));
      live = http_status(r.iport, icecast_mount(o)) == 200;
    }
    if (!live)
      throw std::runtime_error("the icecast2 mount never went live within 30 s; ffmpeg:\n" +
                               tail_of(r.ffmpeg->log()) + "\nicecast2:\n" +
                               tail_of(r.dir + "/icecast-error.log"));
  }
  // Past the references' bursts and the first phrase: then the live rate is counted.
  client.run_until(after(4));
  r.ref_http.mark(client);
  if (measures(o, "auralis-ws")) r.ref_ws.mark(client);
  client.run_until(after(6));
  r.http_live = r.http_received = r.ref_http.kib_s(client);
  r.mp3_kbps = r.ref_http.mp3_kbps(client);
  if (o.format == StreamFormat::mp3 && r.mp3_kbps <= 0)
    throw std::runtime_error("the MP3 reference listener read no MP3 frame from the daemon");
  if (r.mp3_kbps > 0) r.http_live = r.mp3_kbps * 1000.0 / 8 / 1024;
  if (measures(o, "auralis-ws")) r.ws_live = r.ref_ws.kib_s(client);
  if (r.http_live <= 0 || (measures(o, "auralis-ws") && r.ws_live <= 0))
    throw std::runtime_error("the reference listeners got no stream from the idle daemon");
  r.auralis_idle_rss_kib = sample_process(r.auralis->pid()).rss_kib;
  if (r.icecast) r.icecast_idle_rss_kib = sample_process(r.icecast->pid()).rss_kib;
}

// ---------------------------------------------------------------------------------------------
// One measurement: a server, N listeners, steady state.

struct Result {
  std::string server;  // auralis, icecast, auralis-ws
  int n = 0, round = 0;
  bool steady = false;
  std::string error;
  double admit_s = 0, steady_s = 0, window_s = 0;
  double idle_cores = 0, gross_cores = 0;
  double gross_us = 0, net_us = 0;  // server CPU us per listener-second
  long idle_rss_kib = 0, rss_kib = 0, rss_peak_kib = 0;
  double rss_per_listener_kib = 0;         // (RSS in the window - the fresh server's idle RSS) / N
  double ramp_rss_per_listener_kib = 0;    // (RSS in the window - RSS before this ramp) / N
  double audio_rate = 0;                   // the stream's audio seconds per second in the window
  double ref_kib_s = 0;                    // the reference listener's rate in the window
  double min_share = 0, median_share = 0;  // of the live stream (audio s per s over HTTP)
  bool daemon_metrics = false;             // the daemon's counters over the window (/metrics)
  double server_writes_per_ls = 0;         // socket writes per listener-second
  double skips = 0, drops = 0, skips_before = 0, drops_before = 0, underruns = 0, misses = 0;
  double live_kib_s = 0, min_kib_s = 0, median_kib_s = 0, max_kib_s = 0;
  int held = 0, behind = 0, late = 0, dropped = 0, failed = 0;
  int clockless = 0;  // HTTP listeners whose stream framing could not be followed (by bytes)
  double max_gap_s = 0, reads_per_ls = 0;
  double client_cores = 0, machine_busy = 0, load = 0;
};

std::string format(const char* fmt, double x) {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, x);
  return buf;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

Result measure(const Options& o, LoadClient& client, Round& r, const std::string& server, int n,
               int round) {
  const bool ws = server == "auralis-ws";
  const bool ice = server == "icecast";
  Child& child = ice ? *r.icecast : *r.auralis;
  const unsigned short port = ice ? r.iport : r.aport;
  const std::string path = ice ? icecast_mount(o) : ws ? "/ws/default" : stream_path(o);
  Reference& ref = ws ? r.ref_ws : r.ref_http;
  // The live rate, as the idle daemon sent it. (The reference's audio clock is printed, not
  // used: on a loaded daemon it shows delivery falling behind as much as a slow renderer, and
  // the daemon counts its underruns itself.)
  const double live = ws ? r.ws_live : r.http_live;
  // icecast2 writes whole pages of a relayed Ogg stream: a listener's count over a window may
  // be a page short of the audio that went by. (An MP3 source it writes on as it reads it.)
  const double page_s = ice && o.format == StreamFormat::ogg ? o.icecast_page_ms / 1000.0 : 0.0;
  auto floor_of = [&](double share, double seconds) {
    return share * std::max(0.0, 1.0 - page_s / seconds);
  };
  // A listener's share of the live stream between two snapshots: audio seconds per second
  // from its Ogg pages' granule positions or MP3 frames (HTTP), else its bytes over the live
  // rate (WebSocket, or an HTTP listener whose clock lost step).
  auto share_of_live = [&](const Snapshot& a, const Snapshot& b, std::size_t i) {
    const double s = seconds_between(a.t, b.t);
    if (a.audio_s[i] >= 0 && b.audio_s[i] >= a.audio_s[i]) return (b.audio_s[i] - a.audio_s[i]) / s;
    return static_cast<double>(b.bytes[i] - a.bytes[i]) / 1024.0 / s / live;
  };
  Result res;
  res.server = server;
  res.n = n;
  res.round = round;
  res.idle_rss_kib = ice ? r.icecast_idle_rss_kib : r.auralis_idle_rss_kib;
  // The measured server, and for icecast2 its source too.
  auto alive = [&] { return child.alive() && (!ice || (r.ffmpeg->alive() && r.auralis->alive())); };
  auto tag = [&] {
    return "[round " + std::to_string(round) + " " + server + " N=" + std::to_string(n) + "]";
  };

  if (!alive()) {
    res.error = "the server (or icecast2's source) exited earlier in this round";
    std::printf("%s FAILED: %s\n", tag().c_str(), res.error.c_str());
    return res;
  }

  // 1. Idle: the server with no bench listener.
  const auto b0 = sample_process(child.pid());
  const auto bt0 = Clock::now();
  client.run_until(after(o.baseline_s), [&] { return !alive(); });
  const auto b1 = sample_process(child.pid());
  res.idle_cores = (b1.cpu_s - b0.cpu_s) / seconds_between(bt0, Clock::now());

  // 2. Admission: every listener answered.
  const long rss_before_ramp = sample_process(child.pid()).rss_kib;
  // The daemon's own counters: writes, listeners skipped to the live edge, dropped, render.
  const bool daemon = !ice;
  std::map<std::string, double> met_ramp, met0, met1;
  if (daemon) met_ramp = daemon_metrics(port);
  const int gi =
      client.open_group(server, port, path, ws ? Transport::ws : Transport::http, n, o.format);
  Group& g = client.group(gi);
  const auto t0 = Clock::now();
  const double admit_limit = 20 + static_cast<double>(n) / o.admit_rate;
  std::vector<double> queue;
  const long long overflows0 = listen_overflows();
  auto next_sample = Clock::now();
  client.run_until(after(admit_limit), [&] {
    if (Clock::now() >= next_sample) {  // how many wait for the server's accept()?
      next_sample = after(0.1);
      queue.push_back(accept_queue(port));
    }
    return !alive() || (static_cast<int>(g.conns.size()) == n && g.answered == n);
  });
  res.admit_s = seconds_between(t0, g.streaming > 0 ? g.last_admitted : Clock::now());
  auto counts_text = [&] {
    std::string s = std::to_string(g.streaming) + " streaming, " +
                    std::to_string(g.connect_retries) + " connects started again, " +
                    std::to_string(g.failed) + " failed, " + std::to_string(g.dropped) +
                    " dropped, " + std::to_string(static_cast<int>(g.conns.size()) - g.answered) +
                    " unanswered";
    for (const auto& [why, count] : g.failures) s += "; " + std::to_string(count) + "x " + why;
    return s;
  };
  std::string error;
  if (!alive())
    error = "a child exited during admission";
  else if (g.streaming != n)
    error = "not all admitted within " + std::to_string(static_cast<int>(admit_limit)) +
            " s: " + counts_text();
  const long long overflows = listen_overflows() - overflows0;
  const auto waiting = std::count_if(queue.begin(), queue.end(), [](double q) { return q > 0; });
  std::printf(
      "%s admission %.1f s (%.0f listeners/s): %s\n"
      "    waiting for the server's accept(): median %.0f, max %.0f, none in %.0f%% of %zu "
      "samples; %lld dropped on a full accept queue (the machine's ListenOverflows)\n",
      tag().c_str(), res.admit_s, res.admit_s > 0 ? g.streaming / res.admit_s : 0.0,
      counts_text().c_str(), median(queue),
      queue.empty() ? 0.0 : *std::max_element(queue.begin(), queue.end()),
      queue.empty() ? 0.0 : 100.0 * static_cast<double>(queue.size() - waiting) / queue.size(),
      queue.size(), overflows);
  std::fflush(stdout);

  // 3. Steady: over a check window every listener gets at least 75% of the live rate.
  if (error.empty()) {
    client.run_until(after(o.settle_s));
    const auto steady_by = after(o.steady_timeout_s);
    for (;;) {
      const Snapshot a = snapshot(g);
      client.run_until(after(o.check_s), [&] { return !alive(); });
      const Snapshot b = snapshot(g);
      const double s = seconds_between(a.t, b.t);
      int under = 0;
      for (std::size_t i = 0; i < b.bytes.size(); ++i)
        if (b.state[i] != State::body || share_of_live(a, b, i) < floor_of(0.75, s)) ++under;
      if (!alive()) {
        error = "a child exited before steady state";
        break;
      }
      if (under == 0) break;
      if (Clock::now() >= steady_by) {
        error = "not steady within " + std::to_string(static_cast<int>(o.steady_timeout_s)) +
                " s of admission: " + std::to_string(under) + " of " + std::to_string(n) +
                " under 75% of the live rate (or gone)";
        break;
      }
      std::printf("%s %d listeners under 75%% of the live rate; checking again\n", tag().c_str(),
                  under);
      std::fflush(stdout);
    }
    res.steady_s = seconds_between(t0, Clock::now());
  }

  // 4. The window (measured even when not steady, to show what the server did).
  for (auto& c : g.conns) c.max_gap_s = 0;
  if (daemon) met0 = daemon_metrics(port);
  const Snapshot w0 = snapshot(g);
  const auto s0 = sample_process(child.pid());
  const auto m0 = sample_machine();
  const double c0 = self_cpu_s();
  const double a0 = r.ref_http.audio_s(client);
  const std::uint64_t ref0 = ref.bytes(client);
  long peak = s0.rss_kib;
  const auto window_end = after(o.window_s);
  while (Clock::now() < window_end && alive()) {
    client.run_until(std::min(window_end, after(1)));
    peak = std::max(peak, sample_process(child.pid()).rss_kib);
  }
  const bool ok = alive();
  const auto s1 = sample_process(child.pid());
  const auto m1 = sample_machine();
  const double c1 = self_cpu_s();
  const Snapshot w1 = snapshot(g);
  const double a1 = r.ref_http.audio_s(client);
  if (daemon && ok) met1 = daemon_metrics(port);
  res.window_s = seconds_between(w0.t, w1.t);
  const std::uint64_t ref1 = ref.bytes(client);
  res.ref_kib_s =
      ref0 > 0 && ref1 > ref0 ? static_cast<double>(ref1 - ref0) / 1024.0 / res.window_s : 0;
  res.audio_rate = a0 >= 0 && a1 >= 0 ? (a1 - a0) / res.window_s : 0;
  res.live_kib_s = live;
  res.load = load_average();
  if (!ok && error.empty()) error = "a child exited during the window";

  res.gross_cores = (s1.cpu_s - s0.cpu_s) / res.window_s;
  res.gross_us = res.gross_cores / n * 1e6;
  res.net_us = (res.gross_cores - res.idle_cores) / n * 1e6;
  res.client_cores = (c1 - c0) / res.window_s;
  res.machine_busy = m1.total > m0.total ? static_cast<double>(m1.busy - m0.busy) /
                                               static_cast<double>(m1.total - m0.total)
                                         : 0;
  res.rss_kib = s1.rss_kib;
  res.rss_peak_kib = peak;
  res.rss_per_listener_kib = static_cast<double>(s1.rss_kib - res.idle_rss_kib) / n;
  res.ramp_rss_per_listener_kib = static_cast<double>(s1.rss_kib - rss_before_ramp) / n;
  std::vector<double> rates, shares;
  double reads = 0;
  const auto now = Clock::now();
  for (std::size_t i = 0; i < w1.bytes.size(); ++i) {
    if (w0.state[i] != State::body) continue;
    const Conn& c = g.conns[i];
    if (c.state == State::body) ++res.held;
    if (c.state == State::dropped) ++res.dropped;
    const double gap =
        c.state == State::body ? std::max(c.max_gap_s, seconds_between(c.last_data, now)) : 1e9;
    if (gap > o.late_gap_s) ++res.late;
    if (c.state == State::body) res.max_gap_s = std::max(res.max_gap_s, gap);
    rates.push_back(static_cast<double>(w1.bytes[i] - w0.bytes[i]) / 1024.0 / res.window_s);
    shares.push_back(share_of_live(w0, w1, i));
    if (!ws && (w0.audio_s[i] < 0 || w1.audio_s[i] < 0)) ++res.clockless;
    reads += w1.reads[i] - w0.reads[i];
  }
  res.failed = g.failed;
  res.dropped = g.dropped;
  if (!rates.empty()) {
    std::sort(rates.begin(), rates.end());
    res.min_kib_s = rates.front();
    res.median_kib_s = median(rates);
    res.max_kib_s = rates.back();
    std::sort(shares.begin(), shares.end());
    res.min_share = shares.front();
    res.median_share = median(shares);
    for (double x : shares)
      if (x < floor_of(0.9, res.window_s)) ++res.behind;
    res.reads_per_ls = reads / static_cast<double>(rates.size()) / res.window_s;
  }
  // Listeners that never streamed count as behind too.
  res.behind += n - static_cast<int>(rates.size());
  if (daemon && !met1.empty()) {
    auto delta = [](auto& later, auto& earlier, const char* name) {
      return later[name] - earlier[name];
    };
    res.daemon_metrics = true;
    res.server_writes_per_ls =
        delta(met1, met0, "auralis_listener_writes_total") / (n + 1.0) / res.window_s;
    res.skips = delta(met1, met0, "auralis_listener_skips_total");
    res.drops = delta(met1, met0, "auralis_listener_drops_total");
    res.skips_before = delta(met0, met_ramp, "auralis_listener_skips_total");
    res.drops_before = delta(met0, met_ramp, "auralis_listener_drops_total");
    res.underruns = delta(met1, met0, "auralis_underrun_frames_total");
    res.misses = delta(met1, met0, "auralis_deadline_misses_total");
  }
  // The listeners' own counts decide; the daemon's skips and drops in the window are printed
  // (they count its reference listener and ffmpeg too).
  if (error.empty() && (res.behind > 0 || res.dropped > 0 || res.held != n))
    error = std::to_string(res.behind) + " under 90% of the live rate, " +
            std::to_string(res.dropped) + " dropped since admission";
  res.steady = error.empty();
  res.error = error;

  std::printf("%s %s%.1f s window\n", tag().c_str(),
              res.steady ? "" : "NOT STEADY, figures not comparable: ", res.window_s);
  std::printf(
      "    server CPU  %.2f%% of a core (idle before the ramp %.2f%%): %.1f us per "
      "listener-second, net of idle %.1f\n",
      res.gross_cores * 100, res.idle_cores * 100, res.gross_us, res.net_us);
  std::printf(
      "    server RSS  %.1f MiB (peak %.1f): %.2f KiB per listener over the fresh server's "
      "%.1f MiB, %.2f over the RSS before this ramp\n",
      static_cast<double>(res.rss_kib) / 1024, static_cast<double>(res.rss_peak_kib) / 1024,
      res.rss_per_listener_kib, static_cast<double>(res.idle_rss_kib) / 1024,
      res.ramp_rss_per_listener_kib);
  std::printf(
      "    listeners   %d held; share of the live stream (%s) min %.3f, median %.3f; KiB/s min "
      "%.2f, median %.2f, max %.2f (live %.2f; the reference listener %.2f, its audio clock "
      "%.3fx real time); %d under 90%% of live, %d late (gap > %.1f s; longest %.2f s), %d "
      "dropped since admission, %d failed; %.2f reads per listener-second\n",
      res.held, ws ? "bytes over the live rate" : "audio seconds per second", res.min_share,
      res.median_share, res.min_kib_s, res.median_kib_s, res.max_kib_s, res.live_kib_s,
      res.ref_kib_s, res.audio_rate, res.behind, res.late, o.late_gap_s, res.max_gap_s, res.dropped,
      res.failed, res.reads_per_ls);
  if (res.clockless > 0)
    std::printf("    %d listeners' %s framing could not be followed: counted by bytes over live\n",
                res.clockless, o.format == StreamFormat::mp3 ? "MP3" : "Ogg");
  if (res.daemon_metrics)
    std::printf(
        "    daemon      %.2f writes per listener-second; %.0f skips to the live edge and %.0f "
        "drops in the window (%.0f and %.0f from the ramp to the window); %.0f underrun frames, "
        "%.0f render deadline misses\n",
        res.server_writes_per_ls, res.skips, res.drops, res.skips_before, res.drops_before,
        res.underruns, res.misses);
  std::printf("    client      %.2f%% of a core; the machine %.0f%% busy (all cores), load %.1f\n",
              res.client_cores * 100, res.machine_busy * 100, res.load);
  if (!res.steady) std::printf("%s FAILED: %s\n", tag().c_str(), res.error.c_str());
  std::fflush(stdout);

  // Close, and let the server notice before the next measurement.
  client.close_group(gi);
  client.run_until(after(3));
  return res;
}

// ---------------------------------------------------------------------------------------------
// Summary: medians and spreads over the rounds, ratios.

std::string spread(const std::vector<double>& v, const char* fmt) {
  if (v.empty()) return "-";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return format(fmt, median(v)) + " [" + format(fmt, *lo) + "-" + format(fmt, *hi) + "]";
}

void print_summary(const Options& o, const std::vector<Result>& results) {
  auto pick = [&](const std::string& s, int n, const std::function<double(const Result&)>& f) {
    std::vector<double> v;
    for (const auto& r : results)
      if (r.server == s && r.n == n && r.steady && !std::isnan(f(r))) v.push_back(f(r));
    return v;
  };
  struct Row {
    const char* title;
    const char* fmt;
    std::function<double(const Result&)> field;
  };
  const std::vector<Row> rows = {
      {"server CPU, % of a core", "%.2f", [](const Result& r) { return r.gross_cores * 100; }},
      {"  idle, before the ramp", "%.2f", [](const Result& r) { return r.idle_cores * 100; }},
      {"CPU us per listener-second", "%.1f", [](const Result& r) { return r.gross_us; }},
      {"  net of idle", "%.1f", [](const Result& r) { return r.net_us; }},
      {"RSS MiB", "%.1f", [](const Result& r) { return r.rss_kib / 1024.0; }},
      {"  KiB per listener (fresh)", "%.2f",
       [](const Result& r) { return r.rss_per_listener_kib; }},
      {"  KiB per listener (ramp)", "%.2f",
       [](const Result& r) { return r.ramp_rss_per_listener_kib; }},
      {"listeners held", "%.0f", [](const Result& r) { return r.held; }},
      {"  short (under 90% of live)", "%.0f", [](const Result& r) { return r.behind; }},
      {"  failed, dropped", "%.0f", [](const Result& r) { return r.failed + r.dropped; }},
      {"median KiB/s per listener", "%.2f", [](const Result& r) { return r.median_kib_s; }},
      {"min share of live stream", "%.3f", [](const Result& r) { return r.min_share; }},
      {"reads per listener-second", "%.2f", [](const Result& r) { return r.reads_per_ls; }},
      {"daemon: writes per lis-s", "%.2f",
       [](const Result& r) { return r.daemon_metrics ? r.server_writes_per_ls : std::nan(""); }},
      {"daemon: skips, drops", "%.0f",
       [](const Result& r) { return r.daemon_metrics ? r.skips + r.drops : std::nan(""); }},
      {"client CPU, % of a core", "%.2f", [](const Result& r) { return r.client_cores * 100; }},
      {"machine busy, %", "%.0f", [](const Result& r) { return r.machine_busy * 100; }},
      {"load average", "%.1f", [](const Result& r) { return r.load; }},
  };
  std::printf(
      "\nsummary (%s mounts): median [min-max] over the steady rounds. Net: above the server's "
      "own CPU with no bench\nlistener, measured just before (the daemon's render + encode%s). "
      "KiB per listener: RSS in the window over\nthe fresh server's idle RSS (fresh), or over its "
      "RSS just before this ramp (ramp; freed memory is kept by both).\n",
      extension(o), o.format == StreamFormat::mp3 ? ", its MP3 encode included" : "");
  for (int n : o.counts) {
    std::printf("\nN=%-26d", n);
    for (const auto& s : o.servers) std::printf(" %24s", s.c_str());
    std::printf("\n%-28s", "steady rounds");
    for (const auto& s : o.servers) {
      int steady = 0, all = 0;
      for (const auto& r : results)
        if (r.server == s && r.n == n) {
          ++all;
          steady += r.steady;
        }
      std::printf(" %24s", (std::to_string(steady) + " of " + std::to_string(all)).c_str());
    }
    std::printf("\n");
    for (const auto& row : rows) {
      std::printf("%-28s", row.title);
      for (const auto& s : o.servers)
        std::printf(" %24s", spread(pick(s, n, row.field), row.fmt).c_str());
      std::printf("\n");
    }
    for (const auto& r : results)
      if (r.n == n && !r.steady)
        std::printf("%s, round %d FAILED: %s\n", r.server.c_str(), r.round, r.error.c_str());
  }

  // Ratios of the medians, and per round (the servers measured a minute or two apart).
  auto ratios = [&](const std::string& a, const std::string& b, const char* title) {
    for (int n : o.counts) {
      auto ga = pick(a, n, [](const Result& r) { return r.gross_us; });
      auto gb = pick(b, n, [](const Result& r) { return r.gross_us; });
      if (ga.empty() || gb.empty()) continue;
      auto m = [&](const std::string& s, double (*f)(const Result&)) {
        return median(pick(s, n, f));
      };
      auto net = [](const Result& r) { return r.net_us; };
      auto rss = [](const Result& r) { return static_cast<double>(r.rss_kib); };
      auto per = [](const Result& r) { return r.rss_per_listener_kib; };
      std::string per_round;
      for (int round = 1; round <= o.rounds; ++round) {
        const Result *x = nullptr, *y = nullptr;
        for (const auto& r : results) {
          if (r.n != n || r.round != round || !r.steady) continue;
          if (r.server == a) x = &r;
          if (r.server == b) y = &r;
        }
        if (x && y && y->gross_us > 0) per_round += " " + format("%.2f", x->gross_us / y->gross_us);
      }
      auto ratio = [](double x, double y) { return y > 0 ? format("%.2fx", x / y) : "-"; };
      std::printf(
          "%s, N=%d: CPU per listener-second %s (net of idle %s; per round%s), RSS %s, RSS per "
          "listener %s\n",
          title, n, ratio(median(ga), median(gb)).c_str(), ratio(m(a, net), m(b, net)).c_str(),
          per_round.c_str(), ratio(m(a, rss), m(b, rss)).c_str(),
          ratio(m(a, per), m(b, per)).c_str());
    }
  };
  std::printf("\n");
  ratios("auralis", "icecast", "auralis / icecast2");
  ratios("auralis-ws", "auralis", "auralis WebSocket / HTTP");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "listeners_bench: %s\n", e.what());
    return 2;
  }
  const std::vector<std::string>& servers = o.servers;
  const int max_n = *std::max_element(o.counts.begin(), o.counts.end());
  if (o.max_total_s <= 0) {  // every wait is bounded; this is their sum, and some slack
    double per_round = 120;  // starting the servers
    for (int n : o.counts)
      per_round += static_cast<double>(servers.size()) *
                   (o.baseline_s + 20 + static_cast<double>(n) / o.admit_rate + o.settle_s +
                    o.steady_timeout_s + o.check_s + o.window_s + 45);
    o.max_total_s = per_round * o.rounds;
  }
  std::signal(SIGINT, on_fatal_signal);
  std::signal(SIGTERM, on_fatal_signal);
  std::signal(SIGHUP, on_fatal_signal);
  std::signal(SIGALRM, on_fatal_signal);
  std::signal(SIGPIPE, SIG_IGN);
  ::alarm(static_cast<unsigned>(o.max_total_s));

  // The bench and the servers each hold one descriptor per listener: the soft limit goes up to
  // the hard one, and the children inherit it (icecast2 does not raise its own).
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  std::optional<RunAs> ice_as;
  try {
    if (measures(o, "icecast")) ice_as = icecast_user();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "listeners_bench: %s\n", e.what());
    return 2;
  }
  std::printf("listeners_bench: %s mounts (daemon %s, icecast2 %s), counts", extension(o),
              stream_path(o).c_str(), icecast_mount(o).c_str());
  for (int n : o.counts) std::printf(" %d", n);
  std::printf(
      ", %d rounds, window %.0f s, idle baseline %.0f s, ramp %d/s (at most %d connecting, %d "
      "unanswered), servers:",
      o.rounds, o.window_s, o.baseline_s, o.pacing.ramp_per_s, o.pacing.max_connecting,
      o.pacing.max_pending);
  for (const auto& s : servers) std::printf(" %s", s.c_str());
  std::printf(
      "\n  open-file limit %llu (children inherit it); %u CPU cores; load average %.2f; time "
      "limit %.0f s\n",
      static_cast<unsigned long long>(lim.rlim_cur), std::thread::hardware_concurrency(),
      load_average(), o.max_total_s);
  if (measures(o, "icecast") && o.format == StreamFormat::ogg)
    std::printf(
        "  icecast2: queue 512 KiB, burst 64 KiB, source ffmpeg -c copy with %d ms Ogg pages, "
        "run as %s\n",
        o.icecast_page_ms, ice_as ? ice_as->name.c_str() : "this user");
  if (measures(o, "icecast") && o.format == StreamFormat::mp3)
    std::printf(
        "  icecast2: queue 512 KiB, burst 64 KiB, source ffmpeg -c copy -f mp3 (the daemon's MP3 "
        "bytes), run as %s\n",
        ice_as ? ice_as->name.c_str() : "this user");
  if (o.format == StreamFormat::mp3)
    std::printf(
        "  the daemon's CPU includes its render, Opus and MP3 encodes of the session (the MP3 "
        "encoder runs\n  for the reference listener and ffmpeg); 'net of idle' subtracts them, "
        "the gross figure does not\n");
  if (lim.rlim_cur < static_cast<rlim_t>(max_n) + 200) {
    std::fprintf(stderr,
                 "listeners_bench: the open-file limit %llu is below N=%d: raise ulimit -Hn\n",
                 static_cast<unsigned long long>(lim.rlim_cur), max_n);
    return 2;
  }
  std::fflush(stdout);

  char dir_template[] = "/tmp/auralis-listeners-bench-XXXXXX";
  if (!::mkdtemp(dir_template)) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir = dir_template;
  ::chmod(dir.c_str(), 0755);
  if (ice_as && ::chown(dir.c_str(), ice_as->uid, ice_as->gid) != 0)  // icecast2's logs
    std::perror("chown");

  std::vector<Result> results;
  int exit_code = 0;
  try {
    for (int round = 1; round <= o.rounds; ++round) {
      LoadClient client(o.pacing);
      Round r;
      r.dir = dir;
      start_round(o, ice_as, client, r, round);
      std::printf("round %d: daemon idle RSS %.1f MiB", round, r.auralis_idle_rss_kib / 1024.0);
      if (r.icecast) std::printf(", icecast2 idle RSS %.1f MiB", r.icecast_idle_rss_kib / 1024.0);
      std::printf("; live rate %.2f KiB/s over HTTP", r.http_live);
      if (r.mp3_kbps > 0)
        std::printf(" (its MP3 frames' %d kb/s; the reference listener received %.2f in 6 s)",
                    r.mp3_kbps, r.http_received);
      if (r.ws_live > 0) std::printf(", %.2f over WebSocket", r.ws_live);
      std::printf("\n");
      std::fflush(stdout);
      // Alternate the order between rounds so that neither server always goes first.
      std::vector<std::string> order = servers;
      if (round % 2 == 0) std::reverse(order.begin(), order.end());
      for (int n : o.counts)
        for (const auto& s : order) results.push_back(measure(o, client, r, s, n, round));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "listeners_bench: %s\n", e.what());
    exit_code = 1;
  }
  print_summary(o, results);
  std::printf("\nload average at the end %.2f; logs: %s\n", load_average(), dir.c_str());
  for (const auto& r : results)
    if (!r.steady) exit_code = 1;
  return exit_code;
}
