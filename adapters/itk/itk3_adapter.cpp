// ITK3: parse (JSON or STU3 XML) -> check (ITK3 messaging rules, each failure with its response
// code) -> STU3->R4 (gateway/fhir/stu3_to_r4.hpp) -> TranslatedMessage. acknowledge() re-runs the
// (pure) check on the body, so it can name the response code without state.
#include "adapters/itk/itk3_adapter.hpp"

#include <array>
#include <ctime>
#include <map>
#include <optional>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "adapters/emis/emis.hpp"
#include "adapters/itk/cda.hpp"
#include "adapters/itk/codes.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/resource.hpp"
#include "gateway/fhir/stu3_to_r4.hpp"
#include "gateway/fhir/xml.hpp"
#include "gateway/identity/normalise.hpp"

namespace gw::adapters::itk {
namespace {

using rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

/** The ITK-MessageEvent-2 codes (shared/reference/gpconnect-send-document-update-record/
 * CodeSystem-ITK-MessageEvent-2.xml) and the kind each one files as; an empty kind is an event
 * this gateway does not take in (a response, events management, pathology). */
struct Event {
  std::string_view code;
  std::string_view kind;
};
constexpr std::array kEvents{
    Event{"ITK003D", "discharge-summary"},
    Event{"ITK004D", "mh-discharge"},
    Event{"ITK005D", "ed-discharge"},
    Event{"ITK006D", "outpatient-letter"},
    Event{"ITK007C", "document"},
    Event{"ITK008M", ""},
    Event{"ITK009D", "document"},
    Event{"ITK010D", "document"},
    Event{"ITK011M", ""},
    Event{"ITK012M", ""},
    Event{"ITK013D", "document"},
    Event{"ITK014M", "document"},
};

std::string iso_utc(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string_view str_member(const Value& v, std::string_view name) {
  if (!v.IsObject()) {
    return {};
  }
  auto it = v.FindMember(rapidjson::StringRef(name.data(), name.size()));
  if (it == v.MemberEnd() || !it->value.IsString()) {
    return {};
  }
  return {it->value.GetString(), it->value.GetStringLength()};
}

const Value* member(const Value& v, std::string_view name) {
  if (!v.IsObject()) {
    return nullptr;
  }
  auto it = v.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it == v.MemberEnd() ? nullptr : &it->value;
}

/** Checked: what the ITK3 checks found, and the first failure with its response code. */
constexpr std::string_view kItk3ResponseEvent = "ITK008M";
constexpr std::string_view kItk3ResponseKind = "itk-response";

struct Checked {
  std::optional<fhir::Json> stu3;
  std::string message_id;  // MessageHeader.id, else Bundle.id
  std::string event;
  std::string kind;
  const Value* document = nullptr;  // the focus resource (in *stu3)
  const Itk3Response* failure = nullptr;
  Errc errc = Errc::kBadRequest;
  std::string detail;
};

void fail(Checked& c, const Itk3Response& code, Errc errc, std::string detail) {
  if (c.failure == nullptr) {
    c.failure = &code;
    c.errc = errc;
    c.detail = std::move(detail);
  }
}

/** check_handling: the Extension-ITK-MessageHandling-2 keys (explore_hand_spec.md). */
void check_handling(const Value& header, Checked& c) {
  const std::string at = "Bundle.entry[0].resource.MessageHeader.extension";
  const Value* exts = member(header, "extension");
  const Value* handling = nullptr;
  if (exts != nullptr && exts->IsArray()) {
    for (const Value& e : exts->GetArray()) {
      if (str_member(e, "url") == kItk3HandlingExtension) {
        handling = &e;
      }
    }
  }
  if (handling == nullptr) {
    fail(c, kItk3HandlingSpecError, Errc::kBadRequest, at + ": no Extension-ITK-MessageHandling-2");
    return;
  }
  bool bus = false;
  bool inf = false;
  bool recipient = false;
  bool definition = false;
  const Value* keys = member(*handling, "extension");
  static const Value kNone(rapidjson::kArrayType);
  for (const Value& k : (keys != nullptr && keys->IsArray() ? *keys : kNone).GetArray()) {
    const std::string_view url = str_member(k, "url");
    const std::string k_at = at + "(handling)." + std::string(url);
    if (url == "BusAckRequested" || url == "InfAckRequested") {
      const Value* b = member(k, "valueBoolean");
      (url == "BusAckRequested" ? bus : inf) = true;
      if (b == nullptr || !b->IsBool()) {
        fail(c, url == "BusAckRequested" ? kItk3BusAckValueError : kItk3InfAckValueError,
             Errc::kBadRequest, k_at + ": valueBoolean missing or not a boolean");
      }
    } else if (url == "RecipientType") {
      recipient = true;
      const Value* coding = member(k, "valueCoding");
      const std::string_view code = coding != nullptr ? str_member(*coding, "code") : "";
      if (coding == nullptr || str_member(*coding, "system") != kItk3RecipientTypeSystem ||
          (code != "FA" && code != "FI")) {
        fail(c, kItk3RecipientTypeError, Errc::kBadRequest,
             k_at + ": valueCoding must be FA or FI from ITK-RecipientType-1");
      }
    } else if (url == "MessageDefinition") {
      definition = true;
      const Value* ref = member(k, "valueReference");
      if (ref == nullptr || str_member(*ref, "reference").empty()) {
        fail(c, kItk3MessageDefinitionError, Errc::kBadRequest,
             k_at + ": valueReference.reference missing");
      }
    } else if (url == "SenderReference") {
      if (str_member(k, "valueString").empty()) {
        fail(c, kItk3SenderReferenceError, Errc::kBadRequest, k_at + ": valueString missing");
      }
    }
  }
  if (!bus || !inf || !recipient || !definition) {
    fail(c, kItk3HandlingSpecError, Errc::kBadRequest,
         at + "(handling): BusAckRequested, InfAckRequested, RecipientType and MessageDefinition "
              "are required");
  }
}

/** find_entry: the entry resource a reference names (fullUrl, or Type/id). */
const Value* find_entry(const Value& bundle, std::string_view ref) {
  fhir::BundleView view(bundle);
  return view.find(ref);
}

void check_header(const Value& bundle, Checked& c) {
  const std::string at = "Bundle.entry[0].resource.MessageHeader";
  const Value* entries = member(bundle, "entry");
  const Value* header = nullptr;
  if (entries != nullptr && entries->IsArray() && !entries->Empty()) {
    header = member((*entries)[0], "resource");
  }
  if (header == nullptr || str_member(*header, "resourceType") != "MessageHeader") {
    fail(c, kItk3HeaderInvalid, Errc::kBadRequest, "Bundle.entry[0]: not a MessageHeader");
    return;
  }
  c.message_id = std::string(str_member(*header, "id"));
  const Value* event = member(*header, "event");
  const std::string_view system = event != nullptr ? str_member(*event, "system") : "";
  c.event = event != nullptr ? std::string(str_member(*event, "code")) : std::string{};
  if (system == kItk3EventSystem && c.event == kItk3ResponseEvent &&
      member(*header, "response") != nullptr) {
    // A response to a message this gateway sent: read as such in translate(), where every
    // element it needs is checked (adapters/emis read_itk_response). An ITK008M without a
    // response element is refused below like any event this gateway does not take in.
    c.kind = std::string(kItk3ResponseKind);
    return;
  }
  check_handling(*header, c);
  const Event* known = nullptr;
  for (const Event& e : kEvents) {
    if (e.code == c.event) {
      known = &e;
    }
  }
  if (system != kItk3EventSystem || known == nullptr) {
    fail(c, kItk3HeaderInvalid, Errc::kBadRequest, at + ".event: not a code of ITK-MessageEvent-2");
  } else if (known->kind.empty()) {
    fail(c, kItk3MessageDefinitionError, Errc::kUnprocessable,
         at + ".event: " + c.event + " is not a message this gateway takes in");
  } else {
    c.kind = std::string(known->kind);
  }
  const Value* sender = member(*header, "sender");
  if (sender == nullptr || str_member(*sender, "reference").empty()) {
    fail(c, kItk3HeaderInvalid, Errc::kBadRequest, at + ".sender: missing");
  }
  const Value* receiver = member(*header, "receiver");
  const Value* destination = member(*header, "destination");
  if ((receiver == nullptr || str_member(*receiver, "reference").empty()) &&
      (destination == nullptr || !destination->IsArray() || destination->Empty())) {
    fail(c, kItk3HeaderInvalid, Errc::kBadRequest, at + ": neither receiver nor destination");
  }
  const Value* source = member(*header, "source");
  if (source == nullptr || str_member(*source, "endpoint").empty()) {
    fail(c, kItk3HeaderInvalid, Errc::kBadRequest, at + ".source.endpoint: missing");
  }
  const Value* focus = member(*header, "focus");
  if (focus != nullptr && focus->IsArray()) {
    focus = focus->Empty() ? nullptr : &(*focus)[0];  // STU3 focus repeats; ITK3 sends one
  }
  const std::string_view ref = focus != nullptr ? str_member(*focus, "reference") : "";
  c.document = ref.empty() ? nullptr : find_entry(bundle, ref);
  if (c.document == nullptr) {
    fail(c, kItk3HeaderInvalid, Errc::kBadRequest,
         at + ".focus: missing or names no entry of the Bundle");
  }
}

Checked check(std::string_view body) {
  Checked c;
  const auto first = body.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  Result<fhir::Json> parsed = make_error(Errc::kBadRequest, "empty body");
  if (first != std::string_view::npos && body[first] == '{') {
    parsed = fhir::parse_json(body);
  } else if (first != std::string_view::npos && body[first] == '<') {
    parsed = fhir::xml_to_json(body, fhir::FhirVersion::kStu3);
  }
  if (!parsed) {
    fail(c, kItk3Unreadable, Errc::kBadRequest,
         "Bundle: unreadable (" + parsed.error().detail + ")");
    return c;
  }
  c.stu3.emplace(std::move(*parsed));
  const Value& bundle = *c.stu3;
  if (str_member(bundle, "resourceType") != "Bundle" || str_member(bundle, "type") != "message") {
    fail(c, kItk3HeaderInvalid, Errc::kBadRequest, "Bundle.type: not a message Bundle");
    return c;
  }
  check_header(bundle, c);
  // MessageHeader.id, else Bundle.id, else Bundle.identifier (the justin-thyme example has
  // only the last).
  if (c.message_id.empty()) {
    c.message_id = std::string(str_member(bundle, "id"));
  }
  if (const Value* identifier = member(bundle, "identifier");
      c.message_id.empty() && identifier != nullptr) {
    c.message_id = std::string(str_member(*identifier, "value"));
  }
  if (c.message_id.size() > 128) {
    c.message_id.clear();  // not an id we can echo or key the journal on
  }
  return c;
}

/** first_identifier: a Patient identifier that is not the NHS number (a local id), if any. */
std::string local_identifier(const Value& patient) {
  const Value* ids = member(patient, "identifier");
  if (ids == nullptr || !ids->IsArray()) {
    return {};
  }
  for (const Value& id : ids->GetArray()) {
    if (str_member(id, "system") != kNhsNumberSystem && !str_member(id, "value").empty()) {
      return std::string(str_member(id, "value"));
    }
  }
  return {};
}

Result<identity::IncomingIdentity> read_patient(const Value& patient, const OdsCode& sender,
                                                const std::string& at) {
  fhir::PatientView p(patient);
  identity::IncomingIdentity in{sender};
  if (auto n = p.nhs_number(); n) {
    if (!n->number) {
      return make_error(Errc::kUnprocessable, at + ".identifier: NHS number is not valid");
    }
    in.match.nhs_number = n->number;
    in.match.nhs_status = n->verification.value_or(VerificationStatus::kPresentNotTraced);
  }
  if (auto local = local_identifier(patient);
      !local.empty() && local.size() <= store::kMaxLocalIdBytes) {
    in.local_id = store::LocalId{sender, store::LocalIdType::kHospitalMrn, local};
  }
  if (!in.match.nhs_number && !in.local_id) {
    return make_error(Errc::kUnprocessable, at + ".identifier: no NHS number and no local id");
  }
  in.match.family = std::string(p.family());
  for (auto g : p.given()) {
    in.match.given.emplace_back(g);
  }
  if (auto d = identity::parse_date(p.birth_date()); d) {
    in.match.birth_date = *d;
  }
  in.match.gender = std::string(p.gender());
  in.match.postcode = std::string(p.postcode());
  return in;
}

bool fhir_id(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.';
  });
}

void str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void kv(Writer& w, std::string_view k, std::string_view v) {
  str(w, k);
  str(w, v);
}
void write_profile(Writer& w, std::string_view profile) {
  str(w, "meta");
  w.StartObject();
  str(w, "profile");
  w.StartArray();
  str(w, profile);
  w.EndArray();
  w.EndObject();
}

/**
 * registered_practice: the patient's GP practice: the ODS code of the first generalPractitioner
 * that is an Organization, given as a logical reference or as an entry of the document.
 */
std::optional<OdsCode> registered_practice(const Value& doc, const Value& patient) {
  constexpr std::string_view kOds = "https://fhir.nhs.uk/Id/ods-organization-code";
  const Value* gps = member(patient, "generalPractitioner");
  if (gps == nullptr || !gps->IsArray()) {
    return std::nullopt;
  }
  auto ods_of = [&](const Value& v) -> std::optional<OdsCode> {
    auto from_identifier = [&](const Value* id) -> std::optional<OdsCode> {
      if (id != nullptr && str_member(*id, "system") == kOds) {
        if (auto code = OdsCode::parse(str_member(*id, "value")); code) {
          return *code;
        }
      }
      return std::nullopt;
    };
    const Value* ids = member(v, "identifier");
    if (ids != nullptr && ids->IsArray()) {
      for (const Value& id : ids->GetArray()) {
        if (auto code = from_identifier(&id); code) {
          return code;
        }
      }
      return std::nullopt;
    }
    return from_identifier(ids);
  };
  for (const Value& gp : gps->GetArray()) {
    if (auto code = ods_of(gp); code) {
      return code;  // a logical reference: {"identifier": {...}}
    }
    const Value* target = find_entry(doc, str_member(gp, "reference"));
    if (target != nullptr && str_member(*target, "resourceType") == "Organization") {
      if (auto code = ods_of(*target); code) {
        return code;
      }
    }
  }
  return std::nullopt;
}

/**
 * rewrite_references: in one resource, every Reference.reference that names another entry of
 * the document becomes the Type/id it is filed under, and every reference to the patient becomes
 * a logical reference by NHS number (else the local id), as the ITK 2.2 adapter writes them: the
 * gateway files the resources under the person the MPI finds, not under the sender's Patient.
 */
void rewrite_references(Value& v, rapidjson::Document::AllocatorType& a,
                        const std::map<std::string, std::string, std::less<>>& targets,
                        const std::array<std::string, 2>& patient_refs,
                        const identity::IncomingIdentity& who) {
  if (v.IsArray()) {
    for (Value& item : v.GetArray()) {
      rewrite_references(item, a, targets, patient_refs, who);
    }
    return;
  }
  if (!v.IsObject()) {
    return;
  }
  if (auto it = v.FindMember("reference"); it != v.MemberEnd() && it->value.IsString()) {
    const std::string_view ref(it->value.GetString(), it->value.GetStringLength());
    if (ref == patient_refs[0] || ref == patient_refs[1]) {
      v.RemoveMember("reference");
      v.RemoveMember("identifier");
      Value identifier(rapidjson::kObjectType);
      if (who.match.nhs_number) {
        identifier.AddMember("system", Value(kNhsNumberSystem.data(), a), a);
        identifier.AddMember("value", Value(who.match.nhs_number->str().c_str(), a), a);
      } else if (who.local_id) {
        const std::string system = "urn:caregw:id:" + who.source.str() + ":mrn";
        identifier.AddMember("system", Value(system.c_str(), a), a);
        identifier.AddMember("value", Value(who.local_id->value.c_str(), a), a);
      }
      v.AddMember("identifier", identifier, a);
      return;
    }
    if (auto t = targets.find(ref); t != targets.end()) {
      it->value.SetString(t->second.c_str(), static_cast<rapidjson::SizeType>(t->second.size()), a);
    }
  }
  for (auto& m : v.GetObject()) {
    rewrite_references(m.value, a, targets, patient_refs, who);
  }
}

class Itk3Adapter final : public ingest::InboundAdapter {
public:
  explicit Itk3Adapter(Itk3Options o) : options_(std::move(o)) {
    if (options_.clock == nullptr) {
      options_.clock = &system_clock_;
    }
  }
  // options_.clock may point at system_clock_: a copy would point at the original's.
  Itk3Adapter(const Itk3Adapter&) = delete;
  Itk3Adapter& operator=(const Itk3Adapter&) = delete;

