// caregw-mllp-load: HL7 v2 over MLLP/TLS load for the end-to-end message benchmark
// (bench/mllp-run, bench/README.md "End to end: HL7 v2 over MLLP"). It sends N synthetic
// ADT^A01 messages (999 test-range NHS numbers with valid check digits, many patients, a unique
// MSH-10 each) over C connections with the client certificate, one message in flight per
// connection (MLLP is one message at a time), and reports ACKs/s, ACK latency and the ACK codes.
//
// Two helpers run in the same program so that the benchmark needs nothing else:
//  - --echo: an MLLP/TLS server on 127.0.0.1 that answers AA to each frame without storing
//    anything (the baseline: TLS, framing and an ACK, no journal, MPI, store, audit or outbox);
//  - --recipient-port: an HTTPS server that answers 200 to each POST caregw delivers, counting
//    distinct Idempotency-Keys, so delivered messages/s is measured where they arrive.
//
// Asio, Asio SSL and Beast stay in this file. The last line of output is key=value.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/ssl.h>
#include <sys/resource.h>

#include "gateway/identity/nhs_number.hpp"

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr char kVt = '\x0b';
constexpr char kFs = '\x1c';
constexpr char kCr = '\r';
constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kMaxFrame = std::size_t{1} << 20;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 2575;
  std::string server_name = "localhost";  // SNI and the name the server certificate must match
  std::string ca, cert, key;
  std::size_t messages = 20000;
  unsigned connections = 8;
  std::size_t patients = 5000;
  std::string run_id;  // prefix of MSH-10; default: the start time
  std::string sender = "Z9A01";
  std::string practice = "Z90001";
  bool echo = false;  // run against the in-process echo server
  unsigned echo_threads = 2;
  std::string server_cert, server_key;  // for the echo server and the recipient
  std::uint16_t recipient_port = 0;     // 0: no recipient
  double drain_timeout = 120;           // seconds without a new delivery before giving up
  bool print_sample = false;
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

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

/** hl7_now: the current UTC time as an HL7 TS (YYYYMMDDHHMMSS). */
std::string hl7_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> b{};
  std::strftime(b.data(), b.size(), "%Y%m%d%H%M%S", &tm);
  return b.data();
}

// ---- synthetic messages --------------------------------------------------------------------

/**
 * test_nhs_numbers: `count` distinct NHS numbers from the 999 test range, each with its Modulus
 * 11 check digit from gw::NhsNumber (nine-digit stems without a check digit are skipped).
 */
std::vector<std::string> test_nhs_numbers(std::size_t count) {
  std::vector<std::string> out;
  out.reserve(count);
  for (std::uint32_t k = 1; out.size() < count && k < 1'000'000; ++k) {
    std::array<char, 16> stem{};
    std::snprintf(stem.data(), stem.size(), "999%06u", k);
    const int check = gw::NhsNumber::check_digit(stem.data());
    if (check < 0) {
      continue;
    }
    std::string n = std::string(stem.data()) + static_cast<char>('0' + check);
    if (gw::NhsNumber::parse(n)) {
      out.push_back(std::move(n));
    }
  }
  return out;
}

/** MessageFactory: invented ADT^A01 admissions, one patient per NHS number, unique MSH-10. */
class MessageFactory {
public:
  explicit MessageFactory(const Options& o)
      : nhs_(test_nhs_numbers(o.patients)),
        run_id_(o.run_id),
        sender_(o.sender),
        practice_(o.practice),
        now_(hl7_now()) {}

  [[nodiscard]] std::size_t patients() const { return nhs_.size(); }

  /** control_id: MSH-10 of message i. */
  [[nodiscard]] std::string control_id(std::size_t i) const {
    return run_id_ + "-" + std::to_string(i);
  }

