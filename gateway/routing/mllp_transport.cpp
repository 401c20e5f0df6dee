// MllpTransport on Asio SSL: one io_context thread; each send is a coroutine that takes the
// recipient's idle connection (or connects: resolve, TCP, TLS with SNI and host name checks),
// writes the framed message and reads up to the end-of-block, each step under a deadline.
#include "gateway/routing/mllp_transport.hpp"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "gateway/routing/endpoint_table.hpp"
#include "gateway/routing/io_thread.hpp"
#include "gateway/tls/client_context.hpp"

namespace gw::routing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

using Stream = beast::ssl_stream<beast::tcp_stream>;
using StreamPtr = std::unique_ptr<Stream>;

// MLLP release 2 framing (HL7 v2.x, Appendix C): start block, end block, carriage return.
constexpr char kStartBlock = '\x0b';
constexpr std::string_view kEndBlock = "\x1c\r";

struct Target {
  std::string host;
  std::string port;
};

Result<Target> parse_target(const std::string& endpoint) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == endpoint.size()) {
    return make_error(Errc::kBadRequest, "mllp transport: endpoint must be host:port");
  }
  return Target{endpoint.substr(0, colon), endpoint.substr(colon + 1)};
}

/** field: the `index`th |-separated field of the segment starting at `segment`. */
std::string_view field(std::string_view segment, std::size_t index) {
  for (std::size_t i = 0; i < index; ++i) {
    const auto bar = segment.find('|');
    if (bar == std::string_view::npos) {
      return {};
    }
    segment.remove_prefix(bar + 1);
  }
  return segment.substr(0, segment.find_first_of("|\r\n"));
}

}  // namespace

SendResult classify_hl7_ack(std::string_view ack) {
  std::size_t at = ack.rfind("\rMSA|");
  if (at != std::string_view::npos) {
    ++at;
  } else if (ack.rfind("MSA|", 0) == 0) {
    at = 0;
  } else {
    return {SendStatus::kRetry, "the recipient's answer has no MSA segment"};
  }
  const auto code = field(ack.substr(at), 1);
  if (code == "AA" || code == "CA") {
    return {SendStatus::kDelivered, {}};
  }
  if (code == "AR" || code == "CR") {
    return {SendStatus::kPermanent,
            "the recipient rejected the message (MSA-1 " + std::string(code) + ")"};
  }
  return {SendStatus::kRetry, "the recipient answered MSA-1 '" + std::string(code) + "'"};
}

struct MllpTransport::Impl {
  MllpTransportOptions options;
  net::io_context ioc{1};
  // As the HTTPS transport's: replaced whole by set_identity on the io_context thread.
  std::shared_ptr<ssl::context> tls;
  std::uint64_t tls_generation = 0;
  EndpointTable<Target> targets;          // by recipient ODS code
  std::map<std::string, StreamPtr> idle;  // on the io_context thread only
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

  net::awaitable<std::pair<StreamPtr, std::string>> connect(const Target& t) {
    auto ex = co_await net::this_coro::executor;
    tcp::resolver resolver(ex);
    auto [rec, results] = co_await resolver.async_resolve(t.host, t.port, kTuple);
    if (rec) {
      co_return std::pair{StreamPtr{}, std::string("cannot resolve the endpoint's host")};
    }
    const auto ctx = tls;  // alive until the handshake is done (the SSL then holds its own)
    auto s = std::make_unique<Stream>(ex, *ctx);
    boost::system::error_code aec;
    net::ip::make_address(t.host, aec);
    if (aec) {
      // SSL_set_tlsext_host_name is a macro with an old-style cast; this is its expansion.
      SSL_ctrl(s->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(t.host.c_str()));
    }
    s->set_verify_callback(ssl::host_name_verification(t.host));
    beast::get_lowest_layer(*s).expires_after(options.timeout);
    auto [cec, ep] = co_await beast::get_lowest_layer(*s).async_connect(results, kTuple);
    if (cec) {
      co_return std::pair{StreamPtr{}, "cannot connect to the endpoint: " + cec.message()};
    }
    auto [hec] = co_await s->async_handshake(ssl::stream_base::client, kTuple);
    if (hec) {
      co_return std::pair{StreamPtr{}, "TLS handshake with the endpoint failed: " + hec.message()};
    }
    co_return std::pair{std::move(s), std::string()};
  }

