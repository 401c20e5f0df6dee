// caregw-policy-bench: policy decisions per second for a 100-resource record, single thread,
// against a baseline measured in the same run (iterating the same resources' facts).
// Target: >= 1,000,000 resource decisions/s per core (gateway/policy/README.md, "Figures").
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "gateway/policy/agreement.hpp"
#include "gateway/policy/engine.hpp"

namespace {

using namespace gw::policy;  // NOLINT(google-build-using-namespace): a benchmark's main
using Clock = std::chrono::steady_clock;

const char* kAgreement = R"yaml(id: DSA-BENCH
title: Bench direct care
version: "1"
parties: [{kind: gp}, {kind: acute}, {kind: mental-health}, {kind: social-care}, {kind: ambulance}]
purposes: [direct-care]
categories: [demographics, registration, problems, medications, allergies, encounters,
             observations, care-plans, mental-health-detail, social-care-detail, documents]
roles: [R8000, R0050, R8001, R1330, R1070]
legal_basis: {article_6: ["6(1)(e)"], article_9: ["9(2)(h)"]
}
valid_from: 2025-04-01
valid_to: 2028-03-31
legitimate_relationship_required: true
break_glass_allowed: true
)yaml";

gw::config::Organisation org(const char* ods, gw::config::OrgKind k) {
  return {*gw::OdsCode::parse(ods), ods, k, "", 0};
}

/** sink: keeps results observable so the compiler cannot drop the loops. */
volatile std::uint64_t g_sink = 0;

template <class F>
double seconds_for(F&& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const long records = argc > 1 ? std::stol(argv[1]) : 200'000;
  const std::vector<gw::config::Organisation> orgs = {
      org("Z90001", gw::config::OrgKind::kGp), org("Z9A01", gw::config::OrgKind::kAcute),
      org("Z9M01", gw::config::OrgKind::kMentalHealth),
      org("Z9S01", gw::config::OrgKind::kSocialCare),
      org("Z9L01", gw::config::OrgKind::kAmbulance)};
  auto parsed = parse_agreement(kAgreement, "bench.yaml");
  if (!parsed.errors.empty()) {
    std::fprintf(stderr, "%s\n", parsed.errors[0].str().c_str());
    return 1;
  }
  const PolicyIndex index(parsed.agreements, orgs, RelationshipRules{});
  const auto now = std::chrono::sys_days{std::chrono::year{2026} / 6 / 1} + std::chrono::hours{12};
  const Requester req{"Z90001", User{"u1", "Bench User", "R8000", "Z90001", Purpose::kDirectCare}};
  PatientContext patient;
  patient.nhs_number = "9990000018";
  patient.registered_practice = "Z90001";

  // A record of 100 resources from all five organisations, every category, 1 in 10 sensitive.
  const char* sources[] = {"Z90001", "Z9A01", "Z9M01", "Z9S01", "Z9L01"};
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "r%d", i);
    ids.emplace_back(id);
  }
  std::vector<ResourceFacts> record;
  for (int i = 0; i < 100; ++i) {
    record.push_back({"Observation", ids[static_cast<std::size_t>(i)],
                      static_cast<DataCategory>(i % kCategoryCount),
                      static_cast<SensitivitySet>(i % 10 == 0 ? 1 : 0), sources[i % 5]});
  }
  const long n = records * 100;

  // Baseline: read every fact a decision reads (category, sensitivity, the source code).
  const double base = seconds_for([&] {
    std::uint64_t acc = 0;
    for (long r = 0; r < records; ++r) {
      for (const auto& f : record) {
        acc += static_cast<unsigned>(f.category) + f.sensitivity + f.source_org.size() +
               static_cast<unsigned char>(f.source_org.back());
      }
      g_sink = g_sink + acc;
    }
  });

  // Per-resource decisions under one grant (what a record read does per resource).
  const AccessGrant grant = authorise(index, req, patient, now);
  const double per_resource = seconds_for([&] {
    std::uint64_t permitted = 0;
    for (long r = 0; r < records; ++r) {
      for (const auto& f : record) {
        permitted += decide(grant, f).effect == Effect::kPermit ? 1U : 0U;
      }
      g_sink = g_sink + permitted;
    }
  });

  // The whole request: authorise once per record, then decide its 100 resources.
  std::vector<ResourceDecision> out;
  const long full_records = records / 10;
  const double full = seconds_for([&] {
    for (long r = 0; r < full_records; ++r) {
      const AccessGrant g = authorise(index, req, patient, now);
      const Decision d = decide_all(g, record, out);
      g_sink = g_sink + d.permitted;
    }
  });

  const double base_rate = static_cast<double>(n) / base;
  const double decide_rate = static_cast<double>(n) / per_resource;
  const double full_rate = static_cast<double>(full_records * 100) / full;
  std::printf("caregw-policy-bench: %ld records of 100 resources, one thread\n", records);
  std::printf("baseline (iterate the facts)        %12.0f resources/s\n", base_rate);
  std::printf(
      "decide (per resource, one grant)    %12.0f resource decisions/s  (%.2fx baseline time)\n",
      decide_rate, base_rate / decide_rate);
  std::printf(
      "authorise + decide_all (per record) %12.0f resource decisions/s  (%.2fx baseline time)\n",
      full_rate, base_rate / full_rate);
  std::printf("target >= 1000000 resource decisions/s: %s\n",
              full_rate >= 1e6 && decide_rate >= 1e6 ? "met" : "NOT met");
  return 0;
}