  /** make: message i (about patient i mod patients), CR-separated, unframed. */
  [[nodiscard]] std::string make(std::size_t i) const {
    static constexpr std::array<std::string_view, 8> kFamily = {
        "TESTWOOD", "EXAMPLEFORD", "SAMPLETON", "DEMOLEY",
        "FICTIONS", "MOCKRIDGE",   "PLACEBY",   "INVENTRY"};
    static constexpr std::array<std::string_view, 8> kGiven = {"OLIVIA", "SAM", "ALEX",   "JORDAN",
                                                               "CASEY",  "RIO", "MORGAN", "ROBIN"};
    const std::size_t p = i % nhs_.size();
    const std::string mrn = "RZZ" + std::to_string(1'000'000 + p);
    const std::string dob = std::to_string(1930 + p % 90) + two(1 + p % 12) + two(1 + p % 28);
    const char* sex = (p % 2) == 0 ? "F" : "M";
    std::string m;
    m.reserve(1024);
    m += "MSH|^~\\&|PAS|" + sender_ + "|CAREGW|CAREGW|" + now_ + "||ADT^A01^ADT_A01|" +
         control_id(i) + "|P|2.4|||AL|NE|GBR|UNICODE|EN\r";
    m += "EVN|A01|" + now_ + "|||C1234567^Consultant^Casey^^^Dr^^" + sender_ + "|" + now_ + "\r";
    m += "PID|1||" + nhs_[p] + "^^^NHS^NH~" + mrn + "^^^" + sender_ + "^MR||";
    m += std::string(kFamily[p % kFamily.size()]) + "^" +
         std::string(kGiven[(p / kFamily.size()) % kGiven.size()]) + "^^^MX^^L||" + dob + "|" +
         sex + "|||" + std::to_string(1 + p % 200) +
         " Invented Row^^Testtown^Testshire^ZZ99 3ZZ^GBR^H||020 7946 " + four(p % 10000) +
         "^PRN^PH||EN|||||||||||||||||NSTS01\r";
    m += "PD1|||Riverside Medical Practice (invented)^^" + practice_ +
         "|G9999998^Doctor^Demo^^^Dr^^^GMP\r";
    m += "PV1|1|I|RZZ^AMU^B3^" + sender_ +
         "|13|||C1234567^Consultant^Casey^^^Dr^^^GMC|G9999998^Doctor^Demo^^^Dr^^^GMP|"
         "C1234567^Consultant^Casey^^^Dr^^^GMC|GSURG||||19|||||V" +
         std::to_string(i) + "^^^VISITID|||||||||||||||||||||||||" + now_ + "\r";
    return m;
  }

private:
  static std::string two(std::size_t v) { return (v < 10 ? "0" : "") + std::to_string(v); }
  static std::string four(std::size_t v) {
    std::array<char, 8> b{};
    std::snprintf(b.data(), b.size(), "%04zu", v);
    return b.data();
  }

  std::vector<std::string> nhs_;
  std::string run_id_, sender_, practice_, now_;
};

// ---- MLLP helpers --------------------------------------------------------------------------

/** take_frame: removes the first complete VT..FS CR frame from `buf` into `frame`. */
bool take_frame(std::string& buf, std::string& frame) {
  const auto end = buf.find("\x1c\r");
  if (end == std::string::npos) {
    return false;
  }
  const auto start = buf.find(kVt);
  frame.assign(start == std::string::npos || start > end
                   ? std::string_view(buf).substr(0, end)
                   : std::string_view(buf).substr(start + 1, end - start - 1));
  buf.erase(0, end + 2);
  return true;
}

/** field: field n of the segment starting at `seg` (MSH counts its separator as field 1). */
std::string_view field(std::string_view seg, char sep, unsigned n) {
  const auto eol = seg.find(kCr);
  seg = seg.substr(0, eol);
  unsigned at = seg.substr(0, 3) == "MSH" ? 1 : 0;
  std::size_t pos = 0;
  for (;;) {
    const auto next = seg.find(sep, pos);
    if (at == n) {
      return seg.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
    }
    if (next == std::string_view::npos) {
      return {};
    }
    pos = next + 1;
    ++at;
  }
}

/** segment: the segment named `name` in a CR-separated message, or empty. */
std::string_view segment(std::string_view msg, std::string_view name) {
  std::size_t pos = 0;
  while (pos < msg.size()) {
    const auto eol = msg.find(kCr, pos);
    const std::string_view seg = msg.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    if (seg.substr(0, name.size()) == name && seg.size() > name.size()) {
      return seg;
    }
    if (eol == std::string_view::npos) {
      break;
    }
    pos = eol + 1;
  }
  return {};
}

