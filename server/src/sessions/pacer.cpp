#include "sessions/pacer.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sessions/session.hpp"

namespace asio = boost::asio;

namespace auralis::server {

namespace {

// One session's wake-ups. Only its pending wait owns it (no self-reference), so it is freed when
// the session closes or when the media context is destroyed with the wait still queued.
class Pacer : public std::enable_shared_from_this<Pacer> {
 public:
  Pacer(asio::io_context& media, std::weak_ptr<Session> session, devices::Clock& clock)
      : timer_(media), session_(std::move(session)), clock_(clock) {}

  void tick() {
    auto s = session_.lock();
    if (!s || s->closed()) return;
    timer_.expires_at(s->advance(clock_.now()));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->tick();
    });
  }

 private:
  asio::steady_timer timer_;
  std::weak_ptr<Session> session_;
  devices::Clock& clock_;
};

}  // namespace

void start_pacer(asio::io_context& media, const std::shared_ptr<Session>& session,
                 devices::Clock& clock) {
  auto pacer = std::make_shared<Pacer>(media, session, clock);
  asio::post(media, [pacer] { pacer->tick(); });
}

}  // namespace auralis::server
