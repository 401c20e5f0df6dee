#include "gateway/ingest/fhir_message.hpp"

#include <string>

#include "gateway/fhir/json.hpp"
#include "gateway/fhir/member.hpp"
#include "gateway/identity/normalise.hpp"
#include "gateway/identity/patient_resource.hpp"

namespace gw::ingest {

namespace {

using rapidjson::Value;

constexpr std::string_view kNhsSystem = "https://fhir.nhs.uk/Id/nhs-number";
constexpr std::string_view kVerificationExt =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";
constexpr std::string_view kStu3VerificationExt =
    "https://fhir.nhs.uk/STU3/StructureDefinition/"
    "Extension-CareConnect-GPC-NHSNumberVerificationStatus-1";
constexpr std::string_view kResponseSystem = "http://hl7.org/fhir/response-code";

using gw::fhir::string_member;

const Value* member(const Value& v, const char* key) {
  if (!v.IsObject()) {
    return nullptr;
  }
  const auto it = v.FindMember(key);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

const Value* array(const Value& v, const char* key) {
  const auto* m = member(v, key);
  return m != nullptr && m->IsArray() ? m : nullptr;
}

/** verification: the code of an NHS number identifier's verification status extension. */
std::optional<VerificationStatus> verification(const Value& identifier) {
  const auto* exts = array(identifier, "extension");
  if (exts == nullptr) {
    return std::nullopt;
  }
  for (const auto& ext : exts->GetArray()) {
    const auto url = string_member(ext, "url");
    if (url != kVerificationExt && url != kStu3VerificationExt) {
      continue;
    }
    const auto* cc = member(ext, "valueCodeableConcept");
    const auto* codings = cc != nullptr ? array(*cc, "coding") : nullptr;
    if (codings == nullptr) {
      continue;
    }
    for (const auto& c : codings->GetArray()) {
      VerificationStatus s{};
      if (parse_verification_status(string_member(c, "code"), s)) {
        return s;
      }
    }
  }
  return std::nullopt;
}

void read_identifiers(const Value& patient, const OdsCode& source, identity::IncomingIdentity& out,
                      std::vector<std::string>& warnings) {
  const auto* ids = array(patient, "identifier");
  if (ids == nullptr) {
    return;
  }
  for (rapidjson::SizeType i = 0; i < ids->Size(); ++i) {
    const auto& id = (*ids)[i];
    const auto system = string_member(id, "system");
    const auto value = string_member(id, "value");
    if (system == kNhsSystem) {
      auto n = NhsNumber::parse(value);
      if (!n) {
        warnings.push_back("Patient.identifier[" + std::to_string(i) +
                           "]: NHS number left out: " + n.error().detail);
        continue;
      }
      out.match.nhs_number = *n;
      out.match.nhs_status = verification(id).value_or(VerificationStatus::kPresentNotTraced);
    } else if (auto local = identity::parse_local_id_system(system, value)) {
      if (local->source == source && !out.local_id) {
        out.local_id = *local;
      }
    }
  }
}

void read_name(const Value& patient, identity::IncomingIdentity& out) {
  const auto* names = array(patient, "name");
  if (names == nullptr || names->Empty()) {
    return;
  }
  const Value* chosen = &(*names)[0];
  for (const auto& n : names->GetArray()) {
    if (string_member(n, "use") == "official") {
      chosen = &n;
      break;
    }
  }
  out.match.family = std::string(string_member(*chosen, "family"));
  if (const auto* given = array(*chosen, "given")) {
    for (const auto& g : given->GetArray()) {
      if (g.IsString()) {
        out.match.given.emplace_back(g.GetString(), g.GetStringLength());
      }
    }
  }
}

void read_address_and_telecom(const Value& patient, identity::IncomingIdentity& out) {
  if (const auto* addresses = array(patient, "address")) {
    for (const auto& a : addresses->GetArray()) {
      const auto use = string_member(a, "use");
      if (!use.empty() && use != "home") {
        continue;
      }
      out.match.postcode = std::string(string_member(a, "postalCode"));
      if (const auto* lines = array(a, "line")) {
        for (const auto& l : lines->GetArray()) {
          if (l.IsString()) {
            out.address_lines.emplace_back(l.GetString(), l.GetStringLength());
          }
        }
      }
      for (const char* part : {"city", "district"}) {
        if (const auto p = string_member(a, part); !p.empty()) {
          out.address_lines.emplace_back(p);
        }
      }
      break;
    }
  }
  if (const auto* telecom = array(patient, "telecom")) {
    for (const auto& t : telecom->GetArray()) {
      if (!string_member(t, "value").empty()) {
        out.telecom.push_back({std::string(string_member(t, "system")),
                               std::string(string_member(t, "value")),
                               std::string(string_member(t, "use"))});
      }
    }
  }
}

void set_string(Value& obj, const char* key, std::string_view v,
                rapidjson::Document::AllocatorType& a) {
  obj.AddMember(Value(key, a), Value(v.data(), static_cast<rapidjson::SizeType>(v.size()), a), a);
}

/** entry_json: one Bundle.entry {fullUrl, resource} from a resource's JSON text. */
Result<void> add_entry(Value& entries, std::string_view type, std::string_view id,
                       std::string_view json, rapidjson::Document::AllocatorType& a) {
  auto doc = fhir::parse_json(json);
  if (!doc) {
    return doc.error();
  }
  Value entry(rapidjson::kObjectType);
  set_string(entry, "fullUrl", "urn:uuid:" + std::string(type) + "-" + std::string(id), a);
  Value res;
  res.CopyFrom(*doc, a);
  entry.AddMember("resource", res, a);
  entries.PushBack(entry, a);
  return {};
}

// --- the inbound adapter --------------------------------------------------------------------

class FhirR4MessageAdapter final : public InboundAdapter {
public:
  [[nodiscard]] std::string_view name() const override { return "fhir-r4"; }
  [[nodiscard]] std::string_view ack_content_type() const override {
    return "application/fhir+json; charset=utf-8";
  }

  [[nodiscard]] std::string message_id(std::string_view body) const override {
    auto doc = fhir::parse_json(body);
    if (!doc) {
      return {};
    }
    const auto* header = first_resource(*doc);
    if (header != nullptr && string_member(*header, "resourceType") == "MessageHeader") {
      if (const auto id = string_member(*header, "id"); !id.empty()) {
        return std::string(id);
      }
    }
    return std::string(string_member(*doc, "id"));
  }

  [[nodiscard]] Result<TranslatedMessage> translate(
      const OdsCode& sender, std::string_view body,
      const mapping::Mapper& /*mapper*/) const override {
    auto doc = fhir::parse_json(body);
    if (!doc) {
      return make_error(Errc::kBadRequest, "/Bundle: " + doc.error().detail);
    }
    if (string_member(*doc, "resourceType") != "Bundle" ||
        string_member(*doc, "type") != "message") {
      return make_error(Errc::kBadRequest, "/Bundle: expected a Bundle of type message");
    }
    const auto* header = first_resource(*doc);
    if (header == nullptr || string_member(*header, "resourceType") != "MessageHeader") {
      return make_error(Errc::kBadRequest,
                        "/Bundle/entry[0]/resource: the first entry must be a MessageHeader");
    }
    const auto* event = member(*header, "eventCoding");
    if (event == nullptr || string_member(*event, "code").empty()) {
      return make_error(Errc::kBadRequest,
                        "/Bundle/entry[0]/resource/eventCoding: an R4 MessageHeader needs "
                        "eventCoding with a code");
    }
    TranslatedMessage msg;
    msg.kind = std::string(string_member(*event, "code"));
    msg.event = msg.kind;
    msg.sender_message_id = message_id(body);
    const auto& entries = (*doc)["entry"];
    for (rapidjson::SizeType i = 1; i < entries.Size(); ++i) {
      const std::string where = "/Bundle/entry[" + std::to_string(i) + "]/resource";
      const auto* res = member(entries[i], "resource");
      if (res == nullptr || !res->IsObject()) {
        return make_error(Errc::kBadRequest, where + ": missing");
      }
      const auto type = string_member(*res, "resourceType");
      const auto id = string_member(*res, "id");
      if (type.empty() || id.empty()) {
        return make_error(Errc::kBadRequest, where + ": needs resourceType and id");
      }
      if (type == "Patient") {
        if (msg.patient) {
          return make_error(Errc::kUnprocessable,
                            where + ": a message may be about one patient only");
        }
        msg.patient = identity_from_patient(*res, sender, msg.warnings);
        if (const auto* gp = array(*res, "generalPractitioner")) {
          for (const auto& ref : gp->GetArray()) {
            const auto* ident = member(ref, "identifier");
            if (ident != nullptr &&
                string_member(*ident, "system") == "https://fhir.nhs.uk/Id/ods-organization-code") {
              if (auto ods = OdsCode::parse(string_member(*ident, "value"))) {
                msg.registered_practice = *ods;
              }
            }
          }
        }
      }
      msg.resources.push_back(
          TranslatedResource{std::string(type), std::string(id), fhir::to_json(*res), false});
    }
    if (!msg.patient) {
      return make_error(Errc::kUnprocessable,
                        "/Bundle: no Patient entry: the message must name "
                        "its patient");
    }
    return msg;
  }

  [[nodiscard]] std::string acknowledge(std::string_view body,
                                        const AckRequest& ack) const override {
    rapidjson::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    set_string(doc, "resourceType", "Bundle", a);
    set_string(doc, "id", ack.ack_id, a);
    set_string(doc, "type", "message", a);
    Value entries(rapidjson::kArrayType);
    Value header(rapidjson::kObjectType);
    set_string(header, "resourceType", "MessageHeader", a);
    set_string(header, "id", ack.ack_id, a);
    Value event(rapidjson::kObjectType);
    set_string(event, "system", kMessageEventSystem, a);
    set_string(event, "code", "acknowledgement", a);
    header.AddMember("eventCoding", event, a);
    Value source(rapidjson::kObjectType);
    set_string(source, "name", "caregw", a);
    set_string(source, "endpoint", "urn:caregw", a);
    header.AddMember("source", source, a);
    Value response(rapidjson::kObjectType);
    set_string(response, "identifier", message_id(body), a);
    const char* code = ack.code == AckRequest::Code::kAccepted ? "ok"
                       : ack.code == AckRequest::Code::kError  ? "transient-error"
                                                               : "fatal-error";
    set_string(response, "code", code, a);
    const bool issues = ack.error.has_value() || !ack.warnings.empty();
    if (issues) {
      Value details(rapidjson::kObjectType);
      set_string(details, "reference", "urn:uuid:outcome-" + ack.ack_id, a);
      response.AddMember("details", details, a);
    }
    header.AddMember("response", response, a);
    Value header_entry(rapidjson::kObjectType);
    set_string(header_entry, "fullUrl", "urn:uuid:" + ack.ack_id, a);
    header_entry.AddMember("resource", header, a);
    entries.PushBack(header_entry, a);
    if (issues) {
      Value outcome(rapidjson::kObjectType);
      set_string(outcome, "resourceType", "OperationOutcome", a);
      Value list(rapidjson::kArrayType);
      auto add_issue = [&](std::string_view severity, std::string_view issue_code,
                           std::string_view text) {
        Value issue(rapidjson::kObjectType);
        set_string(issue, "severity", severity, a);
        set_string(issue, "code", issue_code, a);
        Value details(rapidjson::kObjectType);
        set_string(details, "text", text, a);
        issue.AddMember("details", details, a);
        const auto sep = text.find(kLocationSeparator);
        if (sep != std::string_view::npos && !text.empty() && text.front() == '/') {
          Value expr(rapidjson::kArrayType);
          const auto loc = text.substr(0, sep);
          expr.PushBack(Value(loc.data(), static_cast<rapidjson::SizeType>(loc.size()), a), a);
          issue.AddMember("expression", expr, a);
        }
        list.PushBack(issue, a);
      };
      if (ack.error) {
        add_issue("error", ack.code == AckRequest::Code::kError ? "transient" : "invalid",
                  ack.error->detail);
      }
      for (const auto& w : ack.warnings) {
        add_issue("warning", "informational", w);
      }
      outcome.AddMember("issue", list, a);
      Value outcome_entry(rapidjson::kObjectType);
      set_string(outcome_entry, "fullUrl", "urn:uuid:outcome-" + ack.ack_id, a);
      outcome_entry.AddMember("resource", outcome, a);
      entries.PushBack(outcome_entry, a);
    }
    doc.AddMember("entry", entries, a);
    return fhir::to_json(doc);
  }

private:
  static const Value* first_resource(const Value& bundle) {
    const auto* entries = array(bundle, "entry");
    if (entries == nullptr || entries->Empty()) {
      return nullptr;
    }
    return member((*entries)[0], "resource");
  }
};

// --- the renderer ---------------------------------------------------------------------------

class FhirR4Renderer final : public OutboundRenderer {
public:
  [[nodiscard]] std::string_view format() const override { return "fhir-r4"; }

  [[nodiscard]] Result<Rendered> render(const RenderRequest& r) const override {
    if (r.message == nullptr) {
      return make_error(Errc::kInternal, "render: no message");
    }
    rapidjson::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    set_string(doc, "resourceType", "Bundle", a);
    set_string(doc, "id", r.outbound_message_id, a);
    set_string(doc, "type", "message", a);
    set_string(doc, "timestamp", r.timestamp, a);
    Value entries(rapidjson::kArrayType);
    Value header(rapidjson::kObjectType);
    set_string(header, "resourceType", "MessageHeader", a);
    set_string(header, "id", r.outbound_message_id, a);
    Value event(rapidjson::kObjectType);
    set_string(event, "system", kMessageEventSystem, a);
    set_string(event, "code", r.message->kind, a);
    if (!r.message->event.empty()) {
      set_string(event, "display", r.message->event, a);
    }
    header.AddMember("eventCoding", event, a);
    Value destinations(rapidjson::kArrayType);
    Value destination(rapidjson::kObjectType);
    set_string(destination, "endpoint", "urn:ods:" + r.recipient.str(), a);
    destinations.PushBack(destination, a);
    header.AddMember("destination", destinations, a);
    Value sender(rapidjson::kObjectType);
    Value sender_id(rapidjson::kObjectType);
    set_string(sender_id, "system", "https://fhir.nhs.uk/Id/ods-organization-code", a);
    set_string(sender_id, "value", r.sender.str(), a);
    sender.AddMember("identifier", sender_id, a);
    header.AddMember("sender", sender, a);
    Value source(rapidjson::kObjectType);
    set_string(source, "name", "caregw", a);
    set_string(source, "endpoint", "urn:ods:" + r.sender.str(), a);
    header.AddMember("source", source, a);
    Value focus(rapidjson::kArrayType);
    for (const auto& res : r.message->resources) {
      if (!res.deleted && res.resource_type != "Patient") {
        Value ref(rapidjson::kObjectType);
        set_string(ref, "reference", "urn:uuid:" + res.resource_type + "-" + res.id, a);
        focus.PushBack(ref, a);
      }
    }
    if (!focus.Empty()) {
      header.AddMember("focus", focus, a);
    }
    Value header_entry(rapidjson::kObjectType);
    set_string(header_entry, "fullUrl", "urn:uuid:" + r.outbound_message_id, a);
    header_entry.AddMember("resource", header, a);
    entries.PushBack(header_entry, a);
    std::size_t carried = 0;
    for (const auto& res : r.message->resources) {
      if (res.deleted) {
        continue;
      }
      if (auto added = add_entry(entries, res.resource_type, res.id, res.json, a); !added) {
        return make_error(Errc::kInternal, res.resource_type + "/" + res.id +
                                               ": stored JSON unreadable: " + added.error().detail);
      }
      ++carried;
    }
    if (carried == 0) {
      return make_error(Errc::kUnprocessable, "nothing to send: every resource was withdrawn");
    }
    doc.AddMember("entry", entries, a);
    return Rendered{"application/fhir+json; charset=utf-8", fhir::to_json(doc)};
  }
};

}  // namespace

identity::IncomingIdentity identity_from_patient(const rapidjson::Value& patient,
                                                 const OdsCode& source,
                                                 std::vector<std::string>& warnings) {
  identity::IncomingIdentity out{source, {}, {}, {}, {}, {}, {}};
  read_identifiers(patient, source, out, warnings);
  read_name(patient, out);
  if (const auto bd = string_member(patient, "birthDate"); !bd.empty()) {
    auto d = identity::parse_date(bd);
    if (d) {
      out.match.birth_date = *d;
    } else {
      warnings.push_back("Patient.birthDate: left out: " + d.error().detail);
    }
  }
  out.match.gender = std::string(string_member(patient, "gender"));
  read_address_and_telecom(patient, out);
  return out;
}

std::unique_ptr<InboundAdapter> make_fhir_r4_message_adapter() {
  return std::make_unique<FhirR4MessageAdapter>();
}

std::unique_ptr<OutboundRenderer> make_fhir_r4_renderer() {
  return std::make_unique<FhirR4Renderer>();
}

bool is_stu3_message(std::string_view body) {
  auto doc = fhir::parse_json(body);
  if (!doc) {
    return false;
  }
  const auto* entries = array(*doc, "entry");
  if (entries == nullptr || entries->Empty()) {
    return false;
  }
  const auto* header = member((*entries)[0], "resource");
  return header != nullptr && member(*header, "event") != nullptr &&
         member(*header, "eventCoding") == nullptr;
}

}  // namespace gw::ingest
