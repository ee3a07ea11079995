#include "streaming/listener_limiter.hpp"

namespace auralis::server {

ListenerLimiter::TicketPtr ListenerLimiter::acquire(const std::string& ip,
                                                    const std::string& session,
                                                    LimitRefusal& refusal) {
  std::lock_guard lock(mutex_);
  if (total_ >= limits_.total) {
    refusal = {503, "server_full",
               "the server holds its maximum of " + std::to_string(limits_.total) +
                   " listeners (limits.max_listeners); try again later"};
    return nullptr;
  }
  if (per_session_[session] >= limits_.per_session) {
    refusal = {429, "too_many_listeners",
               "session '" + session + "' has its maximum of " +
                   std::to_string(limits_.per_session) +
                   " listeners (limits.max_listeners_per_session)"};
    return nullptr;
  }
  if (limits_.per_ip > 0 && per_ip_[ip] >= limits_.per_ip) {
    refusal = {429, "too_many_listeners_from_address",
               "at most " + std::to_string(limits_.per_ip) +
                   " listeners per client address (limits.max_listeners_per_ip)"};
    return nullptr;
  }
  ++total_;
  ++per_ip_[ip];
  ++per_session_[session];
  return std::make_shared<Ticket>(shared_from_this(), ip, session);
}

void ListenerLimiter::release(const std::string& ip, const std::string& session) {
  std::lock_guard lock(mutex_);
  --total_;
  if (--per_ip_[ip] <= 0) per_ip_.erase(ip);
  if (--per_session_[session] <= 0) per_session_.erase(session);
}

void ListenerLimiter::set_limits(Limits limits) {
  std::lock_guard lock(mutex_);
  limits_ = limits;
}

int ListenerLimiter::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace auralis::server
