// InboundAdapter "gpconnect": a GP Connect Access Record: Structured response (FHIR STU3 Bundle)
// to R4 UK Core with the project's converter, each resource stamped with its practice and its
// Read v2 codes given SNOMED CT where EMIS did not send it, plus the patient's identity.
#include <optional>
#include <string>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "adapters/emis/checked.hpp"
#include "adapters/emis/common.hpp"
#include "adapters/emis/emis.hpp"
#include "adapters/emis/resource_writer.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/stu3_to_r4.hpp"
#include "gateway/fhir/validate.hpp"

namespace gw::adapters::emis {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

using detail::str_of;
using fhir::json_member;

/** first_code: the first coding's code of CodeableConcept `name` ("" when none). */
std::string_view first_code(const Value& res, std::string_view name) {
  const Value* cc = json_member(res, name);
  const Value* coding = cc != nullptr ? json_member(*cc, "coding") : nullptr;
  if (coding == nullptr || !coding->IsArray() || coding->Empty()) {
    return {};
  }
  return str_of((*coding)[0], "code");
}

/** gpc_message_id: Bundle.id, else "version-" + meta.versionId, else "". */
std::string gpc_message_id(const Value& bundle) {
  if (std::string_view id = str_of(bundle, "id"); !id.empty()) {
    return std::string(id.substr(0, 128));
  }
  if (const Value* meta = json_member(bundle, "meta")) {
    if (std::string_view v = str_of(*meta, "versionId"); !v.empty()) {
      return std::string("version-") + std::string(v.substr(0, 120));
    }
  }
  return {};
}

/** reference_id: "Organization/abc" -> "abc" when the type matches; "" otherwise. */
std::string_view reference_id(const Value* ref, std::string_view type) {
  if (ref == nullptr) {
    return {};
  }
  std::string_view r = str_of(*ref, "reference");
  if (r.size() > type.size() + 1 && r.substr(0, type.size()) == type && r[type.size()] == '/') {
    return r.substr(type.size() + 1);
  }
  return {};
}

/** practice_ods: the ODS code of the Patient's managing organisation (the registered practice),
 *  else of the only GP practice Organization in the bundle. */
std::string practice_ods(const Value& entries, const Value& patient) {
  std::string_view org_id =
      reference_id(json_member(patient, "managingOrganization"), "Organization");
  std::string fallback;
  int orgs = 0;
  for (const auto& e : entries.GetArray()) {
    const Value* r = json_member(e, "resource");
    if (r == nullptr || str_of(*r, "resourceType") != "Organization") {
      continue;
    }
    const Value* ids = json_member(*r, "identifier");
    std::string ods;
    if (ids != nullptr && ids->IsArray()) {
      for (const auto& id : ids->GetArray()) {
        if (str_of(id, "system") == detail::kOdsSystem) {
          ods = std::string(str_of(id, "value"));
        }
      }
    }
    if (ods.empty()) {
      continue;
    }
    if (!org_id.empty() && str_of(*r, "id") == org_id) {
      return ods;
    }
    ++orgs;
    fallback = ods;
  }
  return orgs == 1 ? fallback : std::string{};
}

/** serialise: `v` as compact JSON, the bytes RapidJSON's writer gives (detail::write_json). */
std::string serialise(const Value& v) {
  detail::JsonOut out;
  detail::write_json(v, out);  // a NaN or infinity: what RapidJSON's writer leaves, as ever
  return std::string(out.view());
}

/** resource_id: the practice's id (`id`, the resource's) when valid; otherwise one derived from
 *  what the resource is (GP Connect Lists carry no id), stable across responses for the same
 *  patient. `type` is the resource's resourceType. */
std::string resource_id(const Value& res, std::string_view id, std::string_view type,
                        std::string_view patient_id, std::size_t index) {
  if (detail::valid_fhir_id(id)) {
    return std::string(id);
  }
  std::string seed = std::string(patient_id) + "|" + std::string(type) + "|" +
                     std::string(first_code(res, "code")) + "|" + std::string(str_of(res, "title"));
  if (type != "List") {
    seed += std::string("|") + std::to_string(index) + "|" + serialise(res);
  }
  return detail::derived_id("gpc-", seed);
}

/** Translator: one response, one sender (absent offline: the practice the record names). With
 *  `checks`, each resource's UK Core findings are added to it, in the order of the resources. */
Result<ingest::TranslatedMessage> translate_gpconnect(
    const std::optional<OdsCode>& sender, std::string_view body, const mapping::Mapper& mapper,
    std::vector<std::vector<fhir::Issue>>* checks = nullptr) {
  const fhir::ParseLimits limits;
  auto parsed = fhir::parse_json(body, limits);
  if (!parsed) {
    return detail::located(Errc::kBadRequest, "/", parsed.error().detail);
  }
  const fhir::Json& stu3 = *parsed;
  if (str_of(stu3, "resourceType") != "Bundle") {
    return detail::located(Errc::kUnprocessable, "resourceType",
                           "a GP Connect structured record is a Bundle");
  }
  std::string_view type = str_of(stu3, "type");
  if (type != "collection" && type != "searchset") {
    return detail::located(Errc::kUnprocessable, "Bundle.type",
                           "expected collection or searchset (GP Connect structured record)");
  }
  const Value* entries = json_member(stu3, "entry");
  if (entries == nullptr || !entries->IsArray()) {
    return detail::located(Errc::kUnprocessable, "Bundle.entry", "the record has no entries");
  }
  int patients = 0;
  for (rapidjson::SizeType i = 0; i < entries->Size(); ++i) {
    const Value* r = json_member((*entries)[i], "resource");
    if (r != nullptr && str_of(*r, "resourceType") == "Patient") {
      ++patients;
    }
  }
  if (patients != 1) {
    return detail::located(Errc::kUnprocessable, "Bundle.entry",
                           patients == 0 ? "no Patient: a structured record is about one patient"
                                         : "more than one Patient in one structured record");
  }
  ingest::TranslatedMessage out;
  out.kind = "gp-record";
  out.event = "gpc.getstructuredrecord";
  out.sender_message_id = gpc_message_id(stu3);
  // The parsed body is not needed again: converted in place rather than copied (and, parsed
  // within the converter's nesting bound, not walked again to measure its depth).
  auto converted = fhir::stu3_to_r4(std::move(*parsed), limits);
  if (!converted) {
    return detail::located(Errc::kUnprocessable, "Bundle", converted.error().detail);
  }
  for (const auto& issue : converted->issues) {
    out.warnings.push_back(issue.path + std::string(ingest::kLocationSeparator) + issue.message);
  }
  fhir::Json& r4 = converted->resource;
  Alloc& a = r4.GetAllocator();
  Value* r4_entries = r4.HasMember("entry") ? &r4["entry"] : nullptr;
  if (r4_entries == nullptr || !r4_entries->IsArray()) {
    return make_error(Errc::kInternal, "the converted record has no entries");
  }
  const Value* patient = nullptr;
  std::size_t patient_index = 0;
  for (rapidjson::SizeType i = 0; i < r4_entries->Size(); ++i) {
    const Value* r = json_member((*r4_entries)[i], "resource");
    if (r != nullptr && str_of(*r, "resourceType") == "Patient") {
      patient = r;
      patient_index = i;
    }
  }
  const std::string patient_where =
      std::string("Bundle.entry[") + std::to_string(patient_index) + "].resource";
  const std::string ods_text = practice_ods(*r4_entries, *patient);
  std::optional<OdsCode> practice;
  if (!ods_text.empty()) {
    if (auto p = OdsCode::parse(ods_text)) {
      practice = *p;
    }
  }
  if (!sender && !practice) {
    return detail::located(Errc::kUnprocessable, patient_where + ".managingOrganization",
                           "the registered practice (an Organization with an ODS code) is missing");
  }
  const OdsCode source = sender ? *sender : *practice;
  const OdsCode owner = practice ? *practice : source;
  if (sender && practice && *sender != *practice) {
    out.warnings.push_back(patient_where + ".managingOrganization" +
                           std::string(ingest::kLocationSeparator) + "the record names practice " +
                           practice->str() + " but was sent by " + sender->str());
  }
  out.registered_practice = practice;
  std::string_view patient_id = str_of(*patient, "id");
  out.patient = detail::identity_from_patient(
      *patient, source, detail::guid_shaped(patient_id) ? patient_id : std::string_view{},
      out.sender_message_id, patient_where, out.warnings);

  detail::ReadV2Lookups lookups(mapper);
  detail::JsonOut scratch;  // each resource's JSON, then copied out
  const std::string meta_source = std::string(kMetaSourcePrefix) + owner.str();
  out.resources.reserve(r4_entries->Size());
  if (checks != nullptr) {
    checks->reserve(r4_entries->Size());
  }
  for (rapidjson::SizeType i = 0; i < r4_entries->Size(); ++i) {
    // The entry's location, made only for a warning.
    const auto where = [i] { return std::string("Bundle.entry[") + std::to_string(i) + "]"; };
    Value* r = detail::member_of((*r4_entries)[i], "resource");
    if (r == nullptr || !r->IsObject()) {
      out.warnings.push_back(where() + std::string(ingest::kLocationSeparator) +
                             "an entry with no resource was skipped");
      continue;
    }
    ingest::TranslatedResource tr;
    const std::string_view resource_type = str_of(*r, "resourceType");
    const std::string_view id = str_of(*r, "id");
    tr.resource_type = std::string(resource_type);
    tr.id = resource_id(*r, id, resource_type, patient_id, i);
    if (id != tr.id) {  // the views are not read after this: the members move
      if (r->HasMember("id")) {
        r->RemoveMember("id");
      }
      r->AddMember("id", Value(tr.id.c_str(), a), a);
    }
    detail::set_meta_source(*r, meta_source, a);
    if (int unmapped = detail::map_read_codes(*r, lookups, a); unmapped > 0) {
      out.warnings.push_back(where() + ".resource." + tr.resource_type +
                             std::string(ingest::kLocationSeparator) + std::to_string(unmapped) +
                             " Read v2 code(s) with no SNOMED CT mapping, kept as sent");
    }
    if (checks != nullptr) {
      checks->push_back(fhir::check_uk_core(*r));
    }
    scratch.clear();
    detail::write_json(*r, scratch);  // a NaN or infinity: what RapidJSON's writer leaves
    tr.json = std::string(scratch.view());
    out.resources.push_back(std::move(tr));
  }
  return out;
}

/** ack_outcome: the acknowledgement as an R4 OperationOutcome (GP Connect speaks FHIR). */
std::string ack_outcome(const ingest::AckRequest& ack) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("resourceType");
  w.String("OperationOutcome");
  if (!ack.ack_id.empty()) {
    w.Key("id");
    w.String(ack.ack_id.c_str());
  }
  w.Key("issue");
  w.StartArray();
  auto issue = [&](const char* severity, const char* code, const std::string& text,
                   const std::string& where) {
    w.StartObject();
    w.Key("severity");
    w.String(severity);
    w.Key("code");
    w.String(code);
    w.Key("diagnostics");
    w.String(text.c_str());
    if (!where.empty()) {
      w.Key("expression");
      w.StartArray();
      w.String(where.c_str());
      w.EndArray();
    }
    w.EndObject();
  };
  using Code = ingest::AckRequest::Code;
  if (ack.code == Code::kAccepted) {
    issue("information", "informational", "accepted", "");
  } else {
    std::string detail = ack.error ? ack.error->detail : std::string("not processed");
    std::string where;
    if (auto pos = detail.find(ingest::kLocationSeparator); pos != std::string::npos) {
      where = detail.substr(0, pos);
    }
    issue(ack.code == Code::kRejected ? "error" : "fatal",
          ack.code == Code::kRejected ? "invalid" : "transient", detail, where);
  }
  for (const auto& warning : ack.warnings) {
    issue("warning", "informational", warning, "");
  }
  w.EndArray();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

class GpConnectAdapter final : public ingest::InboundAdapter {
public:
  [[nodiscard]] std::string_view name() const override { return "gpconnect"; }
  [[nodiscard]] std::string_view ack_content_type() const override {
    return "application/fhir+json";
  }
  [[nodiscard]] std::string message_id(std::string_view body) const override {
    auto parsed = fhir::parse_json(body);
    return parsed ? gpc_message_id(*parsed) : std::string{};
  }
  [[nodiscard]] Result<ingest::TranslatedMessage> translate(
      const OdsCode& sender, std::string_view body, const mapping::Mapper& mapper) const override {
    return translate_gpconnect(sender, body, mapper);
  }
  [[nodiscard]] std::string acknowledge(std::string_view /*body*/,
                                        const ingest::AckRequest& ack) const override {
    return ack_outcome(ack);
  }
};

}  // namespace

std::unique_ptr<ingest::InboundAdapter> make_gpconnect_adapter() {
  return std::make_unique<GpConnectAdapter>();
}

Result<OfflineTranslation> translate_gpconnect_offline(std::string_view body,
                                                       const mapping::Mapper& mapper) {
  auto t = translate_gpconnect(std::nullopt, body, mapper);
  if (!t) {
    return t.error();
  }
  return OfflineTranslation{to_r4_bundle(*t), std::move(t->warnings)};
}

Result<CheckedTranslation> translate_gpconnect_checked(const OdsCode& sender, std::string_view body,
                                                       const mapping::Mapper& mapper) {
  CheckedTranslation out;
  auto t = translate_gpconnect(sender, body, mapper, &out.issues);
  if (!t) {
    return t.error();
  }
  out.message = std::move(*t);
  return out;
}

}  // namespace gw::adapters::emis
