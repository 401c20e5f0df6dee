// caregw-loadgen: a small HTTP/1.1 load generator that speaks TLS with a client certificate
// (mTLS) and keep-alive, which wrk and similar tools cannot do. Used by bench/run.
//
// Throughput mode (default): --connections keep-alive connections, one request in flight on each,
// for --warmup and then --duration seconds; reports requests/s and latency percentiles of the
// requests that completed in the measured part. Idle mode (--idle N): opens N connections, makes
// one request on each, prints a line starting "ready" and holds the connections open until
// SIGINT/SIGTERM or --hold seconds, so that a script can read the server's memory meanwhile.
//
// One thread and one io_context: the client shares the machine with the server under test, so it
// should take as little CPU as it can. The last line of output is machine-readable (key=value).
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>
#include <sys/resource.h>

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;
constexpr std::size_t kReadChunk = 4096;       // idle connections: one small response each
constexpr std::size_t kLoadReadChunk = 65536;  // load: a large body in few reads

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8443;
  std::string path = "/healthz";
  std::string server_name;  // SNI and the name the server certificate must match; default: host
  unsigned connections = 64;
  double duration = 10;
  double warmup = 2;
  std::string ca, cert, key;
  std::string tls = "any";
  unsigned expect_status = 200;
  unsigned idle = 0;
  unsigned parallel = 64;            // idle mode: connections being opened at once
  double hold = 0;                   // idle mode: 0 = until SIGINT/SIGTERM
  double timeout = 30;               // idle mode: limit on opening all connections
  std::vector<std::string> headers;  // extra request headers, "Name: value"
};

/** Response: what the reader learnt from one response. */
struct Response {
  unsigned status = 0;
  bool close = false;
  std::size_t bytes = 0;
};

