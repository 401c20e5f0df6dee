// The record store's input checks and status codes, shared by every implementation.
#include "gateway/store/record_store.hpp"

#include <algorithm>
#include <array>

#include "gateway/fhir/json.hpp"

namespace gw::store {
namespace {

constexpr std::string_view kEnteredInError = "entered-in-error";

bool is_fhir_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

/** coded_entered_in_error: a CodeableConcept (verificationStatus) coded entered-in-error. */
bool coded_entered_in_error(const rapidjson::Value& codeable) {
  if (!codeable.IsObject()) {
    return false;
  }
  const auto coding = codeable.FindMember("coding");
  if (coding == codeable.MemberEnd() || !coding->value.IsArray()) {
    return false;
  }
  return std::any_of(coding->value.Begin(), coding->value.End(), [](const rapidjson::Value& c) {
    if (!c.IsObject()) {
      return false;
    }
    const auto code = c.FindMember("code");
    return code != c.MemberEnd() && code->value.IsString() &&
           std::string_view(code->value.GetString(), code->value.GetStringLength()) ==
               kEnteredInError;
  });
}

}  // namespace

std::string_view record_status_code(RecordStatus s) {
  switch (s) {
    case RecordStatus::kActive:
      return "active";
    case RecordStatus::kEnteredInError:
      return "entered-in-error";
    case RecordStatus::kDeleted:
      return "deleted";
  }
  return "active";
}

std::optional<RecordStatus> parse_record_status(std::string_view s) {
  for (auto v : {RecordStatus::kActive, RecordStatus::kEnteredInError, RecordStatus::kDeleted}) {
    if (record_status_code(v) == s) {
      return v;
    }
  }
  return std::nullopt;
}

Result<void> check_resource_key(const ResourceKey& key) {
  const auto& t = key.resource_type;
  if (t.empty() || t.size() > 64 || t[0] < 'A' || t[0] > 'Z' ||
      !std::all_of(t.begin(), t.end(),
                   [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); })) {
    return make_error(Errc::kBadRequest, "record store: resource type must be a FHIR type name");
  }
  const auto& id = key.resource_id;
  if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), is_fhir_id_char)) {
    return make_error(Errc::kBadRequest,
                      "record store: resource id must be 1-64 of A-Z a-z 0-9 - . (FHIR id)");
  }
  return {};
}

Result<RecordStatus> detect_record_status(std::string_view resource_json,
                                          std::string_view resource_type) {
  if (resource_json.size() > kMaxResourceBytes) {
    return make_error(Errc::kBadRequest, "record store: resource larger than 4 MiB");
  }
  auto doc = fhir::parse_json(resource_json);
  if (!doc) {
    return make_error(Errc::kBadRequest, "record store: resource is not valid JSON");
  }
  if (!doc->IsObject()) {
    return make_error(Errc::kBadRequest, "record store: resource is not a JSON object");
  }
  const auto rt = doc->FindMember("resourceType");
  if (rt == doc->MemberEnd() || !rt->value.IsString() ||
      std::string_view(rt->value.GetString(), rt->value.GetStringLength()) != resource_type) {
    return make_error(Errc::kBadRequest,
                      "record store: resourceType does not match the resource key's type");
  }
  const auto status = doc->FindMember("status");
  if (status != doc->MemberEnd() && status->value.IsString() &&
      std::string_view(status->value.GetString(), status->value.GetStringLength()) ==
          kEnteredInError) {
    return RecordStatus::kEnteredInError;
  }
  const auto verification = doc->FindMember("verificationStatus");
  if (verification != doc->MemberEnd() && coded_entered_in_error(verification->value)) {
    return RecordStatus::kEnteredInError;
  }
  return RecordStatus::kActive;
}

}  // namespace gw::store
