// An in-process caregw server on ephemeral ports for integration tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "gateway/config/loader.hpp"
#include "gateway/http/server.hpp"
#include "gateway/tls/context_factory.hpp"

namespace gw::test {

/** RunningServer: starts a Server from config text on its own threads; stops and joins on exit. */
class RunningServer {
public:
  explicit RunningServer(const std::string& yaml, http::Reloader reload = {},
                         pipeline::Backends backends = {}) {
    auto lr = config::load_text(yaml, "test.yaml", "/tmp");
    if (lr.errors.empty()) {
      contexts_ = tls::make_server_contexts(*lr.config, lr.errors);
    }
    if (!lr.errors.empty()) {
      throw std::runtime_error("test config: " + lr.errors.front().str());
    }
    server_ = std::make_unique<http::Server>(lr.config, contexts_, std::move(reload), backends);
    if (auto s = server_->start(); !s) {
      throw std::runtime_error("start: " + s.error().detail);
    }
    thread_ = std::thread([this] { server_->run(); });
  }
  ~RunningServer() {
    server_->stop();
    thread_.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  [[nodiscard]] std::uint16_t port(const std::string& listener) const {
    for (const auto& b : server_->bound()) {
      if (b.name == listener) {
        return b.port;
      }
    }
    return 0;
  }
  [[nodiscard]] http::Server& server() { return *server_; }
  [[nodiscard]] http::ServerStats& stats() { return server_->stats(); }

private:
  tls::ServerContexts contexts_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

/** counter_value: a counter's value for the label values, 0 when the series does not exist yet. */
inline std::uint64_t counter_value(const metrics::CounterFamily& f,
                                   std::initializer_list<std::string_view> labels) {
  const auto* c = f.find(labels);
  return c == nullptr ? 0 : c->value();
}

/** eventually: polls `cond` until it holds or `within` passes (server-side counters lag replies).
 */
inline bool eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds within = std::chrono::milliseconds(3000)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace gw::test