error_code protocol_error() {
  return boost::system::errc::make_error_code(boost::system::errc::protocol_error);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/** Conn: one TLS connection and the bytes received on it that are not yet consumed. */
class Conn {
public:
  enum class State { kNew, kOpening, kOpen, kIdle, kClosed, kFailed };

  /** chunk: the most one read takes (small for the thousands of idle connections). */
  Conn(net::io_context& ioc, ssl::context& ctx, std::size_t chunk = kReadChunk)
      : stream_(ioc, ctx), chunk_(chunk) {}

  net::awaitable<error_code> open(const tcp::endpoint& ep, const std::string& sni) {
    state = State::kOpening;
    auto [cec] = co_await stream_.lowest_layer().async_connect(ep, kTuple);
    if (cec) {
      co_return cec;
    }
    error_code ec;
    (void)stream_.lowest_layer().set_option(tcp::no_delay(true), ec);
    if (!sni.empty()) {
      // SSL_set_tlsext_host_name, without the macro's C-style cast.
      SSL_ctrl(stream_.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(sni.c_str()));
    }
    auto [hec] = co_await stream_.async_handshake(ssl::stream_base::client, kTuple);
    if (!hec) {
      state = State::kOpen;
    }
    co_return hec;
  }

  /** exchange: writes one request and reads its response (Content-Length framing only). */
  net::awaitable<error_code> exchange(std::string_view request, Response& res) {
    auto [wec, wn] = co_await net::async_write(stream_, net::buffer(request), kTuple);
    (void)wn;
    if (wec) {
      co_return wec;
    }
    std::size_t header_end = std::string::npos;
    std::size_t searched = 0;
    for (;;) {
      header_end = buf_.find("\r\n\r\n", searched);
      if (header_end != std::string::npos) {
        break;
      }
      searched = buf_.size() < 3 ? 0 : buf_.size() - 3;
      if (buf_.size() > kMaxHeaderBytes) {
        co_return protocol_error();
      }
      if (auto ec = co_await fill(); ec) {
        co_return ec;
      }
    }
    std::size_t content_length = 0;
    if (!parse_header(std::string_view(buf_).substr(0, header_end), res, content_length)) {
      co_return protocol_error();
    }
    const std::size_t need = header_end + 4 + content_length;
    res.bytes = need;
    if (buf_.size() >= need) {
      buf_.erase(0, need);
      co_return error_code{};
    }
    // The rest of the body is counted and dropped as it arrives, not kept: the client shares
    // the machine with the server and should spend as little as it can per response.
    std::size_t missing = need - buf_.size();
    buf_.clear();
    while (missing > 0) {
      auto [ec, n] = co_await stream_.async_read_some(net::buffer(scratch(), chunk_), kTuple);
      if (ec) {
        co_return ec;
      }
      if (n > missing) {
        buf_.append(scratch() + missing, n - missing);  // the start of whatever comes next
        missing = 0;
      } else {
        missing -= n;
      }
    }
    co_return error_code{};
  }

  /** watch: for an idle connection, waits until the server closes it (or sends anything). */
  net::awaitable<error_code> watch() {
    buf_.clear();
    buf_.shrink_to_fit();
    std::array<char, 64> small{};
    auto [ec, n] = co_await stream_.async_read_some(net::buffer(small), kTuple);
    (void)n;
    co_return ec;
  }

  /** shutdown: sends close_notify and waits for the server's (a watchdog may abort it). */
  net::awaitable<void> shutdown() {
    (void)co_await stream_.async_shutdown(kTuple);
    abort();
  }

  void abort() {
    error_code ec;
    (void)stream_.lowest_layer().close(ec);
  }

  std::string protocol() {
    const char* v = SSL_get_version(stream_.native_handle());
    const char* c = SSL_get_cipher_name(stream_.native_handle());
    return std::string(v != nullptr ? v : "?") + " " + (c != nullptr ? c : "?");
  }

  State state = State::kNew;

private:
  net::awaitable<error_code> fill() {
    auto [ec, n] = co_await stream_.async_read_some(net::buffer(scratch(), chunk_), kTuple);
    buf_.append(scratch(), n);
    co_return ec;
  }

  static bool parse_header(std::string_view head, Response& res, std::size_t& content_length) {
    // Status line: HTTP/1.x SP 3DIGIT SP reason
    const auto eol = head.find("\r\n");
    const std::string_view status_line = head.substr(0, eol);
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1.") {
      return false;
    }
    const bool http10 = status_line[7] == '0';
    if (std::from_chars(status_line.data() + 9, status_line.data() + 12, res.status).ec !=
        std::errc{}) {
      return false;
    }
    res.close = http10;
    bool have_length = false;
    std::string_view rest =
        eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
    while (!rest.empty()) {
      const auto e = rest.find("\r\n");
      const std::string_view line = rest.substr(0, e);
      rest = e == std::string_view::npos ? std::string_view{} : rest.substr(e + 2);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) {
        return false;
      }
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = trim(line.substr(colon + 1));
      if (iequals(name, "content-length")) {
        if (std::from_chars(value.data(), value.data() + value.size(), content_length).ec !=
            std::errc{}) {
          return false;
        }
        have_length = true;
      } else if (iequals(name, "transfer-encoding")) {
        return false;  // chunked responses are not needed here
      } else if (iequals(name, "connection")) {
        if (iequals(value, "close")) {
          res.close = true;
        } else if (iequals(value, "keep-alive")) {
          res.close = false;
        }
      }
    }
    return have_length;
  }

  ssl::stream<tcp::socket> stream_;
  /** scratch: this connection's read buffer (made at the first read, not zero-filled). */
  char* scratch() {
    if (!scratch_) {
      scratch_ = std::make_unique_for_overwrite<char[]>(chunk_);
    }
    return scratch_.get();
  }

  std::string buf_;
  std::size_t chunk_ = kReadChunk;
  std::unique_ptr<char[]> scratch_;
};

std::uint64_t cpu_micros() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto us = [](const timeval& t) {
    return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000U +
           static_cast<std::uint64_t>(t.tv_usec);
  };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

/** raise_nofile: lifts RLIMIT_NOFILE to at least `need` descriptors if the system allows it. */
void raise_nofile(rlim_t need) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need) {
    return;
  }
  rlimit want = rl;
  want.rlim_cur = need;
  if (want.rlim_max != RLIM_INFINITY && want.rlim_max < need) {
    want.rlim_max = need;  // succeeds only with CAP_SYS_RESOURCE
  }
  if (setrlimit(RLIMIT_NOFILE, &want) != 0) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
    std::cerr << "caregw-loadgen: warning: open-file limit is " << rl.rlim_max << ", below the "
              << need << " needed\n";
  }
}

