// Config reload (SIGHUP): the token issuers' keys and the agreements are staged together and put
// in force only when everything loaded; a bad JWKS or agreement keeps the old ones; every reload,
// applied or rejected, is audited with the agreements in force after it.
#include "gateway/pipeline/reload.hpp"

#include <gtest/gtest.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/auth/demo_issuer.hpp"
#include "gateway/core/clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::pipeline {
namespace {

using std::chrono::system_clock;

/** The demo config (examples/demo/caregw.yaml: the two demo agreements), trusting `jwks`. */
config::Config demo_config(const std::string& jwks) {
  config::LoadOptions opts;
  opts.check_files = false;
  const auto lr =
      config::load_file(std::string(CAREGW_SOURCE_DIR) + "/examples/demo/caregw.yaml", opts);
  EXPECT_TRUE(lr.errors.empty()) << lr.errors.front().str();
  config::Config cfg = *lr.config;
  cfg.source = "caregw.yaml";
  cfg.token_issuers.clear();
  cfg.token_issuers.push_back(config::TokenIssuer{std::string(auth::kDemoIssuer),
                                                  {"jwks.json", jwks, 41},
                                                  std::string(auth::kDemoAudience),
                                                  40});
  return cfg;
}

class ReloadTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto a = auth::ensure_demo_issuer(dir_.file("a"));
    auto b = auth::ensure_demo_issuer(dir_.file("b"));
    ASSERT_TRUE(a && b);
    old_issuer_ = std::move(*a);
    new_issuer_ = std::move(*b);
    std::vector<config::Diagnostic> errors;
    auto first = stage_reload(demo_config(old_issuer_.jwks_path), policy::read_from_disk,
                              system_clock::now(), errors);
    ASSERT_TRUE(first) << errors.front().str();
    policy_ = std::make_unique<policy::PolicyHolder>(std::move(first->policy));
    tokens_ = std::make_unique<auth::TokenVerifierHolder>(std::move(first->tokens));
  }

  /** verifies: whether `verifier` accepts the GP's token signed by `issuer`. */
  static bool verifies(const auth::TokenVerifier& verifier, const auth::DemoIssuer& issuer) {
    const auto now = system_clock::now();
    auto token = auth::mint_demo_token(issuer, *auth::find_demo_user("gp"), now);
    EXPECT_TRUE(token);
    return token && verifier.verify(*token, now).has_value();
  }

  test::TempDir dir_;
  auth::DemoIssuer old_issuer_;
  auth::DemoIssuer new_issuer_;
  std::unique_ptr<policy::PolicyHolder> policy_;
  std::unique_ptr<auth::TokenVerifierHolder> tokens_;
};

TEST_F(ReloadTest, NewIssuerKeysGoInForceAndARunningRequestKeepsTheOldVerifier) {
  const auto running = tokens_->current();  // a request that started before the reload
  ASSERT_TRUE(verifies(*running, old_issuer_));
  ASSERT_FALSE(verifies(*running, new_issuer_));

  std::vector<config::Diagnostic> errors;
  auto staged = stage_reload(demo_config(new_issuer_.jwks_path), policy::read_from_disk,
                             system_clock::now(), errors);
  ASSERT_TRUE(staged) << errors.front().str();
  // Staged is not in force yet.
  EXPECT_TRUE(verifies(*tokens_->current(), old_issuer_));
  apply_reload(std::move(*staged), *policy_, *tokens_);

  EXPECT_TRUE(verifies(*tokens_->current(), new_issuer_));
  EXPECT_FALSE(verifies(*tokens_->current(), old_issuer_));
  EXPECT_TRUE(verifies(*running, old_issuer_));  // untouched for the request that holds it
  EXPECT_EQ(policy_->current()->index->agreements().size(), 2U);
}

TEST_F(ReloadTest, AReloadWhoseJwksFailsToLoadIsRejectedAndTheOldVerifierStays) {
  const std::string bad = dir_.write("bad-jwks.json", R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})");
  for (const std::string& path : {dir_.file("missing-jwks.json"), bad}) {
    std::vector<config::Diagnostic> errors;
    EXPECT_FALSE(
        stage_reload(demo_config(path), policy::read_from_disk, system_clock::now(), errors));
    ASSERT_EQ(errors.size(), 1U) << path;
    EXPECT_EQ(errors[0].str().rfind("caregw.yaml:41: ", 0), 0U) << errors[0].str();
    EXPECT_TRUE(verifies(*tokens_->current(), old_issuer_));
  }
}

