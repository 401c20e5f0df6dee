// Builds the GP Connect structured record request (request.hpp). The JSON is written with
// RapidJSON so every value is escaped; the JWT is unsigned, as GP Connect 1.x specifies for
// consumer tokens (the Spine Secure Proxy and mutual TLS authenticate the system).
#include "gateway/gpconnect/request.hpp"

#include <rapidjson/document.h>

#include "gateway/auth/token.hpp"
#include "gateway/fhir/json.hpp"

namespace gw::gpconnect {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

constexpr std::string_view kNhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";
constexpr std::string_view kOdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";
constexpr std::string_view kSdsUserSystem = "https://fhir.nhs.uk/Id/sds-user-id";
constexpr std::string_view kSdsRoleProfileSystem = "https://fhir.nhs.uk/Id/sds-role-profile-id";
constexpr std::string_view kLocalUserSystem = "https://caregw.dev/Id/user-id";
constexpr std::string_view kDeviceSystem = "https://caregw.dev/Id/node-id";
constexpr std::string_view kSystemUser = "caregw-system";

Value str(std::string_view s, Alloc& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

/** identifier: {"system": ..., "value": ...}. */
Value identifier(std::string_view system, std::string_view value, Alloc& a) {
  Value v(rapidjson::kObjectType);
  v.AddMember("system", str(system, a), a);
  v.AddMember("value", str(value, a), a);
  return v;
}

/** flag_part: a parameter with one boolean part, e.g. includeAllergies{includeResolved...}. */
Value parameter(std::string_view name, std::string_view part, Alloc& a) {
  Value p(rapidjson::kObjectType);
  p.AddMember("name", str(name, a), a);
  if (!part.empty()) {
    Value parts(rapidjson::kArrayType);
    Value one(rapidjson::kObjectType);
    one.AddMember("name", str(part, a), a);
    one.AddMember("valueBoolean", true, a);
    parts.PushBack(one, a);
    p.AddMember("part", parts, a);
  }
  return p;
}

Value device(const RequestInput& in, Alloc& a) {
  Value d(rapidjson::kObjectType);
  d.AddMember("resourceType", "Device", a);
  Value ids(rapidjson::kArrayType);
  ids.PushBack(identifier(kDeviceSystem, in.consumer.node_id, a), a);
  d.AddMember("identifier", ids, a);
  d.AddMember("model", "caregw", a);
  d.AddMember("version", "0.1.0", a);
  return d;
}

Value organization(const RequestInput& in, Alloc& a) {
  Value o(rapidjson::kObjectType);
  o.AddMember("resourceType", "Organization", a);
  Value ids(rapidjson::kArrayType);
  ids.PushBack(identifier(kOdsSystem, in.consumer.ods, a), a);
  o.AddMember("identifier", ids, a);
  if (!in.consumer.name.empty()) {
    o.AddMember("name", str(in.consumer.name, a), a);
  }
  return o;
}

/** practitioner: the user (or the gateway's system identity). GP Connect asks for the SDS user
 * and role profile ids; caregw's users carry neither, so both are "UNK" as the spec allows, and
 * the user's own id goes under caregw's local system. */
Value practitioner(const RequestInput& in, Alloc& a) {
  const std::string_view id =
      in.requester.user_id.empty() ? kSystemUser : std::string_view(in.requester.user_id);
  Value p(rapidjson::kObjectType);
  p.AddMember("resourceType", "Practitioner", a);
  p.AddMember("id", str(id, a), a);
  Value ids(rapidjson::kArrayType);
  ids.PushBack(identifier(kSdsUserSystem, "UNK", a), a);
  ids.PushBack(identifier(kSdsRoleProfileSystem, "UNK", a), a);
  ids.PushBack(identifier(kLocalUserSystem, id, a), a);
  p.AddMember("identifier", ids, a);
  Value name(rapidjson::kObjectType);
  const std::string_view text = in.requester.user_id.empty()
                                    ? std::string_view("caregw gateway")
                                    : std::string_view(in.requester.user_name);
  name.AddMember("family", str(text.empty() ? id : text, a), a);
  Value names(rapidjson::kArrayType);
  names.PushBack(name, a);
  p.AddMember("name", names, a);
  return p;
}

}  // namespace

std::string parameters_body(const NhsNumber& nhs_number) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("resourceType", "Parameters", a);
  Value params(rapidjson::kArrayType);
  Value patient(rapidjson::kObjectType);
  patient.AddMember("name", "patientNHSNumber", a);
  patient.AddMember("valueIdentifier", identifier(kNhsNumberSystem, nhs_number.str(), a), a);
  params.PushBack(patient, a);
  params.PushBack(parameter("includeAllergies", "includeResolvedAllergies", a), a);
  params.PushBack(parameter("includeMedication", "includePrescriptionIssues", a), a);
  for (const char* name :
       {"includeConsultations", "includeProblems", "includeImmunisations",
        "includeUncategorisedData", "includeInvestigations", "includeReferrals"}) {
    params.PushBack(parameter(name, "", a), a);
  }
  d.AddMember("parameter", params, a);
  return fhir::to_json(d);
}

std::string access_token(const RequestInput& in) {
  const auto iat = std::chrono::duration_cast<std::chrono::seconds>(in.now.time_since_epoch());
  rapidjson::Document c(rapidjson::kObjectType);
  auto& a = c.GetAllocator();
  c.AddMember("iss", str(in.consumer.system_url, a), a);
  c.AddMember(
      "sub",
      str(in.requester.user_id.empty() ? kSystemUser : std::string_view(in.requester.user_id), a),
      a);
  c.AddMember("aud", str(in.provider.base_url, a), a);
  c.AddMember("exp", static_cast<std::int64_t>((iat + kTokenLifetime).count()), a);
  c.AddMember("iat", static_cast<std::int64_t>(iat.count()), a);
  c.AddMember("reason_for_request", "directcare", a);
  c.AddMember("requested_scope", "patient/*.read", a);
  c.AddMember("requesting_device", device(in, a), a);
  c.AddMember("requesting_organization", organization(in, a), a);
  c.AddMember("requesting_practitioner", practitioner(in, a), a);
  std::string token = auth::base64url_encode(R"({"alg":"none","typ":"JWT"})");
  token.append(".");
  token.append(auth::base64url_encode(fhir::to_json(c)));
  token.append(".");  // unsigned: an empty signature
  return token;
}

routing::HttpCall build_request(const RequestInput& in) {
  routing::HttpCall call;
  call.url = in.provider.base_url;
  call.url.append(kOperationPath);
  call.headers = {
      {"Ssp-TraceID", in.trace_id},
      {"Ssp-From", in.consumer.asid},
      {"Ssp-To", in.provider.asid},
      {"Ssp-InteractionID", std::string(kInteractionId)},
      {"Accept", "application/fhir+json"},
      {"Content-Type", "application/fhir+json"},
      {"Authorization", "Bearer " + access_token(in)},
  };
  call.body = parameters_body(in.nhs_number);
  return call;
}

}  // namespace gw::gpconnect