std::uint64_t percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  // Nearest rank.
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

std::string fixed(double v, int decimals) {
  std::array<char, 64> b{};
  std::snprintf(b.data(), b.size(), "%.*f", decimals, v);
  return b.data();
}

class LoadGen {
public:
  explicit LoadGen(Options o) : opt_(std::move(o)), ctx_(ssl::context::tls_client) {}

  int run() {
    if (!setup()) {
      return 2;
    }
    return opt_.idle > 0 ? run_idle() : run_throughput();
  }

private:
  bool setup() {
    error_code ec;
    const auto addr = net::ip::make_address(opt_.host, ec);
    if (ec) {
      tcp::resolver resolver(ioc_);
      auto results = resolver.resolve(opt_.host, std::to_string(opt_.port), ec);
      if (ec || results.empty()) {
        std::cerr << "caregw-loadgen: cannot resolve " << opt_.host << ": " << ec.message() << '\n';
        return false;
      }
      endpoint_ = results.begin()->endpoint();
    } else {
      endpoint_ = tcp::endpoint(addr, opt_.port);
    }
    const std::string verify_name = opt_.server_name.empty() ? opt_.host : opt_.server_name;
    // SNI carries host names only, never addresses.
    if (net::ip::make_address(verify_name, ec); ec) {
      sni_ = verify_name;
    }
    SSL_CTX* h = ctx_.native_handle();
    if (opt_.tls == "1.2") {
      SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION);
      SSL_CTX_set_max_proto_version(h, TLS1_2_VERSION);
    } else if (opt_.tls == "1.3") {
      SSL_CTX_set_min_proto_version(h, TLS1_3_VERSION);
    } else {
      SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION);
    }
    if (opt_.idle > 0) {
      // Keep the client's own footprint small while it holds thousands of connections.
      SSL_CTX_set_mode(h, SSL_MODE_RELEASE_BUFFERS);
    }
    auto fail = [&](const std::string& what) {
      std::cerr << "caregw-loadgen: " << what << ": " << ec.message() << '\n';
      return false;
    };
    if (!opt_.ca.empty()) {
      if (ctx_.load_verify_file(opt_.ca, ec); ec) {
        return fail("--ca " + opt_.ca);
      }
      ctx_.set_verify_mode(ssl::verify_peer);
      ctx_.set_verify_callback(ssl::host_name_verification(verify_name));
    } else {
      ctx_.set_verify_mode(ssl::verify_none);
    }
    if (!opt_.cert.empty()) {
      if (ctx_.use_certificate_chain_file(opt_.cert, ec); ec) {
        return fail("--cert " + opt_.cert);
      }
      if (ctx_.use_private_key_file(opt_.key.empty() ? opt_.cert : opt_.key, ssl::context::pem, ec);
          ec) {
        return fail("--key " + opt_.key);
      }
    }
    request_ = "GET " + opt_.path + " HTTP/1.1\r\nHost: " + verify_name + ":" +
               std::to_string(opt_.port) + "\r\nUser-Agent: caregw-loadgen\r\nAccept: */*\r\n";
    for (const auto& extra : opt_.headers) {
      request_ += extra + "\r\n";
    }
    request_ += "\r\n";
    raise_nofile(static_cast<rlim_t>(std::max(opt_.connections, opt_.idle)) + 64);
    return true;
  }

  void note_error(const error_code& ec, std::string_view during) {
    ++errors_;
    if (errors_ <= 5) {
      std::cerr << "caregw-loadgen: " << during << ": " << ec.message() << '\n';
    }
  }

  // ---- throughput -------------------------------------------------------------------------

  int run_throughput() {
    conns_.resize(opt_.connections);
    const auto t0 = Clock::now();
    start_ = t0 + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(opt_.warmup));
    end_ = start_ + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(opt_.duration));
    latencies_.reserve(1 << 20);
    live_ = opt_.connections;
    for (unsigned i = 0; i < opt_.connections; ++i) {
      net::co_spawn(ioc_, worker(i), net::detached);
    }
    net::co_spawn(ioc_, marks(), net::detached);
    ioc_.run();

    std::sort(latencies_.begin(), latencies_.end());
    const double secs = std::chrono::duration<double>(end_ - start_).count();
    const double rps = static_cast<double>(latencies_.size()) / secs;
    const double client_cpu = static_cast<double>(cpu_end_ - cpu_start_) / 1e6 / secs * 100.0;
    const auto p50 = percentile(latencies_, 50);
    const auto p90 = percentile(latencies_, 90);
    const auto p99 = percentile(latencies_, 99);
    const auto max = latencies_.empty() ? 0 : latencies_.back();
    const double resp_bytes = latencies_.empty() ? 0.0
                                                 : static_cast<double>(measured_bytes_) /
                                                       static_cast<double>(latencies_.size());
    std::cout << "caregw-loadgen: " << endpoint_ << " GET " << opt_.path << ", " << opt_.connections
              << " connections, " << fixed(opt_.warmup, 1) << " s warm-up + "
              << fixed(opt_.duration, 1) << " s, 1 client thread, " << protocol_ << '\n'
              << "  requests  " << latencies_.size() << " in " << fixed(secs, 2)
              << " s = " << fixed(rps, 1) << " req/s (" << fixed(resp_bytes, 0)
              << " bytes per response)\n"
              << "  latency   p50 " << p50 << " us  p90 " << p90 << " us  p99 " << p99
              << " us  max " << max << " us\n"
              << "  errors    " << errors_ << " (status " << bad_status_ << ", timeouts "
              << timeouts_ << "), reconnects " << reconnects_ << ", client CPU "
              << fixed(client_cpu, 0) << "% of one core\n";
    std::cout << "rps=" << fixed(rps, 1) << " p50_us=" << p50 << " p90_us=" << p90
              << " p99_us=" << p99 << " max_us=" << max << " requests=" << latencies_.size()
              << " errors=" << errors_ << " bad_status=" << bad_status_
              << " reconnects=" << reconnects_ << " all_requests=" << completed_
              << " resp_bytes=" << fixed(resp_bytes, 0)
              << " client_cpu_pct=" << fixed(client_cpu, 0)
              << " client_cpu_s=" << fixed(static_cast<double>(cpu_micros()) / 1e6, 2) << '\n';
    return errors_ == 0 && !latencies_.empty() ? 0 : 1;
  }

  /** marks: notes the client's CPU time at the window's edges, then guards against hangs. */
  net::awaitable<void> marks() {
    net::steady_timer t(ioc_);
    t.expires_at(start_);
    (void)co_await t.async_wait(kTuple);
    cpu_start_ = cpu_micros();
    t.expires_at(end_);
    (void)co_await t.async_wait(kTuple);
    cpu_end_ = cpu_micros();
    if (live_ == 0) {
      co_return;
    }
    // Requests still outstanding a few seconds after the end are stuck: abort them.
    t.expires_at(end_ + std::chrono::seconds(3));
    watchdog_ = &t;
    (void)co_await t.async_wait(kTuple);
    watchdog_ = nullptr;
    if (live_ > 0) {
      for (auto& c : conns_) {
        if (c) {
          ++timeouts_;
          ++errors_;
          c->abort();
        }
      }
    }
  }

  net::awaitable<void> worker(unsigned id) {
    std::unique_ptr<Conn>& slot = conns_[id];
    while (Clock::now() < end_) {
      slot = std::make_unique<Conn>(ioc_, ctx_, kLoadReadChunk);
      Conn& c = *slot;
      if (auto ec = co_await c.open(endpoint_, sni_); ec) {
        if (timeouts_ == 0) {
          note_error(ec, "connect/handshake");
        }
        slot.reset();
        net::steady_timer pause(ioc_, std::chrono::milliseconds(100));
        (void)co_await pause.async_wait(kTuple);
        continue;
      }
      if (protocol_.empty()) {
        protocol_ = c.protocol();
      }
      bool reopen = false;
      bool failed = false;
      while (!reopen && Clock::now() < end_) {
        Response res;
        const auto sent = Clock::now();
        if (auto ec = co_await c.exchange(request_, res); ec) {
          if (timeouts_ == 0) {
            note_error(ec, "request");
          }
          reopen = true;
          failed = true;
          break;
        }
        const auto done = Clock::now();
        ++completed_;
        if (res.status != opt_.expect_status) {
          ++bad_status_;
          ++errors_;
        } else if (done >= start_ && done < end_) {
          latencies_.push_back(static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(done - sent).count()));
          measured_bytes_ += res.bytes;
        }
        if (res.close) {
          ++reconnects_;
          reopen = true;
        }
      }
      if (!reopen) {
        co_await c.shutdown();
      }
      slot.reset();
      if (failed) {
        // Do not spin on a server that refuses us (e.g. rejects the client certificate).
        net::steady_timer pause(ioc_, std::chrono::milliseconds(100));
        (void)co_await pause.async_wait(kTuple);
      }
    }
    if (--live_ == 0 && watchdog_ != nullptr) {
      watchdog_->cancel();
    }
  }

  // ---- idle -------------------------------------------------------------------------------

  int run_idle() {
    conns_.resize(opt_.idle);
    for (auto& c : conns_) {
      c = std::make_unique<Conn>(ioc_, ctx_);
    }
    const auto t0 = Clock::now();
    net::signal_set signals(ioc_, SIGINT, SIGTERM);
    signals.async_wait([this](const error_code& ec, int) {
      if (!ec) {
        stop_idle();
      }
    });
    signals_ = &signals;
    const unsigned openers = std::max(1U, std::min(opt_.parallel, opt_.idle));
    live_ = openers;
    for (unsigned i = 0; i < openers; ++i) {
      net::co_spawn(ioc_, opener(), net::detached);
    }
    net::steady_timer limit(ioc_, std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(opt_.timeout)));
    limit.async_wait([this](const error_code& ec) {
      if (!ec && live_ > 0) {
        std::cerr << "caregw-loadgen: connections not open after " << opt_.timeout << " s\n";
        for (auto& c : conns_) {
          if (c->state == Conn::State::kOpening || c->state == Conn::State::kOpen) {
            c->abort();
          }
        }
      }
    });
    limit_ = &limit;
    hold_ = std::make_unique<net::steady_timer>(ioc_);
    open_started_ = t0;
    ioc_.run();
    std::cout << "done idle=" << opt_.idle << " opened=" << opened_ << " errors=" << errors_
              << " closed_by_server=" << closed_by_server_ << '\n';
    return errors_ == 0 && closed_by_server_ == 0 ? 0 : 1;
  }

  net::awaitable<void> opener() {
    while (next_ < conns_.size() && !stopping_) {
      Conn& c = *conns_[next_++];
      if (auto ec = co_await c.open(endpoint_, sni_); ec) {
        c.state = Conn::State::kFailed;
        note_error(ec, "connect/handshake");
        continue;
      }
      Response res;
      if (auto ec = co_await c.exchange(request_, res); ec || res.status != opt_.expect_status) {
        c.state = Conn::State::kFailed;
        c.abort();
        if (ec) {
          note_error(ec, "request");
        } else {
          ++errors_;
          ++bad_status_;
        }
        continue;
      }
      if (protocol_.empty()) {
        protocol_ = c.protocol();
      }
      ++opened_;
      c.state = Conn::State::kIdle;
      net::co_spawn(ioc_, watcher(c), net::detached);
    }
    if (--live_ == 0) {
      limit_->cancel();
      if (!stopping_) {
        ready();
        if (opened_ == 0) {
          stop_idle();  // nothing to hold
        }
      }
    }
  }

  net::awaitable<void> watcher(Conn& c) {
    (void)co_await c.watch();
    if (!stopping_) {
      ++closed_by_server_;
    }
    c.state = Conn::State::kClosed;
  }

  void ready() {
    const double secs = std::chrono::duration<double>(Clock::now() - open_started_).count();
    std::cout << "ready idle=" << opt_.idle << " opened=" << opened_ << " errors=" << errors_
              << " open_seconds=" << fixed(secs, 2)
              << " client_cpu_s=" << fixed(static_cast<double>(cpu_micros()) / 1e6, 2) << " ("
              << protocol_ << ")" << std::endl;
    if (opt_.hold > 0) {
      hold_->expires_after(
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt_.hold)));
      hold_->async_wait([this](const error_code& ec) {
        if (!ec) {
          stop_idle();
        }
      });
    }
  }

  void stop_idle() {
    if (stopping_) {
      return;
    }
    stopping_ = true;
    signals_->cancel();
    hold_->cancel();
    limit_->cancel();
    for (auto& c : conns_) {
      c->abort();
    }
  }

  Options opt_;
  net::io_context ioc_{1};
  ssl::context ctx_;
  tcp::endpoint endpoint_;
  std::string sni_;
  std::string request_;
  std::string protocol_;
  std::vector<std::unique_ptr<Conn>> conns_;
  unsigned live_ = 0;

  // throughput
  Clock::time_point start_, end_;
  std::vector<std::uint32_t> latencies_;
  std::uint64_t measured_bytes_ = 0;
  std::uint64_t completed_ = 0;  // responses in all phases, warm-up included
  std::uint64_t cpu_start_ = 0, cpu_end_ = 0;
  net::steady_timer* watchdog_ = nullptr;

  // idle
  std::size_t next_ = 0;
  std::uint64_t opened_ = 0, closed_by_server_ = 0;
  bool stopping_ = false;
  Clock::time_point open_started_;
  net::signal_set* signals_ = nullptr;
  net::steady_timer* limit_ = nullptr;
  std::unique_ptr<net::steady_timer> hold_;

  std::uint64_t errors_ = 0, bad_status_ = 0, timeouts_ = 0, reconnects_ = 0;
};

