// libFuzzer target for the body of POST /policy/explain (gateway/policy/recorded_input.hpp and
// explain.hpp): any bytes either fail to parse or give an input that round-trips through its
// JSON unchanged and that the engine explains as valid JSON (each explanation and the answer). A
// violation aborts so the fuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/policy/embedded.hpp"
#include "gateway/policy/explain.hpp"
#include "gateway/policy/recorded_input.hpp"

namespace {

/** index: the demo agreements (examples/demo/dsa/, compiled in) over one organisation of each
 * kind, as `caregw serve --demo` has them. */
const gw::policy::PolicyIndex& index() {
  static const gw::policy::PolicyIndex i = [] {
    std::vector<gw::config::Organisation> orgs;
    const std::pair<const char*, gw::config::OrgKind> kinds[] = {
        {"Z90001", gw::config::OrgKind::kGp},
        {"Z9A01", gw::config::OrgKind::kAcute},
        {"Z9M01", gw::config::OrgKind::kMentalHealth},
        {"Z9S01", gw::config::OrgKind::kSocialCare},
        {"Z9L01", gw::config::OrgKind::kAmbulance}};
    for (const auto& [ods, kind] : kinds) {
      orgs.push_back(gw::config::Organisation{*gw::OdsCode::parse(ods), ods, kind, {}, 0});
    }
    std::vector<gw::policy::Agreement> agreements;
    for (const char* file : {"dsa/direct-care.yaml", "dsa/safeguarding.yaml"}) {
      const auto text = gw::policy::read_demo_file({file, file, 0});
      auto load = gw::policy::parse_agreement(text ? *text : std::string(), file);
      agreements.insert(agreements.end(), load.agreements.begin(), load.agreements.end());
    }
    if (agreements.size() != 2) {
      std::fprintf(stderr, "policy_explain_fuzz: the demo agreements did not load\n");
      std::abort();
    }
    return gw::policy::PolicyIndex(std::move(agreements), orgs, gw::policy::RelationshipRules{});
  }();
  return i;
}

void fail(const char* what) {
  std::fprintf(stderr, "policy_explain_fuzz: %s\n", what);
  std::abort();
}

bool is_json_object(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  return !d.HasParseError() && d.IsObject();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto in = gw::policy::parse_recorded_input(input);
  if (!in) {
    return 0;
  }
  const std::string json = gw::policy::recorded_input_json(*in);
  auto again = gw::policy::parse_recorded_input(json);
  if (!again) {
    fail("a parsed input's own JSON does not parse");
  }
  if (gw::policy::recorded_input_json(*again) != json) {
    fail("a parsed input does not round-trip through its JSON");
  }
  const gw::policy::BreakGlassGrant* bg = in->break_glass ? &*in->break_glass : nullptr;
  const auto overall =
      gw::policy::explain(index(), in->requester, in->patient, std::nullopt, in->at, bg);
  if (!is_json_object(gw::policy::explanation_json(overall))) {
    fail("an explanation is not a JSON object");
  }
  std::vector<gw::policy::ExplainedResource> resources;
  for (const auto& r : in->resources) {
    auto e = gw::policy::explain(index(), in->requester, in->patient, r.facts(), in->at, bg);
    if (!is_json_object(gw::policy::explanation_json(e))) {
      fail("a resource's explanation is not a JSON object");
    }
    resources.push_back({r.id, std::move(e)});
  }
  // The whole answer, as POST and GET /policy/explain send it.
  if (!is_json_object(gw::policy::explain_answer_json(in->id, in->at, overall, resources))) {
    fail("an explain answer is not a JSON object");
  }
  return 0;
}