  /** exchange: one framed message out, one framed answer in (its content), or an error. */
  net::awaitable<std::pair<std::string, std::string>> exchange(Stream& s,
                                                               const store::OutboxEntry& m) {
    std::string frame;
    frame.reserve(m.payload.size() + 3);
    frame.push_back(kStartBlock);
    frame += m.payload;
    frame += kEndBlock;
    beast::get_lowest_layer(s).expires_after(options.timeout);
    auto [wec, wn] = co_await net::async_write(s, net::buffer(frame), kTuple);
    if (wec) {
      co_return std::pair{std::string(), "writing to the endpoint failed: " + wec.message()};
    }
    std::string in;
    auto buffer = net::dynamic_buffer(in, options.max_ack_bytes);
    beast::get_lowest_layer(s).expires_after(options.timeout);
    auto [rec, rn] = co_await net::async_read_until(s, buffer, std::string(kEndBlock), kTuple);
    if (rec) {
      co_return std::pair{std::string(), "reading the endpoint's ACK failed: " + rec.message()};
    }
    const auto start = in.find(kStartBlock);
    if (start == std::string::npos || start >= rn) {
      co_return std::pair{std::string(), std::string("the endpoint's answer is not MLLP framed")};
    }
    co_return std::pair{in.substr(start + 1, rn - kEndBlock.size() - start - 1), std::string()};
  }

  net::awaitable<SendResult> send(const std::string& key, const Target& t,
                                  const store::OutboxEntry& m) {
    const auto generation = tls_generation;
    for (int round = 0; round < 2; ++round) {
      StreamPtr s = std::move(idle[key]);
      const bool reused = s != nullptr;
      if (!reused) {
        auto [fresh, err] = co_await connect(t);
        if (!fresh) {
          co_return SendResult{SendStatus::kRetry, err};
        }
        s = std::move(fresh);
      }
      auto [ack, err] = co_await exchange(*s, m);
      if (!err.empty()) {
        if (reused) {
          continue;  // the recipient closed an idle connection: once more on a new one
        }
        co_return SendResult{SendStatus::kRetry, err};
      }
      if (generation == tls_generation) {
        beast::get_lowest_layer(*s).expires_never();
        idle[key] = std::move(s);
      }
      co_return classify_hl7_ack(ack);
    }
    co_return SendResult{SendStatus::kRetry, "the endpoint closed the connection"};
  }
};

MllpTransportOptions MllpTransportOptions::from_config(const config::Config& c) {
  MllpTransportOptions o;
  o.client_certificate = c.delivery.client_certificate.value;
  o.client_key = c.delivery.client_key.value;
  o.ca = c.delivery.ca.value;
  o.timeout = c.delivery.timeout;
  for (const auto& s : c.subscriptions) {
    if (s.transport == config::SubscriptionTransport::kMllp) {
      o.endpoints.emplace(s.recipient.str(), s.endpoint);
    }
  }
  return o;
}

MllpTransport::MllpTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MllpTransport::~MllpTransport() = default;

Result<std::unique_ptr<MllpTransport>> MllpTransport::create(MllpTransportOptions options) {
  auto impl = std::make_unique<Impl>();
  if (auto r = impl->targets.replace(options.endpoints, parse_target); !r) {
    return r.error();
  }
  auto ctx = gw::tls::make_client_context(options.identity());
  if (!ctx) {
    return make_error(Errc::kInternal, "mllp transport: " + ctx.error().detail);
  }
  impl->tls = std::move(*ctx);
  impl->options = std::move(options);
  auto* raw = impl.get();
  impl->thread = std::thread([raw] { raw->ioc.run(); });
  return std::unique_ptr<MllpTransport>(new MllpTransport(std::move(impl)));
}