int run_main(int argc, char** argv) {
  CLI::App app{"caregw-loadgen: HTTP/1.1 keep-alive load over TLS with a client certificate"};
  Options o;
  app.add_option("--host", o.host, "Server address or name")->capture_default_str();
  app.add_option("--port", o.port, "Server port")->required();
  app.add_option("--path", o.path, "Request target")->capture_default_str();
  app.add_option("--header,-H", o.headers,
                 "Extra request header \"Name: value\" (repeatable; e.g. a bearer token)");
  app.add_option("--server-name", o.server_name,
                 "Name the server certificate must match, and SNI (default: --host)");
  app.add_option("--connections,-c", o.connections, "Keep-alive connections")
      ->capture_default_str()
      ->check(CLI::Range(1U, 100000U));
  app.add_option("--duration,-d", o.duration, "Measured seconds")->capture_default_str();
  app.add_option("--warmup", o.warmup, "Unmeasured seconds first")->capture_default_str();
  app.add_option("--ca", o.ca, "CA bundle that verifies the server (default: no verification)");
  app.add_option("--cert", o.cert, "Client certificate (PEM)");
  app.add_option("--key", o.key, "Client private key (PEM; default: --cert)");
  app.add_option("--tls", o.tls, "TLS version: 1.2, 1.3 or any")
      ->capture_default_str()
      ->check(CLI::IsMember({"1.2", "1.3", "any"}));
  app.add_option("--expect-status", o.expect_status, "Status every response must have")
      ->capture_default_str();
  app.add_option("--idle", o.idle,
                 "Idle mode: open this many connections, one request each, print 'ready', hold");
  app.add_option("--parallel", o.parallel, "Idle mode: connections opened at once")
      ->capture_default_str()
      ->check(CLI::Range(1U, 10000U));
  app.add_option("--hold", o.hold, "Idle mode: seconds to hold (0: until SIGINT/SIGTERM)")
      ->capture_default_str();
  app.add_option("--timeout", o.timeout, "Idle mode: seconds allowed for opening them all")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.duration <= 0 || o.warmup < 0) {
    std::cerr << "caregw-loadgen: --duration must be positive and --warmup not negative\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  LoadGen gen(std::move(o));
  return gen.run();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "caregw-loadgen: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "caregw-loadgen: unknown exception\n";
  }
  return 2;
}
