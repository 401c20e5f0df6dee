// Unit tests for gateway/http/route_table.hpp: method + path -> typed Operation, 404 vs 405.
#include "gateway/http/route_table.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gw::http {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using Kind = MatchResult::Kind;

TEST(RouteTableBuiltin, MatchesEveryGetRoute) {
  const RouteTable t = RouteTable::builtin();
  const struct {
    std::string_view path;
    Operation op;
  } cases[] = {
      {"/healthz", Operation::kHealth},
      {"/readyz", Operation::kReady},
      {"/metrics", Operation::kMetrics},
      {"/fhir/metadata", Operation::kCapabilities},
  };
  for (const auto& c : cases) {
    const MatchResult m = t.match(Method::kGet, c.path);
    ASSERT_EQ(m.kind, Kind::kFound) << c.path;
    EXPECT_EQ(m.match.op, c.op) << c.path;
    EXPECT_THAT(m.match.params, IsEmpty()) << c.path;
    EXPECT_THAT(m.allowed, IsEmpty()) << c.path;
  }
}

TEST(RouteTableBuiltin, HeadMatchesGetRoutes) {
  const RouteTable t = RouteTable::builtin();
  for (std::string_view path : {"/healthz", "/readyz", "/metrics", "/fhir/metadata"}) {
    const MatchResult m = t.match(Method::kHead, path);
    EXPECT_EQ(m.kind, Kind::kFound) << path;
  }
  EXPECT_EQ(t.match(Method::kHead, "/fhir/metadata").match.op, Operation::kCapabilities);
}

TEST(RouteTableBuiltin, PostToGetRouteIsMethodNotAllowed) {
  const RouteTable t = RouteTable::builtin();
  const MatchResult m = t.match(Method::kPost, "/healthz");
  EXPECT_EQ(m.kind, Kind::kMethodNotAllowed);
  EXPECT_THAT(m.allowed, ElementsAre(Method::kGet, Method::kHead));
}

TEST(RouteTableBuiltin, OtherMethodsAreMethodNotAllowed) {
  const RouteTable t = RouteTable::builtin();
  for (Method method :
       {Method::kPut, Method::kPatch, Method::kDelete, Method::kOptions, Method::kOther}) {
    const MatchResult m = t.match(method, "/fhir/metadata");
    EXPECT_EQ(m.kind, Kind::kMethodNotAllowed) << method_name(method);
    EXPECT_THAT(m.allowed, ElementsAre(Method::kGet, Method::kHead)) << method_name(method);
  }
}

TEST(RouteTableBuiltin, UnknownPathsAreNotFound) {
  const RouteTable t = RouteTable::builtin();
  for (std::string_view path :
       {"/nope", "", "/", "healthz", "/healthz/", "//healthz", "/HEALTHZ", "/healthz/extra",
        "/fhir", "/fhir/", "/fhir/metadata/", "/fhir//metadata"}) {
    const MatchResult m = t.match(Method::kGet, path);
    EXPECT_EQ(m.kind, Kind::kNotFound) << "'" << path << "'";
    EXPECT_THAT(m.allowed, IsEmpty()) << "'" << path << "'";
  }
}

TEST(RouteTableBuiltin, UnknownPathWithWrongMethodIsStillNotFound) {
  const RouteTable t = RouteTable::builtin();
  EXPECT_EQ(t.match(Method::kPost, "/nope").kind, Kind::kNotFound);
}

TEST(RouteTable, EmptyTableMatchesNothing) {
  const RouteTable t;
  EXPECT_EQ(t.match(Method::kGet, "/healthz").kind, Kind::kNotFound);
}

TEST(RouteTable, CapturesParameter) {
  RouteTable t;
  t.add(Method::kGet, "/fhir/Patient/{id}", Operation::kCapabilities);
  const MatchResult m = t.match(Method::kGet, "/fhir/Patient/9990000018");
  ASSERT_EQ(m.kind, Kind::kFound);
  EXPECT_EQ(m.match.op, Operation::kCapabilities);
  EXPECT_THAT(m.match.params, ElementsAre("9990000018"));
}

TEST(RouteTable, CapturesSeveralParametersInOrder) {
  RouteTable t;
  t.add(Method::kGet, "/org/{ods}/patient/{id}", Operation::kHealth);
  const MatchResult m = t.match(Method::kGet, "/org/Z90001/patient/42");
  ASSERT_EQ(m.kind, Kind::kFound);
  EXPECT_THAT(m.match.params, ElementsAre("Z90001", "42"));
}

TEST(RouteTable, CaptureRejectsEmptySegment) {
  RouteTable t;
  t.add(Method::kGet, "/fhir/Patient/{id}", Operation::kCapabilities);
  EXPECT_EQ(t.match(Method::kGet, "/fhir/Patient/").kind, Kind::kNotFound);
  EXPECT_EQ(t.match(Method::kGet, "/fhir/Patient").kind, Kind::kNotFound);
  EXPECT_EQ(t.match(Method::kGet, "/fhir/Patient/1/2").kind, Kind::kNotFound);
}

