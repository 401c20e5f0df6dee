// The break-glass registry: a stated reason and justification are required, a grant lasts the
// configured time for one user and one patient, and the registry is safe to share.
#include "gateway/policy/break_glass.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/policy/policy_fixture.hpp"

namespace gw::policy::test {
namespace {

class FakeClock final : public Clock {
public:
  std::chrono::system_clock::time_point now() const override { return now_.load(); }
  std::chrono::steady_clock::time_point steady_now() const override { return {}; }
  void advance(std::chrono::seconds s) { now_.store(now_.load() + s); }

private:
  std::atomic<std::chrono::system_clock::time_point> now_{kNow};
};

BreakGlassRequest request(const char* user = "user-1", const char* patient = kPatientA) {
  return {user, patient, "emergency-treatment", "Patient unconscious in resus, no history"};
}

TEST(BreakGlass, NeedsAKnownReasonAndAJustification) {
  FakeClock clock;
  BreakGlassRegistry reg(clock);
  auto bad_reason = request();
  bad_reason.reason_code = "curiosity";
  EXPECT_EQ(reg.open(bad_reason).error().code, Errc::kBadRequest);
  auto no_text = request();
  no_text.justification = "   ";
  EXPECT_EQ(reg.open(no_text).error().code, Errc::kBadRequest);
  auto short_text = request();
  short_text.justification = "urgent";
  EXPECT_FALSE(reg.open(short_text).has_value());
  auto too_long = request();
  too_long.justification = std::string(1001, 'x');
  EXPECT_FALSE(reg.open(too_long).has_value());
  EXPECT_TRUE(reg.active_grants().empty());
}

TEST(BreakGlass, LastsFourHoursByDefaultForOneUserAndPatient) {
  FakeClock clock;
  BreakGlassRegistry reg(clock);
  auto g = reg.open(request());
  ASSERT_TRUE(g.has_value()) << g.error().detail;
  EXPECT_EQ(g->reason, BreakGlassReason::kEmergencyTreatment);
  EXPECT_EQ(g->expires_at - g->granted_at, std::chrono::hours{4});
  EXPECT_TRUE(reg.active("user-1", kPatientA).has_value());
  EXPECT_FALSE(reg.active("user-2", kPatientA).has_value());
  EXPECT_FALSE(reg.active("user-1", kPatientB).has_value());
  clock.advance(std::chrono::hours{4} - std::chrono::seconds{1});
  EXPECT_TRUE(reg.active("user-1", kPatientA).has_value());
  clock.advance(std::chrono::seconds{1});
  EXPECT_FALSE(reg.active("user-1", kPatientA).has_value());
  EXPECT_EQ(reg.purge_expired(), 1U);
}

TEST(BreakGlass, DurationIsConfigurableAndGrantsCanBeClosed) {
  FakeClock clock;
  BreakGlassRegistry reg(clock, std::chrono::hours{1});
  ASSERT_TRUE(reg.open(request()).has_value());
  clock.advance(std::chrono::minutes{61});
  EXPECT_FALSE(reg.active("user-1", kPatientA).has_value());
  ASSERT_TRUE(reg.open(request()).has_value());
  EXPECT_TRUE(reg.close("user-1", kPatientA));
  EXPECT_FALSE(reg.close("user-1", kPatientA));
  EXPECT_FALSE(reg.active("user-1", kPatientA).has_value());
}

TEST(BreakGlass, ActiveGrantFeedsTheDecisionAndIsMarked) {
  FakeClock clock;
  BreakGlassRegistry reg(clock);
  const PolicyIndex index = demo_index();
  const Requester r = requester("Z9A01", "R0050");
  const ResourceFacts res = resource(DataCategory::kMedications, "Z90001");
  auto before = reg.active("user-1", kPatientA);
  EXPECT_EQ(decide(index, r, patient(), res, clock.now(), before ? &*before : nullptr).effect,
            Effect::kDeny);
  ASSERT_TRUE(reg.open(request()).has_value());
  const auto g = reg.active("user-1", kPatientA);
  const auto d = decide(index, r, patient(), res, clock.now(), g ? &*g : nullptr);
  EXPECT_EQ(d.effect, Effect::kPermit);
  EXPECT_TRUE(d.break_glass);
}

TEST(BreakGlass, RegistryIsSafeToShareBetweenThreads) {
  FakeClock clock;
  BreakGlassRegistry reg(clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&reg, t] {
      const std::string user = "user-" + std::to_string(t);
      for (int i = 0; i < 200; ++i) {
        EXPECT_TRUE(reg.open(request(user.c_str())).has_value());
        EXPECT_TRUE(reg.active(user, kPatientA).has_value());
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(reg.active_grants().size(), 4U);
}

}  // namespace
}  // namespace gw::policy::test
