// Listeners and sessions on Boost.Asio/Beast with C++20 coroutines (after Beast's
// advanced/server-flex-awaitable example): one strand per connection, a deadline on every step,
// header and body limits, a bounded number of connections, and a drain on shutdown.
#include "gateway/http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <list>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "gateway/core/log.hpp"
#include "gateway/core/request_id.hpp"
#include "gateway/http/mllp_framer.hpp"
#include "gateway/http/tls_stream.hpp"
#include "gateway/pipeline/peer.hpp"
#include "gateway/pipeline/pipeline.hpp"

namespace gw::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
/** kHl7v2Adapter: the adapter MLLP listeners hand messages to. */
constexpr std::string_view kHl7v2Adapter = "hl7v2";
/** kKeepReadBuffer: read buffers up to this size are reused across keep-alive requests. */
constexpr std::size_t kKeepReadBuffer = 4096;

/** Snapshot: the config and the TLS contexts built from it; replaced whole on reload. */
struct Snapshot {
  config::ConfigPtr config;
  tls::ServerContexts contexts;
};
using SnapshotPtr = std::shared_ptr<const Snapshot>;

/** Handle: what the drain needs to reach an idle session. Touched only on the session's strand. */
struct Handle {
  explicit Handle(net::any_io_executor ex) : executor(std::move(ex)) {}
  net::any_io_executor executor;
  TlsStream* stream = nullptr;
  bool idle = false;
};

Method to_method(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
      return Method::kGet;
    case bhttp::verb::head:
      return Method::kHead;
    case bhttp::verb::post:
      return Method::kPost;
    case bhttp::verb::put:
      return Method::kPut;
    case bhttp::verb::patch:
      return Method::kPatch;
    case bhttp::verb::delete_:
      return Method::kDelete;
    case bhttp::verb::options:
      return Method::kOptions;
    default:
      return Method::kOther;
  }
}

/** kFixedHeaders: headers the server writes on every response (a handler's own are dropped). */
constexpr std::array<std::string_view, 6> kFixedHeaders{
    "Server",     "Cache-Control", "X-Content-Type-Options", "Strict-Transport-Security",
    "Connection", "Content-Length"};

/** header_allowed: false for the fixed headers and for anything that would split the header. */
bool header_allowed(std::string_view name, std::string_view value) {
  if (name.empty() || name.find_first_of("\r\n:") != std::string_view::npos ||
      value.find_first_of("\r\n") != std::string_view::npos) {
    return false;
  }
  return std::none_of(kFixedHeaders.begin(), kFixedHeaders.end(),
                      [name](std::string_view f) { return beast::iequals(name, f); });
}

/**
 * response_head: the status line and header of a response, written directly rather than through
 * Beast's message and serializer (a field allocation each and a buffer sequence walked per byte
 * range): the handler's headers in order, then the ones every response carries.
 */
std::string response_head(const Response& res, bool keep_alive) {
  std::string h;
  h.reserve(256);
  h.append("HTTP/1.1 ");
  h.append(std::to_string(res.status));
  h.push_back(' ');
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
  h.append(reason.data(), reason.size());
  h.append("\r\n");
  for (const auto& [k, v] : res.headers.items()) {
    if (header_allowed(k, v)) {
      h.append(k).append(": ").append(v).append("\r\n");
    }
  }
  h.append(
      "Server: caregw\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
      "Strict-Transport-Security: max-age=31536000\r\n");
  if (!keep_alive) {
    h.append("Connection: close\r\n");
  }
  h.append("Content-Length: ").append(std::to_string(res.body_size())).append("\r\n\r\n");
  return h;
}

std::int64_t micros_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

}  // namespace

