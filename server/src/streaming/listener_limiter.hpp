// Admission of listeners: at most N overall, per session and per client address. A granted
// listener holds a ticket; dropping the ticket gives the place back.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace auralis::server {

struct LimitRefusal {
  int status = 429;
  std::string code;
  std::string message;
};

class ListenerLimiter : public std::enable_shared_from_this<ListenerLimiter> {
 public:
  struct Limits {
    int total = 15000;
    int per_session = 10000;
    int per_ip = 100;  // 0: none
  };

  class Ticket {
   public:
    Ticket(std::shared_ptr<ListenerLimiter> owner, std::string ip, std::string session)
        : owner_(std::move(owner)), ip_(std::move(ip)), session_(std::move(session)) {}
    ~Ticket() { owner_->release(ip_, session_); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;

   private:
    std::shared_ptr<ListenerLimiter> owner_;
    std::string ip_;
    std::string session_;
  };
  using TicketPtr = std::shared_ptr<Ticket>;

  explicit ListenerLimiter(Limits limits) : limits_(limits) {}

  // A ticket, or why not.
  TicketPtr acquire(const std::string& ip, const std::string& session, LimitRefusal& refusal);
  int total() const;
  // New bounds (SIGHUP): they decide admissions from now on; listeners already admitted stay.
  void set_limits(Limits limits);

 private:
  void release(const std::string& ip, const std::string& session);

  mutable std::mutex mutex_;
  Limits limits_;  // guarded by mutex_
  int total_ = 0;
  std::map<std::string, int> per_ip_;
  std::map<std::string, int> per_session_;
};

}  // namespace auralis::server