// ---- the echo server (baseline) ------------------------------------------------------------

/** EchoServer: MLLP over TLS with a required client certificate; answers AA, stores nothing. */
class EchoServer {
public:
  explicit EchoServer(const Options& o) : threads_(o.echo_threads), ctx_(ssl::context::tls_server) {
    ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx_.use_certificate_chain_file(o.server_cert);
    ctx_.use_private_key_file(o.server_key, ssl::context::pem);
    ctx_.load_verify_file(o.ca);
    ctx_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
  }

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void start() {
    net::co_spawn(ioc_, accept_loop(), net::detached);
    for (unsigned i = 0; i < threads_; ++i) {
      pool_.emplace_back([this] { ioc_.run(); });
    }
  }

  void stop() {
    ioc_.stop();
    for (auto& t : pool_) {
      t.join();
    }
    pool_.clear();
  }

  ~EchoServer() { stop(); }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  /** ack: an HL7 ACK AA for `msg`, built from its MSH as a receiver must. */
  static std::string ack(std::string_view msg) {
    const std::string_view msh = segment(msg, "MSH");
    const char sep = msh.size() > 3 ? msh[3] : '|';
    std::string out;
    out.reserve(160);
    out += kVt;
    out += "MSH|^~\\&|CAREGW|CAREGW|";
    out += field(msh, sep, 3);
    out += '|';
    out += field(msh, sep, 4);
    out += "|" + hl7_now() + "||ACK^A01^ACK|ECHO";
    out += std::to_string(next_id_.fetch_add(1));
    out += "|P|2.4\rMSA|AA|";
    out += field(msh, sep, 10);
    out += '\r';
    out += kFs;
    out += kCr;
    return out;
  }

private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(net::make_strand(ioc_), kTuple);
      if (ec) {
        co_return;
      }
      error_code nec;
      (void)sock.set_option(tcp::no_delay(true), nec);
      auto ex = sock.get_executor();
      net::co_spawn(ex, session(std::move(sock)), net::detached);
    }
  }

  net::awaitable<void> session(tcp::socket sock) {
    ssl::stream<tcp::socket> stream(std::move(sock), ctx_);
    if (auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple); ec) {
      co_return;
    }
    std::string buf, frame;
    std::array<char, kReadChunk> chunk{};
    for (;;) {
      auto [ec, n] = co_await stream.async_read_some(net::buffer(chunk), kTuple);
      if (ec) {
        co_return;
      }
      buf.append(chunk.data(), n);
      while (take_frame(buf, frame)) {
        const std::string reply = ack(frame);
        if (auto [wec, wn] = co_await net::async_write(stream, net::buffer(reply), kTuple); wec) {
          (void)wn;
          co_return;
        }
      }
      if (buf.size() > kMaxFrame) {
        co_return;
      }
    }
  }

  static inline std::atomic<std::uint64_t> next_id_{1};
  unsigned threads_;
  net::io_context ioc_;
  ssl::context ctx_;
  tcp::acceptor acceptor_{ioc_};
  std::vector<std::thread> pool_;
};

// ---- the HTTPS recipient -------------------------------------------------------------------