class Server::Impl {
public:
  Impl(config::ConfigPtr cfg, tls::ServerContexts contexts, Reloader reload,
       pipeline::Backends backends)
      : threads_(cfg->threads != 0 ? cfg->threads
                                   : std::max(1U, std::thread::hardware_concurrency())),
        ioc_(static_cast<int>(threads_)),
        blocking_(std::max<std::size_t>(32, std::size_t{16} * threads_)),
        reload_(std::move(reload)),
        stats_(registry_),
        pipeline_(pipeline::Services{registry_, stats_, blocking_.get_executor(), backends}),
        backends_(backends),
        snapshot_(std::make_shared<Snapshot>(Snapshot{std::move(cfg), std::move(contexts)})) {}

  Result<void> start() {
    const auto snap = snapshot();
    for (const config::Listener& l : snap->config->listeners) {
      if (l.protocol == config::ListenerProtocol::kMllp &&
          (backends_.ingest == nullptr || backends_.adapters == nullptr ||
           backends_.adapters->find(kHl7v2Adapter) == nullptr)) {
        return make_error(Errc::kUnavailable, "listener '" + l.name +
                                                  "': an mllp listener needs the HL7 v2 adapter "
                                                  "and the message store, which this gateway "
                                                  "does not have");
      }
      boost::system::error_code ec;
      const auto addr = net::ip::make_address(l.address, ec);
      tcp::acceptor acc(ioc_);
      const tcp::endpoint ep(addr, l.port);
      if (!ec) {
        (void)acc.open(ep.protocol(), ec);
      }
      if (!ec) {
        (void)acc.set_option(net::socket_base::reuse_address(true), ec);
      }
      if (!ec) {
        (void)acc.bind(ep, ec);
      }
      if (!ec) {
        (void)acc.listen(net::socket_base::max_listen_connections, ec);
      }
      if (ec) {
        return make_error(Errc::kUnavailable, "listener '" + l.name + "': cannot listen on " +
                                                  l.address + ":" + std::to_string(l.port) + ": " +
                                                  ec.message());
      }
      const auto port = acc.local_endpoint().port();
      listeners_.push_back(std::make_unique<ListenerState>(
          ListenerState{std::move(acc),
                        BoundListener{l.name, l.address, port, l.client_certificate, l.protocol}}));
    }
    for (auto& l : listeners_) {
      net::co_spawn(ioc_, accept_loop(*l), [this](const std::exception_ptr& e) { on_crash(e); });
    }
    return {};
  }

  std::vector<BoundListener> bound() const {
    std::vector<BoundListener> out;
    out.reserve(listeners_.size());
    for (const auto& l : listeners_) {
      out.push_back(l->bound);
    }
    return out;
  }

  void run() {
    net::signal_set signals(ioc_, SIGINT, SIGTERM, SIGHUP);
    wait_signal(signals);
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads_; ++i) {
      pool.emplace_back([this] { ioc_.run(); });
    }
    ioc_.run();
    for (auto& t : pool) {
      t.join();
    }
  }

  void stop() {
    net::co_spawn(ioc_, drain(), [this](const std::exception_ptr& e) { on_crash(e); });
  }

  bool reload() {
    if (!reload_) {
      return false;
    }
    config::LoadResult lr = reload_();
    if (lr.errors.empty()) {
      tls::ServerContexts contexts = tls::make_server_contexts(*lr.config, lr.errors);
      if (lr.errors.empty()) {
        auto old = snapshot();
        if (listeners_changed(*old->config, *lr.config)) {
          log::warn("config_reload_listeners_unchanged",
                    {{"detail", "listener addresses and ports change only on restart"}});
        }
        {
          std::lock_guard lock(snapshot_mu_);
          snapshot_ = std::make_shared<Snapshot>(Snapshot{lr.config, std::move(contexts)});
          snapshot_generation_.fetch_add(1, std::memory_order_release);
        }
        stats_.config_reloads.with({"applied"}).inc();
        log::info("config_reloaded",
                  {{"organisations", static_cast<std::int64_t>(lr.config->organisations.size())}});
        return true;
      }
    }
    stats_.config_reloads.with({"rejected"}).inc();
    for (const auto& d : lr.errors) {
      log::error("config_reload_rejected", {{"problem", d.str()}});
    }
    return false;
  }

  metrics::Registry& registry() { return registry_; }
  ServerStats& stats() { return stats_; }

