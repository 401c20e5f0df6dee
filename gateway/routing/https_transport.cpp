// HttpsTransport on Boost.Beast + Asio SSL: one io_context thread; each send is a coroutine that
// takes an idle connection for the endpoint (or connects: resolve, TCP, TLS with SNI and host
// name verification), writes the POST and reads the answer, each step under a deadline.
#include "gateway/routing/https_transport.hpp"

#include <atomic>
#include <deque>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include "gateway/routing/endpoint_table.hpp"
#include "gateway/routing/io_thread.hpp"
#include "gateway/tls/client_context.hpp"

namespace gw::routing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

using Stream = beast::ssl_stream<beast::tcp_stream>;
using StreamPtr = std::unique_ptr<Stream>;

/** Target: one endpoint URL, parsed once. */
struct Target {
  std::string host;
  std::string port;
  std::string path;  // origin-form request target
  std::string key() const { return host + ":" + port; }
};

Result<Target> parse_target(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u || u->scheme() != "https" || u->encoded_host().empty()) {
    return make_error(Errc::kBadRequest, "https transport: endpoint is not an https URL");
  }
  Target t;
  t.host = u->host();
  t.port = u->has_port() ? std::string(u->port()) : "443";
  t.path = u->encoded_path().empty() ? "/" : std::string(u->encoded_path());
  if (u->has_query()) {
    t.path += "?" + std::string(u->encoded_query());
  }
  return t;
}

bool retryable_status(unsigned s) { return s == 408 || s == 425 || s == 429 || s >= 500; }

}  // namespace

struct HttpsTransport::Impl {
  HttpsTransportOptions options;
  net::io_context ioc{1};
  // The client context in use and its generation: replaced whole by set_identity (on the
  // io_context thread); a connection made with an older one is not kept for reuse.
  std::shared_ptr<ssl::context> tls;
  std::uint64_t tls_generation = 0;
  EndpointTable<Target> targets;  // by recipient ODS code
  // Touched only on the io_context thread.
  std::map<std::string, std::vector<StreamPtr>> idle;
  std::atomic<std::size_t> opened{0};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread;

  ~Impl() {
    work.reset();
    ioc.stop();
    if (thread.joinable()) {
      thread.join();
    }
    idle.clear();
  }

  /** Connected: a TLS stream to the endpoint, or why there is none. */
  struct Connected {
    StreamPtr stream;
    std::string error;
    bool timed_out = false;
  };

  net::awaitable<Connected> connect(const Target& t) {
    auto ex = co_await net::this_coro::executor;
    tcp::resolver resolver(ex);
    auto [rec, results] = co_await resolver.async_resolve(t.host, t.port, kTuple);
    if (rec) {
      co_return Connected{{}, "cannot resolve the endpoint's host"};
    }
    const auto ctx = tls;  // alive until the handshake is done (the SSL then holds its own)
    auto s = std::make_unique<Stream>(ex, *ctx);
    boost::system::error_code aec;
    net::ip::make_address(t.host, aec);
    if (aec) {  // SNI only for names (RFC 6066 3: literal addresses are not sent)
      // SSL_set_tlsext_host_name is a macro with an old-style cast; this is its expansion.
      SSL_ctrl(s->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(t.host.c_str()));
    }
    s->set_verify_callback(ssl::host_name_verification(t.host));
    beast::get_lowest_layer(*s).expires_after(options.timeout);
    auto [cec, ep] = co_await beast::get_lowest_layer(*s).async_connect(results, kTuple);
    if (cec) {
      co_return Connected{
          {}, "cannot connect to the endpoint: " + cec.message(), cec == beast::error::timeout};
    }
    auto [hec] = co_await s->async_handshake(ssl::stream_base::client, kTuple);
    if (hec) {
      co_return Connected{{},
                          "TLS handshake with the endpoint failed: " + hec.message(),
                          hec == beast::error::timeout};
    }
    opened.fetch_add(1);
    co_return Connected{std::move(s), {}};
  }

  /** Exchanged: one request's answer, or status 0 and why the exchange failed. */
  struct Exchanged {
    unsigned status = 0;
    std::string error;
    bool timed_out = false;
    bool keep_alive = false;
    std::string content_type;
    std::string body;
  };

