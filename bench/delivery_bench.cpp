// caregw-delivery-bench: the reliable-delivery path end to end, durable throughout: inbound
// message -> journal (committed, synchronous=FULL) -> route -> outbox (committed) -> delivered
// over HTTPS with mTLS to a local recipient -> outcome recorded (committed). Reports messages/s
// and latency percentiles against a baseline measured in the same run (raw durable SQLite
// inserts of the same messages into the journal table), then the resident memory with the
// recipient down and 1,000,000 messages queued.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <sys/resource.h>

#include "gateway/core/clock.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/routing/delivery_worker.hpp"
#include "gateway/routing/https_transport.hpp"
#include "gateway/routing/router.hpp"
#include "gateway/store/sqlite/sqlite_message_store.hpp"
#include "gateway/store/sqlite/store_database.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = net::ssl;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using Steady = std::chrono::steady_clock;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

/** rss_kib: VmRSS or VmHWM (peak) from /proc/self/status. */
long rss_kib(const char* field) {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind(field, 0) == 0) {
      return std::strtol(line.c_str() + std::string_view(field).size(), nullptr, 10);
    }
  }
  return -1;
}

/** Usage: the process's CPU time (user + system, every thread) and context switches so far. */
struct Usage {
  double cpu_s = 0;
  long switches = 0;
};
Usage usage_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return Usage{secs(u.ru_utime) + secs(u.ru_stime), u.ru_nvcsw + u.ru_nivcsw};
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

/** Recipient: an mTLS HTTPS server on 127.0.0.1 that notes the arrival time of each `seq`. */
class Recipient {
public:
  Recipient(const fs::path& certs, std::size_t messages) : acceptor_(ioc_), arrived_(messages) {
    tls_.use_certificate_chain_file((certs / "server.crt").string());
    tls_.use_private_key_file((certs / "server.key").string(), ssl::context::pem);
    tls_.load_verify_file((certs / "ca.crt").string());
    tls_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    net::co_spawn(ioc_, accept_loop(), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~Recipient() {
    net::post(ioc_, [this] { acceptor_.close(); });
    ioc_.stop();
    thread_.join();
  }
  Recipient(const Recipient&) = delete;
  Recipient& operator=(const Recipient&) = delete;
  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] std::size_t received() const { return received_.load(); }
  [[nodiscard]] std::size_t duplicates() const { return duplicates_.load(); }
  [[nodiscard]] Steady::time_point arrived(std::size_t seq) const { return arrived_[seq]; }

private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) {
        co_return;
      }
      socket.set_option(tcp::no_delay(true));
      net::co_spawn(ioc_, session(std::move(socket)), net::detached);
    }
  }
  net::awaitable<void> session(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> s(std::move(socket), tls_);
    if (auto [hec] = co_await s.async_handshake(ssl::stream_base::server, kTuple); hec) {
      co_return;
    }
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      if (auto [rec, rn] = co_await bhttp::async_read(s, buffer, req, kTuple); rec) {
        co_return;
      }
      // The payload starts {"seq":N,...
      const auto seq = std::strtoull(req.body().c_str() + 7, nullptr, 10);
      if (seq < arrived_.size()) {
        if (arrived_[seq] == Steady::time_point{}) {
          arrived_[seq] = Steady::now();
          received_.fetch_add(1);
        } else {
          duplicates_.fetch_add(1);
        }
      }
      bhttp::response<bhttp::string_body> res{bhttp::status::accepted, 11};
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      if (auto [wec, wn] = co_await bhttp::async_write(s, res, kTuple); wec) {
        co_return;
      }
    }
  }

  net::io_context ioc_{1};
  ssl::context tls_{ssl::context::tls_server};
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::vector<Steady::time_point> arrived_;  // written only on the recipient's thread
  std::atomic<std::size_t> received_{0};
  std::atomic<std::size_t> duplicates_{0};
};

/** nhs_numbers: `n` valid 999 test-range NHS numbers. */
std::vector<std::string> nhs_numbers(std::size_t n) {
  std::vector<std::string> out;
  for (std::int64_t i = 1; out.size() < n; ++i) {
    const auto nine = std::to_string(999000000 + i);
    const int check = gw::NhsNumber::check_digit(nine);
    if (check >= 0) {
      out.push_back(nine + std::to_string(check));
    }
  }
  return out;
}

/** body: a synthetic message of about 700 bytes (invented content, test-range NHS number). */
std::string body(std::size_t seq, const std::string& nhs) {
  std::string b = "{\"seq\":" + std::to_string(seq) +
                  ",\"resourceType\":\"Bundle\",\"type\":\"message\",\"entry\":[{\"resource\":"
                  "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"https://"
                  "fhir.nhs.uk/Id/nhs-number\",\"value\":\"" +
                  nhs +
                  "\"}]}},{\"resource\":{\"resourceType\":\"Encounter\",\"status\":\"finished\"}}]";
  b += ",\"note\":\"";
  b.append(480, 'x');
  b += "\"}";
  return b;
}