  [[nodiscard]] std::string_view name() const override { return "itk3"; }
  [[nodiscard]] std::string_view ack_content_type() const override { return kItk3AckContentType; }

  [[nodiscard]] std::string message_id(std::string_view body) const override {
    return check(body).message_id;
  }

  [[nodiscard]] Result<ingest::TranslatedMessage> translate(
      const OdsCode& sender, std::string_view body,
      const mapping::Mapper& /*mapper*/) const override {
    Checked c = check(body);
    if (c.failure != nullptr || !c.stu3) {
      return make_error(c.errc, c.detail);
    }
    if (c.kind == kItk3ResponseKind) {
      return answer(c, body);
    }
    auto converted = fhir::stu3_to_r4(*c.stu3);
    if (!converted) {
      return make_error(Errc::kUnprocessable, "Bundle: " + converted.error().detail);
    }
    ingest::TranslatedMessage m;
    m.kind = c.kind;
    m.event = c.event;
    m.sender_message_id = c.message_id;
    for (const auto& issue : converted->issues) {
      m.warnings.push_back(issue.path + ": " + issue.message);
    }
    // The focus, found again in the R4 Bundle: by the same fullUrl.
    const Value& r4 = converted->resource;
    const Value* entries = member(r4, "entry");
    const Value* header = entries != nullptr && entries->IsArray() && !entries->Empty()
                              ? member((*entries)[0], "resource")
                              : nullptr;
    const Value* focus = header != nullptr ? member(*header, "focus") : nullptr;
    if (focus != nullptr && focus->IsArray() && !focus->Empty()) {
      focus = &(*focus)[0];  // R4 MessageHeader.focus repeats
    }
    const Value* doc = focus != nullptr ? find_entry(r4, str_member(*focus, "reference")) : nullptr;
    if (doc == nullptr) {
      return make_error(Errc::kUnprocessable,
                        "Bundle.entry[0].resource.MessageHeader.focus: lost in conversion");
    }
    return collect(sender, *doc, m);
  }

