// The load client: groups of stream listeners on 127.0.0.1, all on one epoll in the calling
// thread, one recv per arrival. It connects as fast as its pacing allows, counts what each
// listener receives and when, and answers WebSocket pings.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "listeners/clock.hpp"
#include "listeners/stream_parsers.hpp"

namespace listeners_bench {

enum class Transport { http, ws };

// What an HTTP listener receives: its audio clock reads Ogg pages or MP3 frames.
enum class StreamFormat { ogg, mp3 };

enum class State : std::uint8_t { connecting, head, body, dropped, failed };

struct Conn {
  int fd = -1;
  State state = State::connecting;
  std::uint64_t bytes = 0;  // after the response head
  std::uint32_t reads = 0;  // recv calls that returned data, in the body
  bool pending_connect = false;
  Clock::time_point connect_at{};
  Clock::time_point last_data{};
  double max_gap_s = 0;  // longest wait between arrivals since it was last reset
  std::string head;
  std::unique_ptr<WsFrames> ws;
  std::unique_ptr<AudioClock> clock;  // the audio clock of an HTTP listener's stream
};

struct Group {
  std::string label;
  unsigned short port = 0;
  Transport transport = Transport::http;
  StreamFormat format = StreamFormat::ogg;
  std::string request;
  int target = 0;
  Clock::time_point ramp_start{};
  std::vector<Conn> conns;
  int answered = 0;    // got a response head, or failed before it
  int connecting = 0;  // handshake not yet answered
  int connect_retries = 0;
  int streaming = 0, dropped = 0, failed = 0;
  Clock::time_point last_retry_scan{}, last_admitted{};
  std::map<std::string, int> failures;  // reason -> count
  bool closed = false;
};

struct ClientPacing {
  int ramp_per_s = 1000;       // new connections per second, at most
  int max_pending = 10000;     // connections not yet answered, at most
  int max_connecting = 64;     // connects whose handshake is not yet answered, at most
  int connect_retry_ms = 250;  // a handshake unanswered this long is started again
  int nap_ms = 10;             // between polls, so that arrivals are read in batches
};

class LoadClient {
 public:
  explicit LoadClient(const ClientPacing& pacing);
  ~LoadClient();
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  // Starts opening `count` listeners of 127.0.0.1:port path; run_until connects them.
  int open_group(const std::string& label, unsigned short port, const std::string& path,
                 Transport transport, int count, StreamFormat format = StreamFormat::ogg);
  // Closes every listener of a group with a reset (no TIME_WAIT left behind on either side).
  void close_group(int gi);
  Group& group(int gi) { return *groups_[static_cast<std::size_t>(gi)]; }

  // Runs the loop until `deadline` or until done() holds (checked every pass).
  void run_until(Clock::time_point deadline, const std::function<bool()>& done = {});

 private:
  bool ramp(Clock::time_point now);
  void fail(Group& g, Conn& c, const std::string& why);
  void connect_one(std::size_t gi, Group& g);
  void retry_stalled_connects(std::size_t gi, Group& g, Clock::time_point now);
  void start_connect(std::size_t gi, Group& g, std::size_t ci);
  void send_request(std::size_t gi, Group& g, Conn& c, std::size_t ci, bool was_pending);
  void handle(const epoll_event& ev, Clock::time_point now);

  ClientPacing pacing_;
  int ep_ = -1;
  std::vector<char> buffer_;
  std::vector<std::unique_ptr<Group>> groups_;
};

// Bytes, reads, states and audio clocks of a group's listeners at one moment.
struct Snapshot {
  Clock::time_point t;
  std::vector<std::uint64_t> bytes;
  std::vector<std::uint32_t> reads;
  std::vector<State> state;
  std::vector<double> audio_s;  // audio received (s, the stream's clock); negative when unknown
};

Snapshot snapshot(const Group& g);

}  // namespace listeners_bench
