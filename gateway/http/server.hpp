// The gateway's network front: TLS listeners, HTTP/1.1 sessions with limits and timeouts,
// graceful shutdown on SIGTERM and config reload on SIGHUP. Beast and Asio stay behind this header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/core/error.hpp"
#include "gateway/http/server_stats.hpp"
#include "gateway/metrics/metrics.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "gateway/tls/context_factory.hpp"

namespace gw::http {

/** BoundListener: where a listener ended up (port 0 in the config picks a free port). */
struct BoundListener {
  std::string name;
  std::string address;
  std::uint16_t port = 0;
  config::ClientCert client_certificate = config::ClientCert::kRequired;
  config::ListenerProtocol protocol = config::ListenerProtocol::kHttps;
};

/** Reloader: re-reads the config for SIGHUP (the same file and options the server started with). */
using Reloader = std::function<config::LoadResult()>;

class Server {
public:
  /**
   * Server: takes a validated config and the TLS contexts built from it.
   * @param reload called on SIGHUP; a result with errors leaves the running config in place.
   */
  Server(config::ConfigPtr cfg, tls::ServerContexts contexts, Reloader reload,
         pipeline::Backends backends = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /** start: binds every listener and starts accepting. Errors name the listener and address. */
  [[nodiscard]] Result<void> start();

  /** bound: the listeners and their actual ports, after start(). */
  [[nodiscard]] std::vector<BoundListener> bound() const;

  /**
   * run: serves on the configured number of threads until SIGTERM/SIGINT or stop(); then stops
   * accepting, lets in-flight requests finish (up to limits.shutdown_grace) and returns.
   * Installs the signal handlers; call from the main thread.
   */
  void run();

  /** stop: begins the same graceful shutdown as SIGTERM. Thread-safe. */
  void stop();

  /** reload: the same as SIGHUP. @return true when the new config was applied. Thread-safe. */
  bool reload();

  [[nodiscard]] metrics::Registry& registry();
  [[nodiscard]] ServerStats& stats();

private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::http