  [[nodiscard]] std::string acknowledge(std::string_view body,
                                        const ingest::AckRequest& ack) const override {
    Checked c = check(body);
    const Itk3Response* code = &kItk3Success;
    std::string response_code = "ok";
    std::string detail;
    if (c.failure != nullptr) {
      code = c.failure;
      response_code = "fatal-error";
      detail = c.detail;
    } else if (ack.code == ingest::AckRequest::Code::kError) {
      // No ITK3 response code is for a temporary failure (every negative code is fatal), so
      // the response says transient-error with a FHIR "transient" issue and no ITK code.
      code = nullptr;
      response_code = "transient-error";
      detail = ack.error ? ack.error->detail : "";
    } else if (ack.code == ingest::AckRequest::Code::kRejected) {
      response_code = "fatal-error";
      detail = ack.error ? ack.error->detail : "";
      const Errc e = ack.error ? ack.error->code : Errc::kUnprocessable;
      code = e == Errc::kForbidden || e == Errc::kPolicyDenied || e == Errc::kUnauthenticated
                 ? &kItk3UnauthorisedSender
             : e == Errc::kPayloadTooLarge ? &kItk3TooLarge
                                           : &kItk3PayloadInvalid;
    }
    return response(c, ack.ack_id.empty() ? "caregw-response" : ack.ack_id, response_code, code,
                    detail);
  }

private:
  /** answer: an ITK3 response (ITK008M) to a message this gateway sent: no resources; the
   * outbox row it names takes its outcome (ingest). */
  static Result<ingest::TranslatedMessage> answer(const Checked& c, std::string_view body) {
    auto r = emis::read_itk_response(body);
    if (!r) {
      return r.error();
    }
    ingest::TranslatedMessage m;
    m.kind = c.kind;
    m.event = c.event;
    m.sender_message_id = c.message_id;
    m.answer = ingest::AnswerTo{r->in_reply_to, emis::answer_of(*r)};
    return m;
  }