/** Paths: certificates for the recipient (server) and the gateway (client). */
fs::path find_certs(const fs::path& work, const std::string& given) {
  if (!given.empty()) {
    return given;
  }
  if (fs::exists(fs::path(CAREGW_BENCH_CERTS) / "ca.crt")) {
    return CAREGW_BENCH_CERTS;
  }
  const auto out = work / "certs";
  const std::string cmd = std::string(CAREGW_SOURCE_DIR) + "/certs/make-dev-certs --out " +
                          out.string() + " --org Z90001 --org Z9A01 > /dev/null";
  if (std::system(cmd.c_str()) != 0) {
    throw std::runtime_error("cannot make certificates: " + cmd);
  }
  return out;
}

/** baseline: the same journal rows inserted with plain SQLite, `batch` per durable commit. */
double baseline(const fs::path& dir, std::size_t n, std::size_t batch,
                const std::vector<std::string>& nhs) {
  auto db = gw::store::sqlite::open_store_database(dir).value();
  auto st =
      db.prepare(
            "INSERT INTO journal (sender_ods, adapter, sender_message_id, content_type, body, "
            "sha256, received_at, status) VALUES ('Z9A01', 'acute', ?1, 'application/json', "
            "?2, ?3, 0, 'received')")
          .value();
  const auto t0 = Steady::now();
  for (std::size_t i = 0; i < n;) {
    (void)db.exec("BEGIN IMMEDIATE");
    for (std::size_t j = 0; j < batch && i < n; ++j, ++i) {
      const auto b = body(i, nhs[i % nhs.size()]);
      st.bind(1, "base-" + std::to_string(i)).bind(2, b).bind(3, gw::store::sha256_hex(b));
      (void)st.run();
      st.reset();
    }
    (void)db.exec("COMMIT");
  }
  return static_cast<double>(n) / std::chrono::duration<double>(Steady::now() - t0).count();
}

struct E2eResult {
  double rate = 0;
  std::vector<double> ack_us, e2e_us;
  std::size_t duplicates = 0;
  double cpu_us_per_message = 0;  // the whole process: producers, writer, worker, both TLS ends
  double switches_per_message = 0;
};

/**
 * end_to_end: producers journal, route and queue each message (two durable writes, journal()
 * then complete(), or one, accept()) while the worker delivers over HTTPS.
 */