/** Recipient: HTTPS with the server certificate; 200 to every POST; counts distinct keys. */
class Recipient {
public:
  explicit Recipient(const Options& o) : ctx_(ssl::context::tls_server) {
    ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx_.use_certificate_chain_file(o.server_cert);
    ctx_.use_private_key_file(o.server_key, ssl::context::pem);
    ctx_.load_verify_file(o.ca);
    // caregw presents the delivery client certificate (config `delivery:`), as a recipient
    // with mTLS would require.
    ctx_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), o.recipient_port));
    acceptor_.listen();
  }

  void start() {
    net::co_spawn(ioc_, accept_loop(), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  void stop() {
    ioc_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  ~Recipient() { stop(); }
  Recipient(const Recipient&) = delete;
  Recipient& operator=(const Recipient&) = delete;

  [[nodiscard]] std::size_t delivered() const { return delivered_.load(); }
  [[nodiscard]] std::size_t duplicates() const { return duplicates_.load(); }
  [[nodiscard]] std::size_t connections() const { return connections_.load(); }
  [[nodiscard]] std::uint64_t bytes() const { return bytes_.load(); }
  /** last: when the latest new message arrived. */
  [[nodiscard]] Clock::time_point last() const {
    return Clock::time_point(Clock::duration(last_.load()));
  }

private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor_.async_accept(kTuple);
      if (ec) {
        co_return;
      }
      ++connections_;
      net::co_spawn(ioc_, session(std::move(sock)), net::detached);
    }
  }

  net::awaitable<void> session(tcp::socket sock) {
    ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), ctx_);
    if (auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple); ec) {
      co_return;
    }
    beast::flat_buffer buf;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(std::size_t{16} << 20);
      if (auto [ec, n] = co_await bhttp::async_read(stream, buf, parser, kTuple); ec) {
        (void)n;
        co_return;
      }
      const auto& req = parser.get();
      note(std::string(req["Idempotency-Key"]), req.body().size());
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
      res.set(bhttp::field::content_type, "application/json");
      res.body() = "{}";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      if (auto [ec, n] = co_await bhttp::async_write(stream, res, kTuple);
          ec || !res.keep_alive()) {
        (void)n;
        co_return;
      }
    }
  }

  void note(std::string key, std::size_t body_bytes) {
    bytes_ += body_bytes;
    std::lock_guard lock(mu_);
    if (seen_.insert(std::move(key)).second) {
      ++delivered_;
      last_ = Clock::now().time_since_epoch().count();
    } else {
      ++duplicates_;
    }
  }

  net::io_context ioc_{1};
  ssl::context ctx_;
  tcp::acceptor acceptor_{ioc_};
  std::thread thread_;
  std::mutex mu_;
  std::unordered_set<std::string> seen_;
  std::atomic<std::size_t> delivered_{0}, duplicates_{0}, connections_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<Clock::rep> last_{0};
};

// ---- the load client -----------------------------------------------------------------------

/** AckCounts: what came back. */
struct AckCounts {
  std::uint64_t aa = 0, ae = 0, ar = 0, other = 0, mismatched = 0, errors = 0;
};

class LoadClient {
public:
  LoadClient(const Options& o, const MessageFactory& f, tcp::endpoint ep)
      : opt_(o), factory_(f), endpoint_(ep), ctx_(ssl::context::tls_client) {}

  /** setup: the client context (CA, client certificate); false with a message if unusable. */
  bool setup() {
    error_code ec;
    SSL_CTX_set_min_proto_version(ctx_.native_handle(), TLS1_2_VERSION);
    if (ctx_.load_verify_file(opt_.ca, ec); ec) {
      std::cerr << "caregw-mllp-load: --ca " << opt_.ca << ": " << ec.message() << '\n';
      return false;
    }
    ctx_.set_verify_mode(ssl::verify_peer);
    ctx_.set_verify_callback(ssl::host_name_verification(opt_.server_name));
    if (ctx_.use_certificate_chain_file(opt_.cert, ec); ec) {
      std::cerr << "caregw-mllp-load: --cert " << opt_.cert << ": " << ec.message() << '\n';
      return false;
    }
    if (ctx_.use_private_key_file(opt_.key, ssl::context::pem, ec); ec) {
      std::cerr << "caregw-mllp-load: --key " << opt_.key << ": " << ec.message() << '\n';
      return false;
    }
    return true;
  }

  /** run: opens every connection, then sends all messages; returns when all are answered. */
  void run() {
    latencies_.reserve(opt_.messages);
    go_ = std::make_unique<net::steady_timer>(ioc_, std::chrono::hours(24));
    for (unsigned i = 0; i < opt_.connections; ++i) {
      net::co_spawn(ioc_, connection(), net::detached);
    }
    ioc_.run();
    std::sort(latencies_.begin(), latencies_.end());
  }