  static Result<ingest::TranslatedMessage> collect(const OdsCode& sender, const Value& doc,
                                                   ingest::TranslatedMessage& m) {
    const std::string at = "Bundle.entry(focus).resource.Bundle";
    if (str_member(doc, "resourceType") != "Bundle" || str_member(doc, "type") != "document") {
      return make_error(Errc::kUnprocessable, at + ": the focus is not a document Bundle");
    }
    const Value* entries = member(doc, "entry");
    const Value* first = entries != nullptr && entries->IsArray() && !entries->Empty()
                             ? member((*entries)[0], "resource")
                             : nullptr;
    if (first == nullptr || str_member(*first, "resourceType") != "Composition") {
      return make_error(Errc::kUnprocessable, at + ".entry[0]: not a Composition");
    }
    const Value& composition = *first;
    const Value* subject = member(composition, "subject");
    const Value* patient =
        subject != nullptr ? find_entry(doc, str_member(*subject, "reference")) : nullptr;
    if (patient == nullptr || str_member(*patient, "resourceType") != "Patient") {
      return make_error(Errc::kUnprocessable,
                        at + ".entry[0].resource.Composition.subject: names no Patient entry");
    }
    auto who = read_patient(*patient, sender, at + "(Patient)");
    if (!who) {
      return who.error();
    }
    who->message_id = m.sender_message_id;
    m.patient = std::move(*who);
    m.registered_practice = registered_practice(doc, *patient);
    // Ids first, so references between entries (fullUrl or Type/id in the document) can be
    // rewritten to the ids the resources are filed under.
    std::map<std::string, std::string, std::less<>> targets;
    std::vector<std::pair<const Value*, std::string>> kept;
    const std::string patient_url(str_member(*subject, "reference"));
    const std::string patient_local = "Patient/" + std::string(str_member(*patient, "id"));
    for (const Value& e : entries->GetArray()) {
      const Value* r = member(e, "resource");
      if (r == nullptr || r == patient) {
        continue;  // the patient goes to the MPI as an identity, not as a record
      }
      const std::string type(str_member(*r, "resourceType"));
      std::string id(str_member(*r, "id"));
      if (!fhir_id(id)) {
        id = stable_id("itk3-", m.sender_message_id, str_member(e, "fullUrl"));
      }
      std::string filed = type;
      filed += "/";
      filed += id;
      if (auto url = str_member(e, "fullUrl"); !url.empty()) {
        targets.emplace(std::string(url), filed);
      }
      if (auto own = str_member(*r, "id"); !own.empty()) {
        std::string local = type;
        local += "/";
        local += own;
        targets.emplace(std::move(local), filed);
      }
      kept.emplace_back(r, id);
    }
    for (const auto& [r, id] : kept) {
      fhir::Json copy;
      copy.CopyFrom(*r, copy.GetAllocator());
      copy.RemoveMember("id");
      copy.AddMember("id", Value(id.c_str(), copy.GetAllocator()), copy.GetAllocator());
      rewrite_references(copy, copy.GetAllocator(), targets, {patient_url, patient_local},
                         *m.patient);
      m.resources.push_back(
          {std::string(str_member(*r, "resourceType")), id, fhir::to_json(copy), false});
    }
    return std::move(m);
  }