  /** exchange: one request on `s`, each step under the deadline. */
  net::awaitable<Exchanged> exchange(Stream& s, const bhttp::request<bhttp::string_body>& req) {
    Exchanged out;
    beast::get_lowest_layer(s).expires_after(options.timeout);
    auto [wec, wn] = co_await bhttp::async_write(s, req, kTuple);
    if (wec) {
      out.timed_out = wec == beast::error::timeout;
      out.error = "writing to the endpoint failed: " + wec.message();
      co_return out;
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    beast::get_lowest_layer(s).expires_after(options.timeout);
    auto [rec, rn] = co_await bhttp::async_read(s, buffer, parser, kTuple);
    if (rec) {
      out.timed_out = rec == beast::error::timeout;
      out.error = "reading the endpoint's answer failed: " + rec.message();
      co_return out;
    }
    out.keep_alive = parser.get().keep_alive();
    out.content_type = std::string(parser.get()[bhttp::field::content_type]);
    out.body = std::move(parser.get().body());
    out.status = parser.get().result_int();
    co_return out;
  }

  /**
   * round_trip: `req` on an idle connection to `t` (or a new one); a reused connection that
   * fails is replaced once at once (the peer may have closed it while idle). Status 0: failed.
   */
  net::awaitable<Exchanged> round_trip(const Target& t,
                                       const bhttp::request<bhttp::string_body>& req) {
    auto& pool = idle[t.key()];
    const auto generation = tls_generation;
    for (int round = 0; round < 2; ++round) {
      StreamPtr s;
      const bool reused = !pool.empty();
      if (reused) {
        s = std::move(pool.back());
        pool.pop_back();
      } else {
        auto fresh = co_await connect(t);
        if (!fresh.stream) {
          Exchanged failed;
          failed.error = std::move(fresh.error);
          failed.timed_out = fresh.timed_out;
          co_return failed;
        }
        s = std::move(fresh.stream);
      }
      auto got = co_await exchange(*s, req);
      if (got.status == 0) {
        if (reused) {
          continue;  // the recipient closed an idle connection: once more on a new one
        }
        co_return got;
      }
      if (got.keep_alive && generation == tls_generation &&
          pool.size() < options.max_idle_per_recipient) {
        beast::get_lowest_layer(*s).expires_never();
        pool.push_back(std::move(s));
      }
      co_return got;
    }
    Exchanged closed;
    closed.error = "the endpoint closed the connection";
    co_return closed;
  }

  static bhttp::request<bhttp::string_body> post(const Target& t, std::string body) {
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, t.path, 11};
    req.set(bhttp::field::host, t.host);
    req.set(bhttp::field::user_agent, "caregw");
    req.keep_alive(true);
    req.body() = std::move(body);
    return req;
  }

  net::awaitable<SendResult> send(const Target& t, const store::OutboxEntry& m) {
    auto req = post(t, m.payload);
    req.set(bhttp::field::content_type, m.content_type);
    req.set("Idempotency-Key", m.idempotency_key);
    req.set("X-Caregw-Message-Kind", m.kind);
    req.prepare_payload();
    auto got = co_await round_trip(t, req);
    if (got.status == 0) {
      co_return SendResult{SendStatus::kRetry, std::move(got.error)};
    }
    if (got.status >= 200 && got.status < 300) {
      co_return SendResult{SendStatus::kDelivered, {}, std::move(got.body)};
    }
    const auto why = "the endpoint answered HTTP " + std::to_string(got.status);
    co_return SendResult{retryable_status(got.status) ? SendStatus::kRetry : SendStatus::kPermanent,
                         why};
  }

  // --- send_all: several messages in flight per recipient ---------------------------------
  //
  // A call's messages are grouped by recipient. Each group is sent over "lanes": a lane is a
  // coroutine that sends the group's next message, waits for its answer, and goes on with the
  // next, on one connection at a time (from the idle pool or new). A group starts with one lane
  // (a recipient that is down costs one attempt); each answer opens another lane while messages
  // are left and the endpoint has fewer than max_in_flight_per_recipient lanes busy, across all
  // calls; beyond that a group's first lane waits for a lane of another call to finish. A
  // kRetry (network or TLS failure, 408/425/429/5xx) stops the group: what it had not started
  // comes back untried. Everything here runs on the io_context thread.

