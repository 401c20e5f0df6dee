// The real `caregw serve` process killed with SIGKILL in the middle of a burst of audited
// requests: after a restart, every request that got an answer has its audit record (matched by
// the X-Request-ID the answer carried) and `caregw audit verify` finds the chain intact. The
// answer is sent only once its record is durable, so no answered request may be missing.
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/auth/demo_issuer.hpp"
#include "gateway/core/clock.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/tls_client.hpp"

namespace gw::test {
namespace {

using namespace std::chrono_literals;

/** serve_config: the test config with its own data directory and the demo issuer's JWKS. */
std::string serve_config(TempDir& dir) {
  std::string yaml = config_yaml_in(dir.file("data"));
  yaml += "token_issuers:\n  - issuer: " + std::string(auth::kDemoIssuer) +
          "\n    jwks_file: jwks.json\n    audience: " + std::string(auth::kDemoAudience) + "\n";
  return dir.write("caregw.yaml", yaml);
}

/** Burst: clients sending audited reads until the server goes away, keeping what was answered.
 */
class Burst {
public:
  Burst(std::uint16_t port, std::string token, int clients) {
    for (int i = 0; i < clients; ++i) {
      threads_.emplace_back([this, port, token] { client(port, token); });
    }
  }
  ~Burst() { join(); }
  Burst(const Burst&) = delete;
  Burst& operator=(const Burst&) = delete;

  void join() {
    for (auto& t : threads_) {
      if (t.joinable()) {
        t.join();
      }
    }
  }
  [[nodiscard]] std::size_t answered() const { return answered_.load(); }
  [[nodiscard]] std::set<std::string> ids() {
    std::lock_guard lock(mu_);
    return ids_;
  }
  [[nodiscard]] std::size_t broken() const { return broken_.load(); }

private:
  void client(std::uint16_t port, const std::string& token) {
    // A few fresh connections per client, so that some requests are mid-handshake at the kill.
    for (;;) {
      TlsClient c(client_for("Z90001"));
      if (c.connect(port)) {
        broken_.fetch_add(1);
        return;
      }
      for (int i = 0; i < 20; ++i) {
        HttpResponse r;
        if (c.request("GET", "/fhir/Patient/9991158383", r, "",
                      {{"Authorization", "Bearer " + token}}) ||
            r.status == 0) {
          broken_.fetch_add(1);
          return;  // the server is gone: this request had no answer
        }
        const std::string id = r.header("X-Request-ID");
        // No agreements in this config: every read is refused before the lookup (deny by
        // default), and each refusal is an audited access decision like any answer.
        if (r.status != 403 || id.empty()) {
          ADD_FAILURE() << "unexpected answer " << r.status << ": " << r.body;
          return;
        }
        std::lock_guard lock(mu_);
        ids_.insert(id);
        answered_.fetch_add(1);
      }
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::set<std::string> ids_;
  std::atomic<std::size_t> answered_{0};
  std::atomic<std::size_t> broken_{0};
};

TEST(AuditCrash, AfterKillNineEveryAnsweredRequestHasItsAuditRecordAndTheChainVerifies) {
  TempDir dir;
  auto issuer = auth::ensure_demo_issuer(dir.file("issuer"));
  ASSERT_TRUE(issuer) << issuer.error().detail;
  std::filesystem::copy_file(issuer->jwks_path, dir.file("jwks.json"));
  const auto config = serve_config(dir);
  auto token =
      auth::mint_demo_token(*issuer, *auth::find_demo_user("gp"), std::chrono::system_clock::now());
  ASSERT_TRUE(token);

  std::set<std::string> answered;
  {
    Child child({caregw_binary(), "serve", "--config", config});
    ASSERT_TRUE(child.wait_listening(2, 20s));
    // 16 clients reading a patient (each refusal audited, durably, before its 403).
    Burst burst(child.port("provider"), *token, 16);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (burst.answered() < 300 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    child.signal(SIGKILL);
    burst.join();
    EXPECT_NE(child.wait_exit(10s), 0);
    answered = burst.ids();
    ASSERT_GE(answered.size(), 300U);
    EXPECT_GT(burst.broken(), 0U) << "the kill should have cut requests off mid-burst";
  }

  // Restart on the same data: the gateway opens the log again and serves.
  {
    Child child({caregw_binary(), "serve", "--config", config});
    ASSERT_TRUE(child.wait_listening(2, 20s));
    TlsClient c(client_for("Z90001"));
    ASSERT_FALSE(c.connect(child.port("provider")));
    HttpResponse r;
    ASSERT_FALSE(c.request("GET", "/fhir/Patient/9991158383", r, "",
                           {{"Authorization", "Bearer " + *token}}));
    EXPECT_EQ(r.status, 403U) << r.body;
    answered.insert(r.header("X-Request-ID"));
    child.signal(SIGTERM);
    EXPECT_EQ(child.wait_exit(20s), 0);
  }

  const auto verified =
      run_command({caregw_binary(), "audit", "verify", "--data-dir", dir.file("data")});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("audit log intact"), std::string::npos) << verified.out;

  // Every answered request id is in the log, as the GP's (unanswerable) read.
  const SystemClock clock;
  audit::AuditLogOptions options;
  options.data_dir = dir.file("data");
  auto log = audit::AuditLog::open(options, clock);
  ASSERT_TRUE(log) << log.error().detail;
  std::set<std::string> recorded;
  audit::QueryFilter filter;
  filter.types = {audit::EventType::kRecordRead};
  audit::PageRequest page;
  page.limit = audit::kMaxPageSize;
  for (;;) {
    auto p = (*log)->query(filter, page);
    ASSERT_TRUE(p) << p.error().detail;
    for (const auto& s : p->records) {
      if (s.record.user_id == "demo-user-gp") {
        recorded.insert(s.record.request_id);
      }
    }
    if (p->next_cursor.empty()) {
      break;
    }
    page.cursor = p->next_cursor;
  }
  (*log)->close();
  std::size_t missing = 0;
  for (const auto& id : answered) {
    missing += recorded.contains(id) ? 0 : 1;
  }
  EXPECT_EQ(missing, 0U) << "of " << answered.size() << " answered requests";
  EXPECT_GE(recorded.size(), answered.size());
}

}  // namespace
}  // namespace gw::test