  [[nodiscard]] std::string response(const Checked& c, const std::string& id,
                                     const std::string& response_code, const Itk3Response* code,
                                     const std::string& detail) const {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    const std::string now = iso_utc(options_.clock->now());
    const std::string header_id = id + "-header";
    const std::string outcome_id = id + "-outcome";
    w.StartObject();
    kv(w, "resourceType", "Bundle");
    kv(w, "id", id);
    str(w, "meta");
    w.StartObject();
    str(w, "profile");
    w.StartArray();
    str(w, "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Message-Bundle-1");
    w.EndArray();
    w.EndObject();
    str(w, "identifier");
    w.StartObject();
    kv(w, "value", id);
    w.EndObject();
    kv(w, "type", "message");
    str(w, "entry");
    w.StartArray();
    w.StartObject();
    kv(w, "fullUrl", "urn:uuid:" + header_id);
    str(w, "resource");
    w.StartObject();
    kv(w, "resourceType", "MessageHeader");
    kv(w, "id", header_id);
    write_profile(w, "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-MessageHeader-2");
    str(w, "extension");
    w.StartArray();
    w.StartObject();
    kv(w, "url", kItk3HandlingExtension);
    str(w, "extension");
    w.StartArray();
    for (std::string_view flag : {"BusAckRequested", "InfAckRequested"}) {
      w.StartObject();
      kv(w, "url", flag);
      str(w, "valueBoolean");
      w.Bool(false);
      w.EndObject();
    }
    w.StartObject();
    kv(w, "url", "RecipientType");
    str(w, "valueCoding");
    w.StartObject();
    kv(w, "system", kItk3RecipientTypeSystem);
    kv(w, "code", "FI");
    kv(w, "display", "For Information");
    w.EndObject();
    w.EndObject();
    w.EndArray();
    w.EndObject();
    w.EndArray();
    str(w, "event");
    w.StartObject();
    kv(w, "system", kItk3EventSystem);
    kv(w, "code", "ITK008M");
    kv(w, "display", "ITK Response");
    w.EndObject();
    kv(w, "timestamp", now);
    str(w, "source");
    w.StartObject();
    kv(w, "endpoint", options_.source_endpoint);
    w.EndObject();
    str(w, "response");
    w.StartObject();
    kv(w, "identifier", c.message_id.empty() ? std::string(kUnreadableId) : c.message_id);
    kv(w, "code", response_code);
    str(w, "details");
    w.StartObject();
    kv(w, "reference", "urn:uuid:" + outcome_id);
    w.EndObject();
    w.EndObject();
    w.EndObject();
    w.EndObject();
    w.StartObject();
    kv(w, "fullUrl", "urn:uuid:" + outcome_id);
    str(w, "resource");
    w.StartObject();
    kv(w, "resourceType", "OperationOutcome");
    kv(w, "id", outcome_id);
    write_profile(w,
                  "https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Response-OperationOutcome-1");
    str(w, "issue");
    w.StartArray();
    w.StartObject();
    if (code == nullptr) {
      kv(w, "severity", "error");
      kv(w, "code", "transient");
    } else {
      kv(w, "severity", code->positive ? "information" : "fatal");
      kv(w, "code", code->issue_code);
      str(w, "details");
      w.StartObject();
      str(w, "coding");
      w.StartArray();
      w.StartObject();
      kv(w, "system", kItk3ResponseCodeSystem);
      kv(w, "code", code->code);
      kv(w, "display", code->display);
      w.EndObject();
      w.EndArray();
      w.EndObject();
    }
    if (!detail.empty()) {
      kv(w, "diagnostics", detail);
    }
    w.EndObject();
    w.EndArray();
    w.EndObject();
    w.EndObject();
    w.EndArray();
    w.EndObject();
    return buf.GetString();
  }

  Itk3Options options_;
  SystemClock system_clock_;
};

}  // namespace

std::unique_ptr<ingest::InboundAdapter> make_itk3_adapter(Itk3Options options) {
  return std::make_unique<Itk3Adapter>(std::move(options));
}

}  // namespace gw::adapters::itk
