// Reads a GP Connect provider's answer (answer.hpp). Error details are built from the practice's
// ODS code, the HTTP status and the Spine code only: an OperationOutcome's diagnostics are the
// provider's free text and may repeat the NHS number, so they are never copied.
#include "gateway/gpconnect/answer.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "gateway/fhir/json.hpp"
#include "gateway/fhir/member.hpp"

namespace gw::gpconnect {
namespace {

constexpr std::string_view kNhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";

/** plain_code: a code of capitals, digits and underscores (at most 64), as Spine's are; anything
 * else is not repeated, since it is the provider's text. */
bool plain_code(std::string_view code) {
  return !code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
}

using gw::fhir::string_member;

/** patient_has_number: a Patient resource with this NHS number among its identifiers. */
bool patient_has_number(const rapidjson::Value& patient, std::string_view nhs) {
  const auto ids = patient.FindMember("identifier");
  if (ids == patient.MemberEnd() || !ids->value.IsArray()) {
    return false;
  }
  for (const auto& id : ids->value.GetArray()) {
    if (string_member(id, "system") == kNhsNumberSystem && string_member(id, "value") == nhs) {
      return true;
    }
  }
  return false;
}

/** check_bundle: a Bundle with one Patient, the one asked about. */
Result<void> check_bundle(std::string_view body, const OdsCode& practice,
                          const NhsNumber& nhs_number) {
  const std::string who = "GP Connect practice " + practice.str();
  auto doc = fhir::parse_json(body);
  if (!doc) {
    return make_error(
        Errc::kUpstreamMalformed,
        who + " answered HTTP 200 with a body that is not JSON (" + doc.error().detail + ")");
  }
  if (string_member(*doc, "resourceType") != "Bundle") {
    return make_error(Errc::kUpstreamMalformed,
                      who + " answered HTTP 200 without a Bundle (resourceType '" +
                          std::string(string_member(*doc, "resourceType")) + "')");
  }
  const auto entries = doc->FindMember("entry");
  bool found_patient = false;
  if (entries != doc->MemberEnd() && entries->value.IsArray()) {
    for (const auto& e : entries->value.GetArray()) {
      const auto r = e.IsObject() ? e.FindMember("resource") : e.MemberEnd();
      if (r == e.MemberEnd() || string_member(r->value, "resourceType") != "Patient") {
        continue;
      }
      found_patient = true;
      if (patient_has_number(r->value, nhs_number.str())) {
        return {};
      }
    }
  }
  return make_error(Errc::kUpstreamMalformed,
                    who + (found_patient ? " answered with a record for another patient (the "
                                           "Patient's NHS number is not the one asked for); "
                                           "nothing was filed"
                                         : " answered with a Bundle that has no Patient; nothing "
                                           "was filed"));
}

}  // namespace

std::string spine_error_code(std::string_view body) {
  auto doc = fhir::parse_json(body);
  if (!doc || string_member(*doc, "resourceType") != "OperationOutcome") {
    return {};
  }
  const auto issues = doc->FindMember("issue");
  if (issues == doc->MemberEnd() || !issues->value.IsArray()) {
    return {};
  }
  std::string any;
  for (const auto& issue : issues->value.GetArray()) {
    const auto details = issue.IsObject() ? issue.FindMember("details") : issue.MemberEnd();
    if (details == issue.MemberEnd() || !details->value.IsObject()) {
      continue;
    }
    const auto codings = details->value.FindMember("coding");
    if (codings == details->value.MemberEnd() || !codings->value.IsArray()) {
      continue;
    }
    for (const auto& c : codings->value.GetArray()) {
      const auto code = string_member(c, "code");
      if (code.empty()) {
        continue;
      }
      std::string shown = plain_code(code) ? std::string(code) : "(an unrecognised code)";
      if (string_member(c, "system") == kSpineErrorSystem) {
        return shown;
      }
      if (any.empty()) {
        any = shown;
      }
    }
  }
  return any;
}

std::string_view explain_spine_error(std::string_view code) {
  // GP Connect 1.x error handling:
  // https://developer.nhs.uk/apis/gpconnect/development_fhir_error_handling_guidance.html
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kMeanings{{
      {"PATIENT_NOT_FOUND", "the practice holds no record for this patient"},
      {"INVALID_NHS_NUMBER", "the practice refused the NHS number as invalid"},
      {"INVALID_PATIENT_DEMOGRAPHICS", "the patient's demographics at the practice do not match"},
      {"NO_RELATIONSHIP", "the practice found no legitimate relationship for this request"},
      {"ACCESS_DENIED",
       "the practice refused access (sharing not enabled, or the request not "
       "permitted)"},
      {"PATIENT_DISSENT", "the patient has dissented from sharing their GP record"},
      {"INVALID_RESOURCE", "the practice refused the request's Parameters"},
      {"INVALID_PARAMETER", "the practice refused a parameter of the request"},
      {"BAD_REQUEST", "the practice refused the request as malformed (headers or token)"},
      {"NOT_IMPLEMENTED", "the practice's system does not support this operation"},
      {"INTERNAL_SERVER_ERROR", "the practice's system failed"},
      {"PATIENT_SENSITIVE", "the patient's record is marked sensitive and is not shared"},
      {"NO_PATIENT_CONSENT", "the patient has not consented to sharing"},
  }};
  for (const auto& [c, meaning] : kMeanings) {
    if (c == code) {
      return meaning;
    }
  }
  return {};
}

Result<void> check_answer(const routing::HttpAnswer& answer, const OdsCode& practice,
                          const NhsNumber& nhs_number) {
  if (answer.status == 200) {
    return check_bundle(answer.body, practice, nhs_number);
  }
  std::string detail =
      "GP Connect practice " + practice.str() + " answered HTTP " + std::to_string(answer.status);
  const std::string code = spine_error_code(answer.body);
  if (code.empty()) {
    detail.append(" without a GP Connect OperationOutcome");
  } else {
    detail.append(" ").append(code);
    if (const auto meaning = explain_spine_error(code); !meaning.empty()) {
      detail.append(": ").append(meaning);
    }
  }
  return make_error(answer.status == 504 ? Errc::kUpstreamTimeout : Errc::kUpstreamUnavailable,
                    std::move(detail));
}

}  // namespace gw::gpconnect