  /** Group: one recipient's messages in one send_all call. */
  struct Group {
    Target target;
    std::vector<std::size_t> index;  // positions in the call's batch, in order
    std::size_t next = 0;            // the next to start
    std::size_t lanes = 0;           // running
    bool failed = false;             // an attempt asked to be retried: start no more
  };

  /** Batch: one send_all call's state; lives on the caller's stack until `done`. */
  struct Batch {
    std::span<const store::OutboxEntry> messages;
    std::vector<std::optional<SendResult>> results;
    std::deque<Group> groups;
    std::size_t open = 0;  // groups not finished
    std::promise<void> done;
  };

  /** Lanes: the lanes busy on one endpoint (host:port) and the groups waiting for one. */
  struct Lanes {
    std::size_t busy = 0;
    std::deque<std::pair<Batch*, Group*>> waiting;
  };
  std::map<std::string, Lanes> lanes_by_endpoint;

  std::size_t lane_limit() const {
    return std::max<std::size_t>(1, options.max_in_flight_per_recipient);
  }

  /** open_lane: starts a lane for `g` if the endpoint has one free; else a group that has none
   * yet waits for one (so every group runs); a group already running just carries on. */
  void open_lane(Batch& b, Group& g) {
    auto& l = lanes_by_endpoint[g.target.key()];
    if (l.busy < lane_limit()) {
      ++l.busy;
      ++g.lanes;
      net::co_spawn(ioc, lane(b, g),
                    [this, &b, &g](const std::exception_ptr&) { close_lane(b, g); });
    } else if (g.lanes == 0) {
      l.waiting.emplace_back(&b, &g);
    }
  }

  /** close_lane: a lane ended: free its place (to a waiting group first) and, when it was its
   * group's last, the group is done; when every group of the call is, the caller is woken. */
  void close_lane(Batch& b, Group& g) {
    auto& l = lanes_by_endpoint[g.target.key()];
    --l.busy;
    --g.lanes;
    if (!l.waiting.empty()) {
      auto [wb, wg] = l.waiting.front();
      l.waiting.pop_front();
      open_lane(*wb, *wg);
    }
    if (g.lanes == 0 && --b.open == 0) {
      b.done.set_value();
    }
  }

  net::awaitable<void> lane(Batch& b, Group& g) {
    while (!g.failed && g.next < g.index.size()) {
      const auto i = g.index[g.next++];
      const auto started = std::chrono::steady_clock::now();
      auto r = co_await send(g.target, b.messages[i]);
      r.took = std::chrono::steady_clock::now() - started;
      if (r.status == SendStatus::kRetry) {
        g.failed = true;
      } else if (g.index.size() - g.next >= 2) {
        open_lane(b, g);  // the recipient answers: one more lane, while two or more are left
      }
      b.results[i] = std::move(r);
    }
  }

  net::awaitable<Result<HttpAnswer>> call(const Target& t, const HttpCall& c) {
    auto req = post(t, c.body);
    for (const auto& [name, value] : c.headers) {
      req.set(name, value);
    }
    req.prepare_payload();
    auto got = co_await round_trip(t, req);
    if (got.status == 0) {
      co_return make_error(got.timed_out ? Errc::kUpstreamTimeout : Errc::kUpstreamUnavailable,
                           got.timed_out
                               ? "no answer within " + std::to_string(options.timeout.count()) +
                                     " ms (" + got.error + ")"
                               : got.error);
    }
    co_return HttpAnswer{got.status, std::move(got.content_type), std::move(got.body)};
  }
};

HttpsTransportOptions HttpsTransportOptions::from_config(const config::Config& c) {
  HttpsTransportOptions o;
  o.client_certificate = c.delivery.client_certificate.value;
  o.client_key = c.delivery.client_key.value;
  o.ca = c.delivery.ca.value;
  o.timeout = c.delivery.timeout;
  for (const auto& s : c.subscriptions) {
    if (s.transport == config::SubscriptionTransport::kHttps) {
      o.endpoints.emplace(s.recipient.str(), s.endpoint);  // the first https one per recipient
    }
  }
  return o;
}

HttpsTransport::HttpsTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsTransport::~HttpsTransport() = default;