private:
  struct ListenerState {
    tcp::acceptor acceptor;
    BoundListener bound;
  };

  SnapshotPtr snapshot() const {
    std::lock_guard lock(snapshot_mu_);
    return snapshot_;
  }

  /**
   * refresh: brings a session's copy of the snapshot up to date. Costs one atomic load unless a
   * reload replaced the snapshot since `seen` (then it takes the lock once).
   */
  void refresh(SnapshotPtr& snap, std::uint64_t& seen) const {
    if (snapshot_generation_.load(std::memory_order_acquire) == seen) {
      return;
    }
    std::lock_guard lock(snapshot_mu_);
    snap = snapshot_;
    seen = snapshot_generation_.load(std::memory_order_relaxed);
  }

  static bool listeners_changed(const config::Config& a, const config::Config& b) {
    if (a.listeners.size() != b.listeners.size()) {
      return true;
    }
    for (std::size_t i = 0; i < a.listeners.size(); ++i) {
      const auto& x = a.listeners[i];
      const auto& y = b.listeners[i];
      if (x.name != y.name || x.address != y.address || x.port != y.port ||
          x.client_certificate != y.client_certificate) {
        return true;
      }
    }
    return false;
  }

  void on_crash(const std::exception_ptr& e) {
    if (!e) {
      return;
    }
    stats_.internal_errors.with({}).inc();
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      log::error("internal_error", {{"what", x.what()}});
    } catch (...) {
      log::error("internal_error", {{"what", "unknown exception"}});
    }
  }

  void wait_signal(net::signal_set& signals) {
    signals.async_wait([this, &signals](const boost::system::error_code& ec, int sig) {
      if (ec) {
        return;
      }
      if (sig == SIGHUP) {
        log::info("signal", {{"signal", "SIGHUP"}});
        // Reading a few small files on an I/O thread, once per SIGHUP, is an accepted cost.
        (void)reload();
        wait_signal(signals);
        return;
      }
      log::info("signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      signals.cancel();
      stop();
    });
  }

  net::awaitable<void> drain() {
    if (draining_.exchange(true)) {
      co_return;
    }
    const auto grace = snapshot()->config->limits.shutdown_grace;
    log::info("draining", {{"open_connections", static_cast<std::int64_t>(connections_.load())}});
    for (auto& l : listeners_) {
      boost::system::error_code ec;
      (void)l->acceptor.close(ec);
    }
    {
      std::lock_guard lock(handles_mu_);
      for (const auto& h : handles_) {
        net::post(h->executor, [h] {
          if (h->idle && h->stream != nullptr) {
            h->stream->cancel();
          }
        });
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + grace;
    net::steady_timer timer(co_await net::this_coro::executor);
    while (connections_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(20));
      (void)co_await timer.async_wait(kTuple);
    }
    if (const auto left = connections_.load(); left > 0) {
      log::warn("drain_timeout", {{"closed_connections", static_cast<std::int64_t>(left)}});
    }
    log::info("stopped");
    ioc_.stop();
  }

  net::awaitable<void> accept_loop(ListenerState& l) {
    for (;;) {
      auto [ec, sock] = co_await l.acceptor.async_accept(net::make_strand(ioc_), kTuple);
      if (ec) {
        if (ec == net::error::operation_aborted || !l.acceptor.is_open()) {
          co_return;
        }
        // Out of descriptors or similar: say so and back off briefly instead of spinning.
        log::warn("accept_failed", {{"listener", l.bound.name}, {"error", ec.message()}});
        net::steady_timer t(l.acceptor.get_executor(), std::chrono::milliseconds(50));
        (void)co_await t.async_wait(kTuple);
        continue;
      }
      stats_.connections.with({l.bound.name}).inc();
      const auto snap = snapshot();
      if (draining_.load()) {
        stats_.connections_refused.with({l.bound.name, "draining"}).inc();
        continue;
      }
      if (connections_.load() >= snap->config->limits.max_connections) {
        stats_.connections_refused.with({l.bound.name, "connection_limit"}).inc();
        continue;  // the socket closes as it goes out of scope
      }
      // Nagle would hold the first response behind the client's delayed ACK of the TLS 1.3
      // session tickets (~40 ms); responses are written whole, so there is nothing to coalesce.
      boost::system::error_code nodelay_ec;
      (void)sock.set_option(tcp::no_delay(true), nodelay_ec);
      auto ex = sock.get_executor();
      if (l.bound.protocol == config::ListenerProtocol::kMllp) {
        net::co_spawn(ex, mllp_session(std::move(sock), l.bound, snap),
                      [this](const std::exception_ptr& e) { on_crash(e); });
      } else {
        net::co_spawn(ex, session(std::move(sock), l.bound, snap),
                      [this](const std::exception_ptr& e) { on_crash(e); });
      }
    }
  }

  /** ConnectionCount: counts a session for the connection limit, the gauge and the drain. */
  class ConnectionCount {
  public:
    ConnectionCount(Impl& s, const std::string& listener)
        : s_(s), g_(s.stats_.open_connections.with({listener})) {
      s_.connections_.fetch_add(1);
      g_.add(1);
    }
    ~ConnectionCount() {
      g_.add(-1);
      s_.connections_.fetch_sub(1);
    }
    ConnectionCount(const ConnectionCount&) = delete;
    ConnectionCount& operator=(const ConnectionCount&) = delete;

  private:
    Impl& s_;
    metrics::Gauge& g_;
  };

  /** Registered: a session's entry in the drain's list, removed when the session ends. */
  class Registered {
  public:
    Registered(Impl& s, net::any_io_executor ex) : s_(s) {
      std::lock_guard lock(s_.handles_mu_);
      it_ = s_.handles_.insert(s_.handles_.end(), std::make_shared<Handle>(std::move(ex)));
    }
    ~Registered() {
      (*it_)->stream = nullptr;
      std::lock_guard lock(s_.handles_mu_);
      s_.handles_.erase(it_);
    }
    Registered(const Registered&) = delete;
    Registered& operator=(const Registered&) = delete;
    Handle& operator*() const { return **it_; }

  private:
    Impl& s_;
    std::list<std::shared_ptr<Handle>>::iterator it_;
  };

  /**
   * write_all: writes `buffers` whole: at once when the socket takes them (the usual case), and
   * otherwise the rest as the socket drains, within the stream's deadline. (Not asio::async_write:
   * it would present the rest in pieces of its own size, and a TLS write that would have blocked
   * must be repeated with the same bytes.)
   */
  template <class ConstBufferSequence>
  static net::awaitable<boost::system::error_code> write_all(TlsStream& stream,
                                                             const ConstBufferSequence& buffers) {
    beast::buffers_suffix<ConstBufferSequence> rest(buffers);
    if (auto ec = stream.write_now(rest); ec) {
      co_return ec;
    }
    while (net::buffer_size(rest) != 0) {
      auto [ec, n] = co_await stream.async_write_some(rest, kTuple);
      if (ec) {
        co_return ec;
      }
      rest.consume(n);
    }
    co_return boost::system::error_code{};
  }

  /** reply: writes one response; false if the write failed or timed out. */
  net::awaitable<bool> reply(TlsStream& stream, const BoundListener& l, const Request& req,
                             Response&& res, bool keep_alive, std::chrono::milliseconds timeout) {
    const std::string head = response_head(res, keep_alive);
    const bool head_only = req.method == Method::kHead;
    const std::array<net::const_buffer, 3> out{
        net::buffer(head), head_only ? net::const_buffer() : net::buffer(res.body),
        head_only || !res.body_tail ? net::const_buffer() : net::buffer(*res.body_tail)};
    stream.expires_after(timeout);
    const boost::system::error_code ec = co_await write_all(stream, out);
    if (ec == beast::error::timeout) {
      stats_.timeouts.with({l.name, "write"}).inc();
    }
    co_return !ec;
  }

  /** reject: answers a request that could not be read whole (limits, bad syntax) and closes. */
  net::awaitable<void> reject(TlsStream& stream, const BoundListener& l,
                              pipeline::RequestContext& ctx, Errc code, std::string detail,
                              std::chrono::milliseconds timeout) {
    Response res = pipeline::Pipeline::render_error(make_error(code, std::move(detail)), ctx);
    RequestSeries series;
    record(l.name, "unmatched", res.status, std::chrono::steady_clock::now(), series);
    Request none;
    (void)co_await reply(stream, l, none, std::move(res), false, timeout);
  }

  /**
   * RequestSeries: a session's metric series for the route and status it answered last, so that a
   * keep-alive connection repeating one kind of request does not look them up (a key of strings
   * built and a shared lock taken, for each of two families) on every request.
   */
  struct RequestSeries {
    std::string_view route;  // operation_name() or a literal: static storage
    unsigned status = 0;
    metrics::Counter* requests = nullptr;
    metrics::Histogram* latency = nullptr;
  };

  /** record: counts one answered request and its latency (series cached in `series`). */
  /** log_request: the operator log's line for one request (no patient or clinical data). */
  static void log_request(const pipeline::RequestContext& ctx, const BoundListener& l,
                          const Request& req, std::string_view route, unsigned status,
                          std::chrono::steady_clock::time_point started) {
    log::info("request",
              {{"request_id", ctx.request_id},
               {"listener", l.name},
               {"method", method_name(req.method)},
               {"route", route},
               {"status", static_cast<std::int64_t>(status)},
               {"organisation", ctx.organisation ? std::string_view{ctx.organisation->ods.str()}
                                                 : std::string_view{}},
               {"duration_us", micros_since(started)}});
  }

  void record(const std::string& listener, std::string_view route, unsigned status,
              std::chrono::steady_clock::time_point started, RequestSeries& series) {
    if (series.requests == nullptr || series.status != status || series.route != route) {
      series = RequestSeries{route, status,
                             &stats_.requests.with({listener, route, std::to_string(status)}),
                             &stats_.latency.with({route})};
    }
    series.requests->inc();
    series.latency->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }

  /** remote_address: the peer's IP address, or empty if the socket no longer has one. */
  static std::string remote_address(const tcp::socket& sock) {
    boost::system::error_code ec;
    const auto ep = sock.remote_endpoint(ec);
    return ec ? std::string() : ep.address().to_string();
  }

  /** handshake: the server side of the TLS handshake, bounded; a failure is counted and logged. */
  net::awaitable<bool> handshake(TlsStream& stream, const BoundListener& l,
                                 const config::Limits& lim, const std::string& remote) {
    stream.expires_after(lim.handshake_timeout);
    if (auto [ec] = co_await stream.async_handshake(kTuple); ec) {
      const std::string reason = tls::handshake_failure_reason(ec, stream.native_handle());
      stats_.handshake_failures.with({l.name, reason}).inc();
      log::warn("tls_handshake_failed",
                {{"listener", l.name}, {"reason", reason}, {"remote", remote}});
      co_return false;
    }
    co_return true;
  }

  net::awaitable<void> session(tcp::socket sock, BoundListener l, SnapshotPtr snap) {
    ConnectionCount counted(*this, l.name);
    const config::Limits& lim = snap->config->limits;
    const std::string remote = remote_address(sock);
    TlsStream stream(std::move(sock),
                     snap->contexts.for_mode(l.client_certificate)->native_handle());
    Registered registered(*this, co_await net::this_coro::executor);
    Handle& handle = *registered;
    handle.stream = &stream;

    if (!co_await handshake(stream, l, lim, remote)) {
      co_return;
    }
    const tls::PeerIdentity peer = tls::peer_identity(stream.native_handle());

    beast::flat_buffer buffer;
    RequestSeries series;
    SnapshotPtr live = snap;
    std::uint64_t seen = ~std::uint64_t{0};  // refreshed before the first request
    bool keep_alive = true;
    for (std::uint32_t served = 0; keep_alive; ++served) {
      // Wait for the first byte of the next request. Between requests this is the idle timeout;
      // the drain may cancel this wait (and only this one) to close idle connections.
      if (buffer.size() == 0) {
        if (draining_.load()) {
          break;
        }
        if (buffer.capacity() > kKeepReadBuffer) {
          buffer.shrink_to_fit();  // a large request's buffer is not kept for an idle connection
        }
        stream.expires_after(served == 0 ? lim.header_timeout : lim.idle_timeout);
        handle.idle = true;
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(1024), kTuple);
        handle.idle = false;
        if (ec) {
          if (ec == beast::error::timeout) {
            stats_.timeouts.with({l.name, served == 0 ? "header" : "idle"}).inc();
          }
          break;
        }
        buffer.commit(n);
      }

      const auto started = std::chrono::steady_clock::now();
      pipeline::RequestContext ctx;
      ctx.request_id = new_request_id();
      ctx.listener = l.name;
      ctx.client_cert_mode = l.client_certificate;
      ctx.peer = peer;
      refresh(live, seen);
      ctx.config = live->config;
      ctx.received = std::chrono::system_clock::now();
      ctx.remote_address = remote;

      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(lim.max_header_bytes));
      parser.body_limit(lim.max_body_bytes);
      stream.expires_after(lim.header_timeout);
      // The first read usually holds the whole header: parse it in place, and start Beast's
      // composed read (a further operation and hand-off per request) only when it does not.
      boost::system::error_code hec;
      if (buffer.size() != 0) {
        buffer.consume(parser.put(buffer.data(), hec));
        if (hec == bhttp::error::need_more) {
          hec = {};
        }
      }
      if (!hec && !parser.is_header_done()) {
        auto [rec, rn] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
        (void)rn;
        hec = rec;
      }
      if (hec == bhttp::error::header_limit) {
        co_await reject(
            stream, l, ctx, Errc::kHeadersTooLarge,
            "the request header is larger than " + std::to_string(lim.max_header_bytes) + " bytes",
            lim.write_timeout);
        break;
      }
      if (hec == bhttp::error::body_limit) {
        co_await reject(
            stream, l, ctx, Errc::kPayloadTooLarge,
            "the request body is larger than " + std::to_string(lim.max_body_bytes) + " bytes",
            lim.write_timeout);
        break;
      }
      if (hec == beast::error::timeout) {
        stats_.timeouts.with({l.name, "header"}).inc();
        break;
      }
      if (hec == bhttp::error::end_of_stream || hec == net::error::eof ||
          hec == net::ssl::error::stream_truncated || hec == net::error::operation_aborted ||
          hec == net::error::connection_reset) {
        break;
      }
      if (hec) {
        co_await reject(stream, l, ctx, Errc::kBadRequest,
                        "the request is not valid HTTP/1.1: " + hec.message(), lim.write_timeout);
        break;
      }

      // Clients that wait for "100 Continue" before sending a body (curl does for large ones).
      if (bhttp::token_list{parser.get()[bhttp::field::expect]}.exists("100-continue")) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
        stream.expires_after(lim.write_timeout);
        if (auto [cec, cn] = co_await bhttp::async_write(stream, cont, kTuple); cec) {
          (void)cn;
          break;
        }
      }
      if (!parser.is_done()) {
        stream.expires_after(lim.body_timeout);
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
        (void)bn;
        if (bec == bhttp::error::body_limit) {
          co_await reject(
              stream, l, ctx, Errc::kPayloadTooLarge,
              "the request body is larger than " + std::to_string(lim.max_body_bytes) + " bytes",
              lim.write_timeout);
          break;
        }
        if (bec == beast::error::timeout) {
          stats_.timeouts.with({l.name, "body"}).inc();
          break;
        }
        if (bec) {
          if (bec != net::error::eof && bec != net::ssl::error::stream_truncated &&
              bec != bhttp::error::partial_message && bec != net::error::connection_reset) {
            co_await reject(stream, l, ctx, Errc::kBadRequest,
                            "the request body could not be read: " + bec.message(),
                            lim.write_timeout);
          }
          break;
        }
      }

      auto msg = parser.release();
      Request req;
      req.method = to_method(msg.method());
      req.target = std::string(msg.target());
      for (const auto& f : msg) {
        req.headers.add(std::string(f.name_string()), std::string(f.value()));
      }
      req.body = std::move(msg.body());
      ctx.draining = draining_.load();

      Response res = co_await pipeline_.handle(req, ctx);
      keep_alive =
          msg.keep_alive() && served + 1 < lim.max_requests_per_connection && !draining_.load();
      res.headers.set("X-Request-ID", ctx.request_id);
      const std::string_view route =
          ctx.route ? operation_name(ctx.route->op) : std::string_view{"unmatched"};
      const unsigned status = res.status;
      record(l.name, route, status, started, series);
      if (log::enabled(log::Level::kInfo)) {
        log_request(ctx, l, req, route, status, started);
      }
      if (!co_await reply(stream, l, req, std::move(res), keep_alive, lim.write_timeout)) {
        co_return;
      }
    }
    // Close politely: a TLS close_notify, bounded by the write timeout.
    stream.expires_after(std::min(lim.write_timeout, std::chrono::milliseconds(2000)));
    (void)co_await stream.async_shutdown(kTuple);
  }

  /**
   * mllp_session: HL7 v2 over MLLP and TLS. The sender is the organisation its client certificate
   * names. Each framed message goes to the ingest service (journalled before the AA) and its
   * acknowledgement is written back framed, one message at a time, in order. Oversized frames
   * are answered with the adapter's rejection built from their start; bytes outside a frame are
   * dropped and logged.
   */
  net::awaitable<void> mllp_session(tcp::socket sock, BoundListener l, SnapshotPtr snap) {
    ConnectionCount counted(*this, l.name);
    const config::Limits& lim = snap->config->limits;
    const std::string remote = remote_address(sock);
    TlsStream stream(std::move(sock),
                     snap->contexts.for_mode(config::ClientCert::kRequired)->native_handle());
    Registered registered(*this, co_await net::this_coro::executor);
    Handle& handle = *registered;
    handle.stream = &stream;
    if (!co_await handshake(stream, l, lim, remote)) {
      co_return;
    }
    const tls::PeerIdentity peer = tls::peer_identity(stream.native_handle());
    auto org =
        peer.presented
            ? pipeline::peer_organisation(peer, *snap->config)
            : boost::system::result<const config::Organisation*, pipeline::PeerRefusal>(
                  pipeline::PeerRefusal{"no_certificate", make_error(Errc::kUnauthenticated,
                                                                     "no client certificate")});
    if (!org) {
      stats_.peers_refused.with({l.name, org.error().reason}).inc();
      log::warn("mllp_refused",
                {{"listener", l.name}, {"reason", org.error().reason}, {"remote", remote}});
      co_return;  // no HL7 reply: an unknown sender gets nothing about our state
    }
    const config::Organisation& sender = **org;
    const auto* adapter = backends_.adapters->find(kHl7v2Adapter);
    MllpFramer framer(lim.max_body_bytes);
    RequestSeries series;
    std::string chunk(std::size_t{16} * 1024, '\0');
    while (!draining_.load()) {
      stream.expires_after(framer.in_frame() ? lim.body_timeout : lim.idle_timeout);
      handle.idle = !framer.in_frame();
      auto [ec, n] = co_await stream.async_read_some(net::buffer(chunk), kTuple);
      handle.idle = false;
      if (ec) {
        if (ec == beast::error::timeout) {
          stats_.timeouts.with({l.name, framer.in_frame() ? "body" : "idle"}).inc();
        }
        break;
      }
      for (auto& ev : framer.feed(std::string_view(chunk.data(), n))) {
        const auto started = std::chrono::steady_clock::now();
        if (ev.kind == MllpEvent::Kind::kUnframed) {
          log::warn("mllp_unframed_dropped", {{"listener", l.name},
                                              {"organisation", sender.ods.str()},
                                              {"bytes", static_cast<std::int64_t>(ev.bytes)}});
          continue;
        }
        std::string ack;
        unsigned status = 200;
        if (ev.kind == MllpEvent::Kind::kTooLarge) {
          log::warn("mllp_frame_too_large", {{"listener", l.name},
                                             {"organisation", sender.ods.str()},
                                             {"bytes", static_cast<std::int64_t>(ev.bytes)}});
          ingest::AckRequest nak{
              ingest::AckRequest::Code::kRejected,
              make_error(Errc::kPayloadTooLarge, "MSH: the message is larger than " +
                                                     std::to_string(lim.max_body_bytes) +
                                                     " bytes and was not accepted"),
              {},
              new_request_id(),
              std::chrono::system_clock::now()};
          ack = adapter->acknowledge(ev.data, nak);
          status = 413;
        } else {
          ingest::Receipt receipt{sender.ods, peer.subject, remote, new_request_id(),
                                  "x-application/hl7-v2+er7"};
          auto reply = co_await net::co_spawn(
              blocking_.get_executor(),
              [this, adapter, &receipt, &ev]() -> net::awaitable<ingest::Reply> {
                co_return backends_.ingest->receive(*adapter, receipt, std::move(ev.data));
              },
              net::use_awaitable);
          ack = std::move(reply.body);
          status = static_cast<unsigned>(reply.status);
        }
        record(l.name, "mllp_message", status, started, series);
        std::string framed;
        framed.reserve(ack.size() + 3);
        framed += kMllpStart;
        framed += ack;
        framed += kMllpEnd;
        framed += kMllpCr;
        stream.expires_after(lim.write_timeout);
        if (co_await write_all(stream, std::array<net::const_buffer, 1>{net::buffer(framed)})) {
          co_return;
        }
      }
    }
    stream.expires_after(std::min(lim.write_timeout, std::chrono::milliseconds(2000)));
    (void)co_await stream.async_shutdown(kTuple);
  }

  unsigned threads_;
  net::io_context ioc_;
  net::thread_pool blocking_;  // store work, off the I/O threads; joined after the I/O threads
  Reloader reload_;
  metrics::Registry registry_;
  ServerStats stats_;
  pipeline::Pipeline pipeline_;
  pipeline::Backends backends_;
  mutable std::mutex snapshot_mu_;
  SnapshotPtr snapshot_;
  std::atomic<std::uint64_t> snapshot_generation_{0};  // bumped under snapshot_mu_ on each swap
  std::vector<std::unique_ptr<ListenerState>> listeners_;
  std::atomic<bool> draining_{false};
  std::atomic<std::uint32_t> connections_{0};
  std::mutex handles_mu_;
  std::list<std::shared_ptr<Handle>> handles_;
};

Server::Server(config::ConfigPtr cfg, tls::ServerContexts contexts, Reloader reload,
               pipeline::Backends backends)
    : impl_(std::make_unique<Impl>(std::move(cfg), std::move(contexts), std::move(reload),
                                   backends)) {}
Server::~Server() = default;
Result<void> Server::start() { return impl_->start(); }
std::vector<BoundListener> Server::bound() const { return impl_->bound(); }
void Server::run() { impl_->run(); }
void Server::stop() { impl_->stop(); }
bool Server::reload() { return impl_->reload(); }
metrics::Registry& Server::registry() { return impl_->registry(); }
ServerStats& Server::stats() { return impl_->stats(); }

}  // namespace gw::http
