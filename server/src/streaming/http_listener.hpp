// One HTTPS Ogg stream listener: the response head, the Ogg header pages and a short burst,
// then every page batch of its session's hub, written as QueuedListener writes (one write in
// flight, one per write period of audio, bounded queue). Plain-HTTP listeners are written in
// passes instead (http_fanout.hpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "streaming/listener_limits.hpp"
#include "streaming/queued_listener.hpp"
#include "streaming/stream_hub.hpp"
#include "streaming/transport.hpp"

namespace auralis::server {

template <class Stream>
class HttpListener : public StreamSubscriber, public QueuedListener<Stream, PageBatch> {
 public:
  HttpListener(Stream socket, std::shared_ptr<StreamSource> source, std::string response_head,
               ListenerLimits limits, std::shared_ptr<ListenerMetrics> metrics,
               std::shared_ptr<void> admission_ticket = nullptr);

  void on_pages(const PageBatch& batch) override;
  void on_stream_end() override;

 private:
  std::string subscribe(std::vector<boost::asio::const_buffer>& out,
                        std::shared_ptr<const void>& keep) override;
  void unsubscribe() override;
  void append(const std::vector<PageBatch>& batches,
              std::vector<boost::asio::const_buffer>& out) override;

  std::string response_head_;
  std::shared_ptr<const std::vector<std::uint8_t>> header_pages_;  // the session's, shared
};

using TlsHttpListener = HttpListener<TlsStream>;
extern template class HttpListener<TlsStream>;

}  // namespace auralis::server