Result<std::unique_ptr<HttpsTransport>> HttpsTransport::create(HttpsTransportOptions options) {
  auto impl = std::make_unique<Impl>();
  if (auto r = impl->targets.replace(options.endpoints, parse_target); !r) {
    return r.error();
  }
  auto ctx = gw::tls::make_client_context(options.identity());
  if (!ctx) {
    return make_error(Errc::kInternal, "https transport: " + ctx.error().detail);
  }
  impl->tls = std::move(*ctx);
  impl->options = std::move(options);
  auto* raw = impl.get();
  impl->thread = std::thread([raw] { raw->ioc.run(); });
  return std::unique_ptr<HttpsTransport>(new HttpsTransport(std::move(impl)));
}

Result<void> HttpsTransport::set_endpoints(const std::map<std::string, std::string>& endpoints) {
  return impl_->targets.replace(endpoints, parse_target);
}

Result<void> HttpsTransport::set_identity(const tls::ClientIdentity& identity) {
  auto ctx = gw::tls::make_client_context(identity);
  if (!ctx) {
    return make_error(Errc::kInternal, "https transport: " + ctx.error().detail);
  }
  run_on(impl_->ioc, [impl = impl_.get(), &ctx] {
    impl->tls = std::move(*ctx);
    ++impl->tls_generation;
    for (auto& [host, pool] : impl->idle) {
      pool.clear();  // the map's entries stay: a send in progress holds a reference to one
    }
  });
  return {};
}

SendResult HttpsTransport::send(const store::OutboxEntry& message) {
  const auto target = impl_->targets.find(message.recipient.str());
  if (!target) {
    return SendResult{SendStatus::kRetry, "no https endpoint is configured for the recipient"};
  }
  auto done = net::co_spawn(
      impl_->ioc,
      [impl = impl_.get(), &target = *target, &message]() -> net::awaitable<SendResult> {
        co_return co_await impl->send(target, message);
      },
      net::use_future);
  try {
    return done.get();
  } catch (const std::exception&) {
    // Only an allocation failure or a bug gets here (every I/O call uses as_tuple).
    return SendResult{SendStatus::kRetry, "https transport: internal error"};
  }
}

std::vector<std::optional<SendResult>> HttpsTransport::send_all(
    std::span<const store::OutboxEntry> messages) {
  Impl::Batch batch;
  batch.messages = messages;
  batch.results.resize(messages.size());
  std::map<std::string, Impl::Group*, std::less<>> by_recipient;
  std::set<std::string, std::less<>> unknown;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const std::string recipient(messages[i].recipient.str());
    if (auto g = by_recipient.find(recipient); g != by_recipient.end()) {
      g->second->index.push_back(i);
      continue;
    }
    if (unknown.contains(recipient)) {
      continue;  // deferred with the first
    }
    auto target = impl_->targets.find(recipient);
    if (!target) {
      unknown.insert(recipient);
      batch.results[i] =
          SendResult{SendStatus::kRetry, "no https endpoint is configured for the recipient"};
      continue;
    }
    batch.groups.push_back(Impl::Group{std::move(*target), {i}});
    by_recipient.emplace(recipient, &batch.groups.back());
  }
  if (batch.groups.empty()) {
    return std::move(batch.results);
  }
  batch.open = batch.groups.size();
  auto done = batch.done.get_future();
  net::post(impl_->ioc, [impl = impl_.get(), &batch] {
    for (auto& g : batch.groups) {
      impl->open_lane(batch, g);
    }
  });
  done.wait();
  return std::move(batch.results);
}

Result<HttpAnswer> HttpsTransport::call(const HttpCall& request) {
  auto target = parse_target(request.url);
  if (!target) {
    return target.error();
  }
  auto done = net::co_spawn(
      impl_->ioc,
      [impl = impl_.get(), &t = *target, &request]() -> net::awaitable<Result<HttpAnswer>> {
        co_return co_await impl->call(t, request);
      },
      net::use_future);
  try {
    return done.get();
  } catch (const std::exception&) {
    return make_error(Errc::kInternal, "https transport: internal error");
  }
}

std::size_t HttpsTransport::connections_opened() const { return impl_->opened.load(); }

}  // namespace gw::routing