TEST(RouteTable, CaptureOnlyMatchesItsOwnSegment) {
  RouteTable t;
  t.add(Method::kGet, "/fhir/Patient/{id}", Operation::kCapabilities);
  EXPECT_EQ(t.match(Method::kGet, "/fhir/Practitioner/1").kind, Kind::kNotFound);
}

TEST(RouteTable, LiteralBracesAreNotACaptureUnlessWholeSegment) {
  RouteTable t;
  t.add(Method::kGet, "/a/x{id}", Operation::kHealth);
  EXPECT_EQ(t.match(Method::kGet, "/a/x{id}").kind, Kind::kFound);
  EXPECT_EQ(t.match(Method::kGet, "/a/x1").kind, Kind::kNotFound);
}

TEST(RouteTable, SamePathDifferentMethods) {
  RouteTable t;
  t.add(Method::kGet, "/fhir/Patient/{id}", Operation::kHealth);
  t.add(Method::kDelete, "/fhir/Patient/{id}", Operation::kReady);
  const MatchResult get = t.match(Method::kGet, "/fhir/Patient/1");
  ASSERT_EQ(get.kind, Kind::kFound);
  EXPECT_EQ(get.match.op, Operation::kHealth);
  const MatchResult del = t.match(Method::kDelete, "/fhir/Patient/1");
  ASSERT_EQ(del.kind, Kind::kFound);
  EXPECT_EQ(del.match.op, Operation::kReady);
  EXPECT_THAT(del.allowed, IsEmpty());
  const MatchResult post = t.match(Method::kPost, "/fhir/Patient/1");
  EXPECT_EQ(post.kind, Kind::kMethodNotAllowed);
  EXPECT_THAT(post.allowed, UnorderedElementsAre(Method::kGet, Method::kHead, Method::kDelete));
}

TEST(RouteTable, LaterRouteWithRightMethodWinsOverEarlierMismatch) {
  RouteTable t;
  t.add(Method::kGet, "/fhir/Patient/{id}", Operation::kHealth);
  t.add(Method::kPost, "/fhir/Patient/_search", Operation::kReady);
  const MatchResult m = t.match(Method::kPost, "/fhir/Patient/_search");
  ASSERT_EQ(m.kind, Kind::kFound);
  EXPECT_EQ(m.match.op, Operation::kReady);
  EXPECT_THAT(m.match.params, IsEmpty());
  EXPECT_THAT(m.allowed, IsEmpty());
}

TEST(OperationName, StableLabels) {
  EXPECT_EQ(operation_name(Operation::kHealth), "healthz");
  EXPECT_EQ(operation_name(Operation::kReady), "readyz");
  EXPECT_EQ(operation_name(Operation::kMetrics), "metrics");
  EXPECT_EQ(operation_name(Operation::kCapabilities), "fhir_metadata");
}

TEST(RouteTable, ThePolicyRoutes) {
  const auto t = RouteTable::builtin();
  // One path, two operations: a recorded request (POST) and a question by query (GET).
  EXPECT_EQ(t.match(Method::kPost, "/policy/explain").match.op, Operation::kPolicyExplain);
  EXPECT_EQ(t.match(Method::kGet, "/policy/explain").match.op, Operation::kPolicyExplainQuery);
  EXPECT_EQ(t.match(Method::kPost, "/policy/dry-run").match.op, Operation::kPolicyDryRun);
  const auto get = t.match(Method::kGet, "/policy/dry-run");
  EXPECT_EQ(get.kind, MatchResult::Kind::kMethodNotAllowed);
  EXPECT_EQ(operation_name(Operation::kPolicyExplainQuery), "policy_explain_query");
  EXPECT_EQ(operation_name(Operation::kPolicyDryRun), "policy_dry_run");
}

TEST(RouteTable, TheSharedRecordRoutes) {
  const auto t = RouteTable::builtin();
  const auto everything = t.match(Method::kGet, "/fhir/Patient/9991158383/$everything");
  ASSERT_EQ(everything.kind, MatchResult::Kind::kFound);
  EXPECT_EQ(everything.match.op, Operation::kRecordEverything);
  EXPECT_EQ(everything.match.params, std::vector<std::string>{"9991158383"});
  EXPECT_EQ(t.match(Method::kPost, "/fhir/Patient/9991158383/$break-glass").match.op,
            Operation::kBreakGlass);
  EXPECT_EQ(t.match(Method::kGet, "/fhir/Patient/9991158383/$break-glass").kind,
            MatchResult::Kind::kMethodNotAllowed);
  for (const char* type : {"Condition", "MedicationStatement", "AllergyIntolerance", "Encounter",
                           "Flag", "CarePlan", "DocumentReference"}) {
    EXPECT_EQ(t.match(Method::kGet, std::string("/fhir/") + type).match.op,
              Operation::kRecordSearch)
        << type;
  }
  EXPECT_EQ(t.match(Method::kGet, "/fhir/Observation").kind, MatchResult::Kind::kNotFound);
}

}  // namespace
}  // namespace gw::http