TEST_F(ReloadTest, ABadAgreementStagesNothingEvenWithGoodKeys) {
  config::Config cfg = demo_config(new_issuer_.jwks_path);
  cfg.agreements.push_back({"dsa/none.yaml", dir_.file("none.yaml"), 9});
  std::vector<config::Diagnostic> errors;
  EXPECT_FALSE(stage_reload(cfg, policy::read_from_disk, system_clock::now(), errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_TRUE(verifies(*tokens_->current(), old_issuer_));
  EXPECT_FALSE(verifies(*tokens_->current(), new_issuer_));
}

TEST_F(ReloadTest, AnAppliedReloadIsAuditedWithTheAgreementsInForce) {
  const auto set = policy_->current();
  const auto records = reload_audit_records(ReloadOutcome{true, {}, set->index.get(), "node-1"});
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].type, audit::EventType::kConfigReload);
  EXPECT_EQ(records[1].type, audit::EventType::kDsaReload);
  for (const auto& r : records) {
    EXPECT_EQ(r.outcome, audit::Outcome::kSuccess);
    EXPECT_EQ(r.node_id, "node-1");
    EXPECT_EQ(r.user_id, "SIGHUP");
    EXPECT_TRUE(audit::validate_record(r)) << r.detail;
  }
  EXPECT_EQ(records[1].detail, "agreements reloaded; in force: DSA-DEMO-DC v1.0, DSA-DEMO-SG v1.0");
}

TEST_F(ReloadTest, ARejectedReloadIsAuditedWithTheReasonAndTheAgreementsStillInForce) {
  const auto set = policy_->current();
  // A reason with a control character and far over the audit field limit is still recordable.
  const std::vector<config::Diagnostic> errors = {
      {"caregw.yaml", 41, "cannot read JWKS file /etc/caregw/jwks.json\n" + std::string(5000, 'x')},
      {"dsa/x.yaml", 3, "unknown category 'gossip'"}};
  const auto records = reload_audit_records(ReloadOutcome{false, errors, set->index.get(), "n"});
  ASSERT_EQ(records.size(), 2U);
  for (const auto& r : records) {
    EXPECT_EQ(r.outcome, audit::Outcome::kMinorFailure);
    EXPECT_TRUE(audit::validate_record(r)) << r.detail.size();
    EXPECT_NE(r.detail.find("rejected: caregw.yaml:41: cannot read JWKS file"), std::string::npos);
  }
  EXPECT_NE(records[0].detail.find("the running config stays in force"), std::string::npos);
  EXPECT_NE(records[1].detail.find("still in force: DSA-DEMO-DC v1.0, DSA-DEMO-SG v1.0"),
            std::string::npos);
  // Without agreements (none could be loaded yet) the record says so.
  const auto none = reload_audit_records(ReloadOutcome{false, {}, nullptr, "n"});
  EXPECT_NE(none[1].detail.find("still in force: none"), std::string::npos);
}

TEST_F(ReloadTest, AuditReloadWritesBothRecordsToTheLog) {
  const SystemClock clock;
  audit::AuditLogOptions options;
  options.data_dir = dir_.file("data");
  options.node_id = "node-1";
  auto log = audit::AuditLog::open(options, clock);
  ASSERT_TRUE(log) << log.error().detail;
  const auto set = policy_->current();
  audit_reload(**log, ReloadOutcome{false, {{"caregw.yaml", 41, "bad"}}, set->index.get(), "n"});
  audit_reload(**log, ReloadOutcome{true, {}, set->index.get(), "n"});
  (*log)->close();  // every queued record is written
  log = audit::AuditLog::open(options, clock);
  ASSERT_TRUE(log) << log.error().detail;
  audit::QueryFilter filter;
  filter.types = {audit::EventType::kConfigReload, audit::EventType::kDsaReload};
  auto page = (*log)->query(filter, audit::PageRequest{});
  ASSERT_TRUE(page) << page.error().detail;
  ASSERT_EQ(page->records.size(), 4U);
  EXPECT_EQ(page->records[0].record.outcome, audit::Outcome::kMinorFailure);
  EXPECT_EQ(page->records[3].record.type, audit::EventType::kDsaReload);
  EXPECT_EQ(page->records[3].record.outcome, audit::Outcome::kSuccess);
  (*log)->close();
}

}  // namespace
}  // namespace gw::pipeline