  [[nodiscard]] const AckCounts& counts() const { return counts_; }
  [[nodiscard]] const std::vector<std::uint32_t>& latencies() const { return latencies_; }
  [[nodiscard]] Clock::time_point started() const { return started_; }
  [[nodiscard]] Clock::time_point finished() const { return finished_; }
  [[nodiscard]] const std::string& protocol() const { return protocol_; }
  [[nodiscard]] std::uint64_t cpu_us() const { return cpu_end_ - cpu_start_; }
  [[nodiscard]] unsigned opened() const { return opened_; }

private:
  net::awaitable<void> connection() {
    ssl::stream<tcp::socket> stream(ioc_, ctx_);
    bool ok = co_await open(stream);
    // Every connection is open (or has failed) before the first message goes.
    if (++ready_ == opt_.connections) {
      started_ = Clock::now();
      cpu_start_ = cpu_micros();
      go_->cancel();
    } else {
      (void)co_await go_->async_wait(kTuple);
    }
    std::string buf, frame, framed;
    std::array<char, kReadChunk> chunk{};
    while (ok && next_ < opt_.messages) {
      const std::size_t i = next_++;
      const std::string ctl = factory_.control_id(i);
      framed.clear();
      framed += kVt;
      framed += factory_.make(i);
      framed += kFs;
      framed += kCr;
      const auto sent = Clock::now();
      if (auto [ec, n] = co_await net::async_write(stream, net::buffer(framed), kTuple); ec) {
        (void)n;
        note_error(ec, "write");
        ok = false;
        break;
      }
      bool have = false;
      while (!(have = take_frame(buf, frame))) {
        auto [ec, n] = co_await stream.async_read_some(net::buffer(chunk), kTuple);
        if (ec) {
          note_error(ec, "read");
          ok = false;
          break;
        }
        buf.append(chunk.data(), n);
      }
      if (!have) {
        break;
      }
      latencies_.push_back(static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count()));
      classify(frame, ctl);
    }
    if (ok) {
      (void)co_await stream.async_shutdown(kTuple);
    }
    if (++done_ == opt_.connections) {
      finished_ = Clock::now();
      cpu_end_ = cpu_micros();
    }
  }

  net::awaitable<bool> open(ssl::stream<tcp::socket>& stream) {
    if (auto [ec] = co_await stream.lowest_layer().async_connect(endpoint_, kTuple); ec) {
      note_error(ec, "connect");
      co_return false;
    }
    error_code ec;
    (void)stream.lowest_layer().set_option(tcp::no_delay(true), ec);
    // SSL_set_tlsext_host_name, without the macro's C-style cast.
    SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(opt_.server_name.c_str()));
    if (auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, kTuple); hec) {
      note_error(hec, "handshake");
      co_return false;
    }
    if (protocol_.empty()) {
      const char* v = SSL_get_version(stream.native_handle());
      const char* c = SSL_get_cipher_name(stream.native_handle());
      protocol_ = std::string(v != nullptr ? v : "?") + " " + (c != nullptr ? c : "?");
    }
    ++opened_;
    co_return true;
  }

  void classify(std::string_view ack, std::string_view ctl) {
    const std::string_view msh = segment(ack, "MSH");
    const char sep = msh.size() > 3 ? msh[3] : '|';
    const std::string_view msa = segment(ack, "MSA");
    const std::string_view code = field(msa, sep, 1);
    if (code == "AA" || code == "CA") {
      ++counts_.aa;
    } else if (code == "AE" || code == "CE") {
      ++counts_.ae;
    } else if (code == "AR" || code == "CR") {
      ++counts_.ar;
    } else {
      ++counts_.other;
    }
    if (field(msa, sep, 2) != ctl) {
      ++counts_.mismatched;
    }
    if (code != "AA" && code != "CA" && ++shown_ <= 3) {
      std::string text(ack);
      std::replace(text.begin(), text.end(), kCr, ' ');
      std::cerr << "caregw-mllp-load: not accepted: " << text << '\n';
    }
  }

  void note_error(const error_code& ec, std::string_view during) {
    if (++counts_.errors <= 5) {
      std::cerr << "caregw-mllp-load: " << during << ": " << ec.message() << '\n';
    }
  }

  const Options& opt_;
  const MessageFactory& factory_;
  tcp::endpoint endpoint_;
  net::io_context ioc_{1};
  ssl::context ctx_;
  std::unique_ptr<net::steady_timer> go_;
  std::size_t next_ = 0;
  unsigned ready_ = 0, done_ = 0, opened_ = 0, shown_ = 0;
  AckCounts counts_;
  std::vector<std::uint32_t> latencies_;
  Clock::time_point started_, finished_;
  std::uint64_t cpu_start_ = 0, cpu_end_ = 0;
  std::string protocol_;
};

