// The live sessions by id. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sessions/session.hpp"

namespace auralis::server {

class SessionRegistry {
 public:
  std::shared_ptr<Session> find(const std::string& id) const;
  // False when the id is taken.
  bool add(const std::shared_ptr<Session>& session);
  std::shared_ptr<Session> remove(const std::string& id);
  std::vector<std::shared_ptr<Session>> all() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
};

}  // namespace auralis::server