E2eResult end_to_end(const fs::path& dir, const fs::path& certs, std::size_t n, unsigned producers,
                     unsigned workers, const std::vector<std::string>& nhs, bool one_write) {
  gw::SystemClock clock;
  auto store = gw::store::sqlite::SqliteMessageStore::open_in_data_dir(dir, clock).value();
  Recipient recipient(certs, n);
  gw::routing::HttpsTransportOptions ho;
  ho.client_certificate = (certs / "Z9A01.crt").string();
  ho.client_key = (certs / "Z9A01.key").string();
  ho.ca = (certs / "ca.crt").string();
  ho.endpoints["Z90001"] = "https://127.0.0.1:" + std::to_string(recipient.port()) + "/in";
  auto transport = gw::routing::HttpsTransport::create(ho).value();
  gw::config::Subscription sub{"gp",
                               gw::OdsCode::parse("Z90001").value(),
                               {"discharge-summary"},
                               {},
                               {},
                               gw::config::PatientScope::kRegisteredPractice,
                               gw::config::SubscriptionTransport::kHttps,
                               ho.endpoints["Z90001"],
                               "fhir-r4",
                               1};
  const std::vector<gw::config::Subscription> subs{sub};
  gw::metrics::Registry registry;
  gw::routing::DeliveryStats stats(registry);
  gw::routing::DeliveryOptions wo;
  wo.threads = workers;
  wo.batch = 128;
  wo.idle_poll = std::chrono::milliseconds(2);
  gw::routing::DeliveryWorker worker(*store, *transport, clock, &stats, wo);
  worker.start();

  std::vector<Steady::time_point> started(n);
  std::vector<double> ack_us(n);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> failures{0};
  const auto u0 = usage_now();
  const auto t0 = Steady::now();
  std::vector<std::thread> threads;
  for (unsigned p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      for (std::size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
        const auto& patient = nhs[i % nhs.size()];
        gw::store::InboundMessage m{gw::OdsCode::parse("Z9A01").value(), "acute",
                                    "msg-" + std::to_string(i), "application/fhir+json",
                                    body(i, patient)};
        started[i] = Steady::now();
        const gw::routing::MessageFacts facts{
            m.sender, "discharge-summary", "", {"Encounter"}, gw::OdsCode::parse("Z90001").value(),
            {}};
        std::vector<gw::store::OutboundMessage> out;
        for (const auto& t : gw::routing::route(facts, subs)) {
          out.push_back({t.recipient, t.transport, patient, "discharge-summary",
                         "application/fhir+json", m.body});
        }
        const gw::store::Acknowledgement ack{"text/plain", "ok"};
        if (one_write) {
          if (!store->accept(m, ack, out)) {  // durable: the sender may be acked now
            failures.fetch_add(1);
            continue;
          }
          ack_us[i] = std::chrono::duration<double, std::micro>(Steady::now() - started[i]).count();
        } else {
          auto j = store->journal(m);  // durable when it returns: the sender may be acked now
          if (!j) {
            failures.fetch_add(1);
            continue;
          }
          ack_us[i] = std::chrono::duration<double, std::micro>(Steady::now() - started[i]).count();
          if (!store->complete(j->entry.id, ack, out)) {
            failures.fetch_add(1);
          }
        }
        worker.wake();
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  while (recipient.received() + failures.load() < n &&
         Steady::now() - t0 < std::chrono::minutes(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Delivered means the outcome is recorded too: wait until the outbox is empty.
  while (!store->queues().value().empty() && Steady::now() - t0 < std::chrono::minutes(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto elapsed = std::chrono::duration<double>(Steady::now() - t0).count();
  const auto u1 = usage_now();
  worker.stop();
  E2eResult r;
  r.rate = static_cast<double>(recipient.received()) / elapsed;
  r.cpu_us_per_message = (u1.cpu_s - u0.cpu_s) * 1e6 / static_cast<double>(n);
  r.switches_per_message = static_cast<double>(u1.switches - u0.switches) / static_cast<double>(n);
  r.ack_us = std::move(ack_us);
  for (std::size_t i = 0; i < n; ++i) {
    if (recipient.arrived(i) != Steady::time_point{}) {
      r.e2e_us.push_back(
          std::chrono::duration<double, std::micro>(recipient.arrived(i) - started[i]).count());
    }
  }
  r.duplicates = recipient.duplicates();
  if (failures.load() != 0 || recipient.received() != n) {
    std::printf("  !! %zu failures, %zu of %zu received\n", failures.load(), recipient.received(),
                n);
  }
  return r;
}

/** memory: the recipient down (nothing listening) while `queued` messages are queued. */
void memory(const fs::path& dir, const fs::path& certs, std::size_t queued,
            const std::vector<std::string>& nhs) {
  gw::SystemClock clock;
  auto store = gw::store::sqlite::SqliteMessageStore::open_in_data_dir(dir, clock).value();
  gw::routing::HttpsTransportOptions ho;
  ho.client_certificate = (certs / "Z9A01.crt").string();
  ho.client_key = (certs / "Z9A01.key").string();
  ho.ca = (certs / "ca.crt").string();
  {
    net::io_context ioc;  // a port nothing listens on: connection refused
    tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    ho.endpoints["Z90001"] = "https://127.0.0.1:" + std::to_string(a.local_endpoint().port());
  }
  auto transport = gw::routing::HttpsTransport::create(ho).value();
  gw::routing::DeliveryOptions wo;
  wo.retry.initial_backoff = std::chrono::milliseconds(200);
  wo.retry.max_backoff = std::chrono::seconds(5);
  wo.retry.max_attempts = 1'000'000;
  gw::metrics::Registry registry;
  gw::routing::DeliveryStats stats(registry);
  gw::routing::DeliveryWorker worker(*store, *transport, clock, &stats, wo);
  worker.start();
  const long rss_start = rss_kib("VmRSS:");
  const auto t0 = Steady::now();
  constexpr std::size_t kChunk = 1000;
  std::vector<gw::store::OutboundMessage> chunk;
  for (std::size_t i = 0; i < queued; i += kChunk) {
    chunk.clear();
    for (std::size_t j = i; j < std::min(queued, i + kChunk); ++j) {
      chunk.push_back({gw::OdsCode::parse("Z90001").value(), gw::store::TransportKind::kHttps,
                       nhs[j % nhs.size()], "discharge-summary", "application/fhir+json",
                       body(j, nhs[j % nhs.size()])});
    }
    if (!store->enqueue(chunk)) {
      std::printf("  !! enqueue failed at %zu\n", i);
      break;
    }
    if ((i / kChunk) % 250 == 0) {
      std::printf("  queued %7zu  rss %6ld KiB\n", i, rss_kib("VmRSS:"));
      std::fflush(stdout);
    }
  }
  const double fill_s = std::chrono::duration<double>(Steady::now() - t0).count();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the worker keeps retrying heads
  const auto q0 = Steady::now();
  const auto queues = store->queues().value();
  const double queues_ms = std::chrono::duration<double, std::milli>(Steady::now() - q0).count();
  worker.stop();
  const auto retries = stats.retries.find({"Z90001"});
  std::printf(
      "memory: %zu queued in %.1f s (%.0f/s) with the recipient down; depth reported %" PRId64
      " (queues() %.0f ms); %" PRIu64 " failed attempts meanwhile\n",
      queued, fill_s, static_cast<double>(queued) / fill_s,
      queues.empty() ? std::int64_t{0} : queues[0].queued, queues_ms,
      retries != nullptr ? retries->value() : 0);
  std::printf("memory: RSS %ld KiB at start, %ld KiB with %zu queued; peak %ld KiB\n", rss_start,
              rss_kib("VmRSS:"), queued, rss_kib("VmHWM:"));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"caregw-delivery-bench: journal -> route -> outbox -> HTTPS delivery, durable"};
  std::size_t messages = 50'000;
  std::size_t queued = 1'000'000;
  unsigned producers = 64;
  unsigned workers = 4;
  std::size_t patients = 5'000;
  std::string dir_arg, certs_arg;
  bool keep = false;
  std::string flow = "both";
  app.add_option("--messages", messages, "messages end to end")->capture_default_str();
  app.add_option("--producers", producers, "threads accepting messages")->capture_default_str();
  app.add_option("--workers", workers, "delivery worker threads")->capture_default_str();
  app.add_option("--patients", patients, "distinct patients (ordering lines)")
      ->capture_default_str();
  app.add_option("--queued", queued, "messages queued with the recipient down (0: skip)")
      ->capture_default_str();
  app.add_option("--dir", dir_arg, "work folder (default: a new one under /tmp)");
  app.add_option("--certs", certs_arg, "certificate folder (default: the build's test-certs)");
  app.add_flag("--keep", keep, "keep the work folder");
  app.add_option("--flow", flow, "end-to-end flows to run: both, journal (then complete), accept")
      ->check(CLI::IsMember({"both", "journal", "accept"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    fs::path work = dir_arg.empty() ? fs::temp_directory_path() /
                                          ("caregw-delivery-bench-" + std::to_string(getpid()))
                                    : fs::path(dir_arg);
    fs::create_directories(work);
    const auto certs = find_certs(work, certs_arg);
    const auto nhs = nhs_numbers(patients);
    std::printf(
        "caregw-delivery-bench: SQLite %s, synchronous=FULL, %zu messages, %u producers, "
        "%u delivery threads, %zu patients, %u cores\n",
        std::string(gw::store::sqlite::sqlite_library_version()).c_str(), messages, producers,
        workers, patients, std::thread::hardware_concurrency());

    const double base = baseline(work / "baseline", messages, 256, nhs);
    std::printf(
        "baseline: raw SQLite journal inserts, 256 per durable commit, one thread: "
        "%.0f messages/s\n",
        base);
    const double base1 =
        baseline(work / "baseline1", std::min<std::size_t>(messages, 2000), 1, nhs);
    std::printf("baseline: raw SQLite journal inserts, one durable commit each: %.0f messages/s\n",
                base1);

    for (const bool one_write : {false, true}) {
      if (flow != "both" && (flow == "accept") != one_write) {
        continue;
      }
      auto r = end_to_end(work / (one_write ? "e2e-accept" : "e2e"), certs, messages, producers,
                          workers, nhs, one_write);
      std::printf(
          "end to end, %s: %.0f messages/s delivered (%.2fx the batched raw insert rate); "
          "%zu duplicates at the recipient\n",
          one_write ? "accept() (one write)" : "journal() then complete()", r.rate, r.rate / base,
          r.duplicates);
      std::printf(
          "  CPU %.0f us per message (all threads: producers, writer, worker, recipient; %.0f "
          "messages/s per core), %.1f context switches per message\n",
          r.cpu_us_per_message, 1e6 / r.cpu_us_per_message, r.switches_per_message);
      std::printf("  ack (durable)              p50 %8.0f us  p99 %8.0f us  max %8.0f us\n",
                  percentile(r.ack_us, 0.5), percentile(r.ack_us, 0.99), percentile(r.ack_us, 1.0));
      std::printf("  accept -> recipient        p50 %8.0f us  p99 %8.0f us  max %8.0f us\n",
                  percentile(r.e2e_us, 0.5), percentile(r.e2e_us, 0.99), percentile(r.e2e_us, 1.0));
    }
    std::printf("  peak RSS so far %ld KiB\n", rss_kib("VmHWM:"));
    if (queued > 0) {
      memory(work / "memory", certs, queued, nhs);
    }
    if (!keep) {
      fs::remove_all(work);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "caregw-delivery-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
