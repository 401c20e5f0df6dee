// The router: which subscriptions an accepted message matches, per patient relationship, and the
// retry schedule (exponential backoff with jitter, give-up by attempts or age).
#include "gateway/routing/router.hpp"

#include <gtest/gtest.h>

#include "gateway/routing/retry.hpp"

namespace gw::routing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

OdsCode ods(std::string_view s) { return OdsCode::parse(s).value(); }

// Invented ODS-style codes: a GP practice, another practice, the acute trust, the council, the
// ambulance service.
constexpr std::string_view kGp = "Z90001";
constexpr std::string_view kOtherGp = "Z90009";
constexpr std::string_view kAcute = "Z9A01";
constexpr std::string_view kCouncil = "Z9S01";
constexpr std::string_view kAmbulance = "Z9L01";

config::Subscription sub(std::string name, std::string_view recipient,
                         std::vector<std::string> kinds, config::PatientScope scope,
                         config::SubscriptionTransport t = config::SubscriptionTransport::kHttps) {
  return config::Subscription{std::move(name),
                              ods(recipient),
                              std::move(kinds),
                              {},
                              {},
                              scope,
                              t,
                              "https://recipient.test/in",
                              "fhir-r4",
                              1};
}

std::vector<std::string> names(const std::vector<RouteTarget>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts) {
    out.push_back(t.subscription);
  }
  return out;
}

class RouterTest : public ::testing::Test {
protected:
  std::vector<config::Subscription> subs_{
      sub("gp", kGp, {"discharge-summary"}, config::PatientScope::kRegisteredPractice),
      sub("other-gp", kOtherGp, {"discharge-summary"}, config::PatientScope::kRegisteredPractice),
      sub("council", kCouncil, {"discharge-summary"}, config::PatientScope::kOpenCase,
          config::SubscriptionTransport::kMailbox),
      sub("ambulance", kAmbulance, {"crisis-plan"}, config::PatientScope::kAll),
      sub("acute-crisis", kAcute, {"crisis-plan"}, config::PatientScope::kAll),
  };
  MessageFacts discharge_{ods(kAcute), "discharge-summary", "", {"Encounter"}, ods(kGp), {}};
};

TEST_F(RouterTest, ADischargeGoesToTheRegisteredPracticeOnly) {
  EXPECT_EQ(names(route(discharge_, subs_)), std::vector<std::string>{"gp"});
}

TEST_F(RouterTest, AndToSocialCareWhenACaseIsOpen) {
  discharge_.open_cases = {ods(kCouncil)};
  auto ts = route(discharge_, subs_);
  EXPECT_EQ(names(ts), (std::vector<std::string>{"gp", "council"}));
  EXPECT_EQ(ts[1].transport, store::TransportKind::kMailbox);
}

TEST_F(RouterTest, NoRegisteredPracticeKnownMeansNoPractice) {
  discharge_.registered_practice.reset();
  EXPECT_TRUE(route(discharge_, subs_).empty());
}

TEST_F(RouterTest, TheSenderNeverGetsItsOwnMessageBack) {
  MessageFacts crisis{ods(kAcute), "crisis-plan", "", {"CarePlan"}, std::nullopt, {}};
  EXPECT_EQ(names(route(crisis, subs_)), std::vector<std::string>{"ambulance"});
}

TEST_F(RouterTest, EventsAndResourceTypesNarrowAMatch) {
  auto s = sub("adt", kGp, {}, config::PatientScope::kAll);
  s.events = {"ADT^A03"};
  s.resource_types = {"Encounter", "Condition"};
  std::vector<config::Subscription> subs{s};
  MessageFacts f{ods(kAcute), "adt", "ADT^A03", {"Patient", "Encounter"}, std::nullopt, {}};
  EXPECT_EQ(route(f, subs).size(), 1U);
  f.event = "ADT^A01";
  EXPECT_TRUE(route(f, subs).empty());
  f.event = "ADT^A03";
  f.resource_types = {"Patient"};
  EXPECT_TRUE(route(f, subs).empty());
}

TEST_F(RouterTest, OneTargetPerRecipientAndTransport) {
  subs_.push_back(sub("gp-again", kGp, {"discharge-summary"}, config::PatientScope::kAll));
  EXPECT_EQ(names(route(discharge_, subs_)), std::vector<std::string>{"gp"});
}

TEST(Retry, BackoffDoublesUpToTheCapAndJitterOnlyShortensIt) {
  RetryPolicy p;
  p.initial_backoff = milliseconds(1000);
  p.max_backoff = milliseconds(30'000);
  p.jitter = 0.5;
  EXPECT_EQ(backoff(p, 1, 0.0), milliseconds(1000));
  EXPECT_EQ(backoff(p, 2, 0.0), milliseconds(2000));
  EXPECT_EQ(backoff(p, 5, 0.0), milliseconds(16'000));
  EXPECT_EQ(backoff(p, 6, 0.0), milliseconds(30'000));
  EXPECT_EQ(backoff(p, 60, 0.0), milliseconds(30'000));
  EXPECT_EQ(backoff(p, 3, 0.999999), milliseconds(2000));
  EXPECT_EQ(backoff(p, 3, 0.5), milliseconds(3000));
}

TEST(Retry, GivesUpAfterMaxAttemptsOrAge) {
  RetryPolicy p;
  p.max_attempts = 3;
  p.max_age = seconds(3600);
  const store::TimePoint t0{};
  EXPECT_TRUE(next_attempt(p, 2, t0, t0 + seconds(10), 0.0));
  EXPECT_EQ(*next_attempt(p, 2, t0, t0 + seconds(10), 0.0), t0 + seconds(10) + seconds(2));
  EXPECT_FALSE(next_attempt(p, 3, t0, t0 + seconds(10), 0.0));
  EXPECT_FALSE(next_attempt(p, 1, t0, t0 + seconds(3600), 0.0));
}

}  // namespace
}  // namespace gw::routing