/** wait_for_deliveries: until `want` have arrived, or none new for --drain-timeout seconds. */
void wait_for_deliveries(const Recipient& r, std::size_t want, double drain_timeout) {
  std::size_t seen = r.delivered();
  auto progress = Clock::now();
  while (r.delivered() < want) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (const std::size_t now = r.delivered(); now != seen) {
      seen = now;
      progress = Clock::now();
    } else if (seconds(Clock::now() - progress) > drain_timeout) {
      std::cerr << "caregw-mllp-load: no new delivery for " << drain_timeout << " s; "
                << r.delivered() << " of " << want << " arrived\n";
      return;
    }
  }
}

int run(Options& o) {
  if (o.run_id.empty()) {
    o.run_id = "LOAD" + std::to_string(std::time(nullptr));
  }
  const MessageFactory factory(o);
  if (o.print_sample) {
    std::cout << factory.make(0);
    return 0;
  }
  std::unique_ptr<EchoServer> echo;
  std::unique_ptr<Recipient> recipient;
  tcp::endpoint ep;
  if (o.echo) {
    echo = std::make_unique<EchoServer>(o);
    echo->start();
    ep = tcp::endpoint(net::ip::make_address("127.0.0.1"), echo->port());
  } else {
    ep = tcp::endpoint(net::ip::make_address(o.host), o.port);
  }
  if (o.recipient_port != 0) {
    recipient = std::make_unique<Recipient>(o);
    recipient->start();
  }
  LoadClient client(o, factory, ep);
  if (!client.setup()) {
    return 2;
  }
  client.run();
  if (echo) {
    echo->stop();
  }
  const AckCounts& c = client.counts();
  const auto& lat = client.latencies();
  const double secs = seconds(client.finished() - client.started());
  const double acked_per_s = secs > 0 ? static_cast<double>(c.aa) / secs : 0;
  const auto p50 = percentile(lat, 50);
  const auto p99 = percentile(lat, 99);
  const auto max = lat.empty() ? 0 : lat.back();
  const double cpu_pct = secs > 0 ? static_cast<double>(client.cpu_us()) / 1e6 / secs * 100 : 0;
  const bool clean = c.aa == o.messages && c.errors == 0 && c.mismatched == 0;

  std::cout << "caregw-mllp-load: " << (o.echo ? "echo server (no storage)" : "caregw") << " at "
            << ep << ", " << o.messages << " ADT^A01 over " << o.connections
            << " MLLP/TLS connections (" << client.opened() << " opened, " << client.protocol()
            << "), " << factory.patients() << " patients, one client thread\n"
            << "  acks      AA " << c.aa << "  AE " << c.ae << "  AR " << c.ar << "  other "
            << c.other << "  wrong MSA-2 " << c.mismatched << "  I/O errors " << c.errors
            << (clean ? "" : "  (NOT ALL AA)") << '\n'
            << "  accepted  " << c.aa << " in " << fixed(secs, 2)
            << " s = " << fixed(acked_per_s, 1) << " messages/s (AA)\n"
            << "  latency   p50 " << p50 << " us  p99 " << percentile(lat, 99) << " us  max " << max
            << " us (send to ACK)\n";
  std::string delivered_kv;
  if (recipient) {
    wait_for_deliveries(*recipient, c.aa, o.drain_timeout);
    const std::size_t d = recipient->delivered();
    const double dsecs = d > 0 ? seconds(recipient->last() - client.started()) : 0;
    const double dps = dsecs > 0 ? static_cast<double>(d) / dsecs : 0;
    std::cout << "  delivered " << d << " distinct at the recipient in " << fixed(dsecs, 2)
              << " s from the first send = " << fixed(dps, 1) << " messages/s; duplicates "
              << recipient->duplicates() << ", recipient connections " << recipient->connections()
              << ", " << (d == 0 ? 0 : recipient->bytes() / (d + recipient->duplicates()))
              << " bytes per delivery\n";
    delivered_kv = " delivered=" + std::to_string(d) + " delivered_per_s=" + fixed(dps, 1) +
                   " delivered_s=" + fixed(dsecs, 2) +
                   " duplicates=" + std::to_string(recipient->duplicates());
    recipient->stop();
  }
  std::cout << "  client CPU " << fixed(cpu_pct, 0) << "% of one core\n";
  std::cout << "mode=" << (o.echo ? "echo" : "caregw") << " messages=" << o.messages
            << " connections=" << o.connections << " aa=" << c.aa << " ae=" << c.ae
            << " ar=" << c.ar << " other=" << c.other << " mismatched=" << c.mismatched
            << " errors=" << c.errors << " all_aa=" << (clean ? 1 : 0)
            << " acked_per_s=" << fixed(acked_per_s, 1) << " seconds=" << fixed(secs, 2)
            << " p50_us=" << p50 << " p99_us=" << p99 << " max_us=" << max << delivered_kv
            << " client_cpu_pct=" << fixed(cpu_pct, 0) << '\n';
  return clean ? 0 : 1;
}

