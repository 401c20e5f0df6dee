// EndpointTable: the recipients' endpoints of one transport, parsed once and replaced whole when
// the config is reloaded (SIGHUP), while deliveries read it from other threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/core/error.hpp"

namespace gw::routing {

/**
 * EndpointTable<Target>: recipient ODS code -> parsed endpoint. replace() parses every endpoint
 * first and changes nothing if one is unusable; find() returns a copy, so a delivery in flight
 * keeps the endpoint it started with. Thread-safe.
 */
template <class Target>
class EndpointTable {
public:
  using Parse = Result<Target> (*)(const std::string&);

  /** replace: the new table, or kBadRequest naming the recipient whose endpoint is unusable. */
  Result<void> replace(const std::map<std::string, std::string>& endpoints, Parse parse) {
    auto next = std::make_shared<std::map<std::string, Target>>();
    for (const auto& [recipient, endpoint] : endpoints) {
      auto t = parse(endpoint);
      if (!t) {
        return make_error(Errc::kBadRequest, t.error().detail + " (recipient " + recipient + ")");
      }
      next->emplace(recipient, std::move(*t));
    }
    std::lock_guard lock(mutex_);
    table_ = std::move(next);
    return {};
  }

  /** find: the recipient's endpoint, or nullopt when none is configured. */
  [[nodiscard]] std::optional<Target> find(const std::string& recipient) const {
    std::shared_ptr<const std::map<std::string, Target>> table;
    {
      std::lock_guard lock(mutex_);
      table = table_;
    }
    const auto it = table->find(recipient);
    if (it == table->end()) {
      return std::nullopt;
    }
    return it->second;
  }

private:
  mutable std::mutex mutex_;
  std::shared_ptr<const std::map<std::string, Target>> table_ =
      std::make_shared<const std::map<std::string, Target>>();
};

}  // namespace gw::routing
