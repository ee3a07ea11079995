#include "streaming/http_listener.hpp"

#include "streaming/stream_source.hpp"

namespace asio = boost::asio;

namespace auralis::server {

template <class Stream>
HttpListener<Stream>::HttpListener(Stream socket, std::shared_ptr<StreamSource> source,
                                   std::string response_head, ListenerLimits limits,
                                   std::shared_ptr<ListenerMetrics> metrics,
                                   std::shared_ptr<void> admission_ticket)
    : QueuedListener<Stream, PageBatch>(std::move(socket), std::move(source), limits,
                                        std::move(metrics), std::move(admission_ticket), nullptr),
      response_head_(std::move(response_head)) {}

template <class Stream>
void HttpListener<Stream>::on_pages(const PageBatch& batch) {
  this->deliver(batch, batch->page_bytes, batch->samples);
}

template <class Stream>
void HttpListener<Stream>::on_stream_end() {
  this->end();
}

template <class Stream>
std::string HttpListener<Stream>::subscribe(std::vector<asio::const_buffer>& out,
                                            std::shared_ptr<const void>& keep) {
  auto burst = std::make_shared<const std::vector<proto::PagePtr>>(this->source()->hub().subscribe(
      std::static_pointer_cast<HttpListener>(this->shared_from_this())));
  header_pages_ = this->source()->header_pages();
  out.emplace_back(asio::buffer(response_head_));
  out.emplace_back(asio::buffer(*header_pages_));
  for (const auto& page : *burst) out.emplace_back(asio::buffer(page->bytes));
  keep = burst;
  return std::to_string(burst->size()) + " burst pages";
}

template <class Stream>
void HttpListener<Stream>::unsubscribe() {
  this->source()->hub().unsubscribe(this);
}

template <class Stream>
void HttpListener<Stream>::append(const std::vector<PageBatch>& batches,
                                  std::vector<asio::const_buffer>& out) {
  for (const auto& batch : batches)
    for (const auto& page : batch->pages) out.emplace_back(asio::buffer(page->bytes));
}

template class HttpListener<TlsStream>;

}  // namespace auralis::server