int run_main(int argc, char** argv) {
  CLI::App app{"caregw-mllp-load: HL7 v2 ADT^A01 over MLLP/TLS with a client certificate"};
  Options o;
  app.add_option("--host", o.host, "Server address")->capture_default_str();
  app.add_option("--port", o.port, "Server MLLP port")->capture_default_str();
  app.add_option("--server-name", o.server_name, "SNI and the name the server certificate names")
      ->capture_default_str();
  app.add_option("--ca", o.ca,
                 "CA bundle (verifies the server; the echo server and recipient "
                 "verify client certificates with it)")
      ->required();
  app.add_option("--cert", o.cert, "Client certificate (PEM): the sending organisation")
      ->required();
  app.add_option("--key", o.key, "Client private key (PEM)")->required();
  app.add_option("--messages,-n", o.messages, "Messages to send")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
  app.add_option("--connections,-c", o.connections, "Concurrent MLLP connections")
      ->capture_default_str()
      ->check(CLI::Range(1U, 10000U));
  app.add_option("--patients", o.patients, "Distinct patients (test-range NHS numbers)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{500'000}));
  app.add_option("--run-id", o.run_id, "MSH-10 prefix (default: LOAD<unix time>)");
  app.add_option("--sender", o.sender, "MSH-4 and the PID-3 MRN authority")->capture_default_str();
  app.add_option("--practice", o.practice, "PD1-3 registered GP practice ODS code")
      ->capture_default_str();
  app.add_flag("--echo", o.echo, "Send to an in-process MLLP/TLS echo server (the baseline)");
  app.add_option("--echo-threads", o.echo_threads, "Echo server threads")->capture_default_str();
  app.add_option("--server-cert", o.server_cert, "Echo server / recipient certificate (PEM)");
  app.add_option("--server-key", o.server_key, "Echo server / recipient private key (PEM)");
  app.add_option("--recipient-port", o.recipient_port,
                 "Run an HTTPS recipient on 127.0.0.1:PORT and count deliveries");
  app.add_option("--drain-timeout", o.drain_timeout,
                 "Seconds without a new delivery before giving up waiting")
      ->capture_default_str();
  app.add_flag("--print-sample", o.print_sample, "Print message 0 (CR-separated) and exit");
  CLI11_PARSE(app, argc, argv);
  if ((o.echo || o.recipient_port != 0) && (o.server_cert.empty() || o.server_key.empty())) {
    std::cerr << "caregw-mllp-load: --echo and --recipient-port need --server-cert and "
                 "--server-key\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  return run(o);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "caregw-mllp-load: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "caregw-mllp-load: unknown exception\n";
  }
  return 2;
}