Result<void> MllpTransport::set_endpoints(const std::map<std::string, std::string>& endpoints) {
  return impl_->targets.replace(endpoints, parse_target);
}

Result<void> MllpTransport::set_identity(const tls::ClientIdentity& identity) {
  auto ctx = gw::tls::make_client_context(identity);
  if (!ctx) {
    return make_error(Errc::kInternal, "mllp transport: " + ctx.error().detail);
  }
  run_on(impl_->ioc, [impl = impl_.get(), &ctx] {
    impl->tls = std::move(*ctx);
    ++impl->tls_generation;
    for (auto& [recipient, stream] : impl->idle) {
      stream.reset();
    }
  });
  return {};
}

SendResult MllpTransport::send(const store::OutboxEntry& message) {
  const std::string key = message.recipient.str();
  const auto target = impl_->targets.find(key);
  if (!target) {
    return SendResult{SendStatus::kRetry, "no mllp endpoint is configured for the recipient"};
  }
  auto done = net::co_spawn(
      impl_->ioc,
      [impl = impl_.get(), &key, &target = *target, &message]() -> net::awaitable<SendResult> {
        co_return co_await impl->send(key, target, message);
      },
      net::use_future);
  try {
    return done.get();
  } catch (const std::exception&) {
    return SendResult{SendStatus::kRetry, "mllp transport: internal error"};
  }
}

Transport* TransportByKind::for_kind(store::TransportKind kind) const {
  switch (kind) {
    case store::TransportKind::kHttps:
      return https_;
    case store::TransportKind::kMllp:
      return mllp_;
    case store::TransportKind::kMailbox:
      break;
  }
  return nullptr;
}

SendResult TransportByKind::send(const store::OutboxEntry& message) {
  Transport* t = for_kind(message.transport);
  if (t == nullptr) {
    return SendResult{SendStatus::kRetry, "no transport is configured for this kind"};
  }
  return t->send(message);
}

std::vector<std::optional<SendResult>> TransportByKind::send_all(
    std::span<const store::OutboxEntry> messages) {
  const bool one_kind = std::all_of(
      messages.begin(), messages.end(),
      [&](const store::OutboxEntry& m) { return m.transport == messages.front().transport; });
  if (!messages.empty() && one_kind) {
    if (Transport* t = for_kind(messages.front().transport); t != nullptr) {
      return t->send_all(messages);  // the usual case: no copies
    }
  }
  std::vector<std::optional<SendResult>> out(messages.size());
  // Each kind's messages go to its transport as one batch (the HTTPS one sends them at once).
  for (const auto kind : {store::TransportKind::kHttps, store::TransportKind::kMllp,
                          store::TransportKind::kMailbox}) {
    std::vector<std::size_t> index;
    std::vector<store::OutboxEntry> part;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (messages[i].transport == kind) {
        index.push_back(i);
        part.push_back(messages[i]);
      }
    }
    if (part.empty()) {
      continue;
    }
    Transport* t = for_kind(kind);
    if (t == nullptr) {
      // Each recipient's first is retried; its others are deferred with it.
      std::set<std::string, std::less<>> seen;
      for (const auto i : index) {
        if (seen.emplace(messages[i].recipient.str()).second) {
          out[i] = SendResult{SendStatus::kRetry, "no transport is configured for this kind"};
        }
      }
      continue;
    }
    auto sent = t->send_all(part);
    for (std::size_t j = 0; j < index.size() && j < sent.size(); ++j) {
      out[index[j]] = std::move(sent[j]);
    }
  }
  return out;
}

}  // namespace gw::routing
