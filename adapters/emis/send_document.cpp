// OutboundRenderer "gp-connect-send-document": correspondence for a GP practice as an ITK3 GP
// Connect Send Document message (event ITK007C; MessageDefinition
// ITK-GPConnectSendDocument-MessageDefinition-1): an STU3 message Bundle whose MessageHeader
// focuses a document Bundle holding a Composition, the Patient, the sending and receiving
// Organizations and the readable document as a Binary (the sender's own attachment when its
// DocumentReference carries one, otherwise an XHTML rendering of the Composition or a summary of
// the message's resources). Written as FHIR STU3 XML, as GP inboxes take it over MESH.
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "adapters/emis/common.hpp"
#include "adapters/emis/emis.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/schema.hpp"
#include "gateway/fhir/xml.hpp"

namespace gw::adapters::emis {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

constexpr std::string_view kItkEventSystem =
    "https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2";
constexpr std::string_view kMessageDefinition =
    "https://fhir.nhs.uk/STU3/MessageDefinition/ITK-GPConnectSendDocument-MessageDefinition-1";
constexpr std::string_view kRfc4122 = "https://tools.ietf.org/html/rfc4122";

std::string_view str_of(const Value& obj, const char* name) {
  if (!obj.IsObject()) {
    return {};
  }
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) {
    return {};
  }
  return {it->value.GetString(), it->value.GetStringLength()};
}

const Value* member(const Value& obj, const char* name) {
  if (!obj.IsObject()) {
    return nullptr;
  }
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

Value s(std::string_view v, Alloc& a) {
  return Value(v.data(), static_cast<rapidjson::SizeType>(v.size()), a);
}

/** O: builds a JSON object member by member. */
class O {
public:
  explicit O(Alloc& a) : a_(a), v_(rapidjson::kObjectType) {}
  O& str(const char* k, std::string_view v) {
    v_.AddMember(rapidjson::StringRef(k), s(v, a_), a_);
    return *this;
  }
  O& boolean(const char* k, bool b) {
    v_.AddMember(rapidjson::StringRef(k), Value(b), a_);
    return *this;
  }
  O& val(const char* k, Value&& v) {
    v_.AddMember(rapidjson::StringRef(k), v, a_);
    return *this;
  }
  O& val(const char* k, O& o) { return val(k, o.take()); }
  Value take() { return std::move(v_); }

private:
  Alloc& a_;
  Value v_;
};

Value arr_of(Value&& v, Alloc& a) {
  Value out(rapidjson::kArrayType);
  out.PushBack(v, a);
  return out;
}

Value profile(std::string_view url, Alloc& a) {
  return O(a).val("profile", arr_of(s(url, a), a)).take();
}

Value reference(std::string_view url, Alloc& a) { return O(a).str("reference", url).take(); }

Value ods_identifier(std::string_view ods, Alloc& a) {
  return arr_of(O(a).str("system", detail::kOdsSystem).str("value", ods).take(), a);
}

/** title_for: the document title for a message kind. */
std::string title_for(std::string_view kind) {
  if (kind == "discharge-summary") {
    return "Discharge summary";
  }
  if (kind == "ed-discharge") {
    return "Emergency department discharge";
  }
  if (kind == "outpatient-letter") {
    return "Outpatient letter";
  }
  if (kind == "mh-discharge") {
    return "Mental health discharge";
  }
  if (kind == "crisis-plan") {
    return "Mental health crisis plan";
  }
  if (kind == "ambulance-handover") {
    return "Ambulance patient report";
  }
  if (kind.starts_with("care-act") || kind == "social-care-notice") {
    return "Adult social care notice";
  }
  return kind.empty() ? std::string("Clinical correspondence")
                      : std::string("Correspondence (") + std::string(kind) + ")";
}

std::string esc(std::string_view in) {
  std::string out;
  for (char c : in) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') {
          out += c;
        }
    }
  }
  return out;
}

/** strip_tags: the text of an XHTML fragment (narrative is re-rendered, never passed through). */
std::string strip_tags(std::string_view html) {
  std::string out;
  bool in_tag = false;
  for (char c : html) {
    if (c == '<') {
      in_tag = true;
      out += ' ';
    } else if (c == '>') {
      in_tag = false;
    } else if (!in_tag) {
      out += c;
    }
  }
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) {
      n |= static_cast<unsigned char>(in[i + 1]) << 8;
    }
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/** concept_text: a CodeableConcept's text, else its first coding's display, else code. */
std::string_view concept_text(const Value* cc) {
  if (cc == nullptr) {
    return {};
  }
  if (std::string_view t = str_of(*cc, "text"); !t.empty()) {
    return t;
  }
  const Value* coding = member(*cc, "coding");
  if (coding != nullptr && coding->IsArray() && !coding->Empty()) {
    std::string_view d = str_of((*coding)[0], "display");
    return d.empty() ? str_of((*coding)[0], "code") : d;
  }
  return {};
}

/** summary_row: one resource as a table row: type, what, status, when. */
std::string summary_row(const Value& r) {
  std::string_view type = str_of(r, "resourceType");
  std::string_view what = concept_text(member(r, "code"));
  if (what.empty()) {
    what = concept_text(member(r, "medicationCodeableConcept"));
  }
  if (what.empty()) {
    what = concept_text(member(r, "type"));
  }
  if (what.empty()) {
    what = str_of(r, "description");
  }
  std::string_view status = str_of(r, "status");
  if (status.empty()) {
    status = concept_text(member(r, "clinicalStatus"));
  }
  std::string_view when;
  for (const char* k : {"effectiveDateTime", "onsetDateTime", "authoredOn", "recordedDate", "date",
                        "occurrenceDateTime", "issued"}) {
    if (when = str_of(r, k); !when.empty()) {
      break;
    }
  }
  if (const Value* period = member(r, "period"); when.empty() && period != nullptr) {
    when = str_of(*period, "start");
  }
  return std::string("<tr><td>") + esc(type) + "</td><td>" + esc(what) + "</td><td>" + esc(status) +
         std::string("</td><td>") + esc(when) + "</td></tr>";
}

struct Inputs {
  std::vector<fhir::Json> docs;
  const Value* patient = nullptr;
  const Value* composition = nullptr;
  const Value* document_reference = nullptr;
};

/** readable: the XHTML document for the practice: the Composition's sections, or a summary. */
std::string readable(const Inputs& in, const std::string& title, const ingest::RenderRequest& r) {
  std::string h = std::string("<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>") +
                  esc(title) + std::string("</title></head><body><h1>") + esc(title) +
                  "</h1><p>From " + esc(r.sender.str()) + std::string(" to ") +
                  esc(r.recipient.str()) + ", " + esc(r.timestamp) + "</p>";
  if (in.composition != nullptr) {
    const Value* sections = member(*in.composition, "section");
    if (sections != nullptr && sections->IsArray()) {
      for (const auto& sec : sections->GetArray()) {
        h += std::string("<h2>") + esc(str_of(sec, "title")) + "</h2>";
        if (const Value* text = member(sec, "text")) {
          h += std::string("<p>") + esc(strip_tags(str_of(*text, "div"))) + "</p>";
        }
      }
    }
  }
  std::string rows;
  for (const auto& d : in.docs) {
    std::string_view type = str_of(d, "resourceType");
    if (type == "Patient" || type == "Organization" || type == "Practitioner" ||
        type == "PractitionerRole" || type == "Composition" || type == "MessageHeader" ||
        type == "Location" || type == "DocumentReference" || type == "Binary") {
      continue;
    }
    rows += summary_row(d);
  }
  if (!rows.empty()) {
    h += "<h2>Structured content</h2><table><tr><th>Item</th><th>Detail</th><th>Status</th>"
         "<th>Date</th></tr>" +
         rows + "</table>";
  }
  h += "</body></html>";
  return h;
}

/** stu3_patient: the CareConnect STU3 Patient the message is about. */
Value stu3_patient(const Inputs& in, const ingest::RenderRequest& r, const std::string& id,
                   const std::string& gp_url, Alloc& a) {
  O p(a);
  p.str("resourceType", "Patient").str("id", id);
  p.val("meta",
        profile("https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1", a));
  if (!r.nhs_number.empty()) {
    O ident(a);
    ident.str("system", kNhsNumberSystem).str("value", r.nhs_number);
    p.val("identifier", arr_of(ident.take(), a));
  }
  if (in.patient != nullptr) {
    for (const char* k : {"name", "gender", "birthDate", "address"}) {
      if (const Value* v = member(*in.patient, k)) {
        Value copy;
        copy.CopyFrom(*v, a);
        p.val(k, std::move(copy));
      }
    }
  }
  p.val("generalPractitioner", arr_of(reference(gp_url, a), a));
  return p.take();
}

Value organisation(std::string_view id, std::string_view ods, std::string_view prof, Alloc& a) {
  return O(a)
      .str("resourceType", "Organization")
      .str("id", id)
      .val("meta", profile(prof, a))
      .val("identifier", ods_identifier(ods, a))
      .take();
}

Value entry(std::string_view full_url, Value&& resource, Alloc& a) {
  return O(a).str("fullUrl", full_url).val("resource", std::move(resource)).take();
}

class SendDocumentRenderer final : public ingest::OutboundRenderer {
public:
  [[nodiscard]] std::string_view format() const override { return "gp-connect-send-document"; }

  [[nodiscard]] Result<ingest::Rendered> render(const ingest::RenderRequest& r) const override {
    if (r.message == nullptr) {
      return make_error(Errc::kUnprocessable, "gp-connect-send-document: no message to render");
    }
    Inputs in;
    for (const auto& res : r.message->resources) {
      if (res.deleted || res.json.empty()) {
        continue;
      }
      if (auto d = fhir::parse_json(res.json)) {
        in.docs.push_back(std::move(*d));
      }
    }
    for (const auto& d : in.docs) {
      std::string_view type = str_of(d, "resourceType");
      if (type == "Patient" && in.patient == nullptr) {
        in.patient = &d;
      } else if (type == "Composition" && in.composition == nullptr) {
        in.composition = &d;
      } else if (type == "DocumentReference" && in.document_reference == nullptr) {
        in.document_reference = &d;
      }
    }
    if (in.docs.empty() || (in.patient == nullptr && r.nhs_number.empty())) {
      return make_error(Errc::kUnprocessable,
                        "gp-connect-send-document: the message has no patient or no content");
    }
    return build(r, in);
  }

  /** read_answer: an ITK3 response naming `outbound_message_id` (the MessageHeader.id this
   * renderer wrote); anything else (an empty body, another message's response, not a response)
   * says nothing about this message. */
  [[nodiscard]] std::optional<ingest::BusinessAnswer> read_answer(
      std::string_view outbound_message_id, std::string_view body) const override {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return std::nullopt;
    }
    auto response = read_itk_response(body);
    if (!response || response->in_reply_to != outbound_message_id) {
      return std::nullopt;
    }
    return answer_of(*response);
  }

private:
  static Result<ingest::Rendered> build(const ingest::RenderRequest& r, const Inputs& in) {
    const std::string seed = r.outbound_message_id + "|" + r.recipient.str();
    auto uuid = [&](std::string_view part) {
      return detail::name_uuid(seed + "|" + std::string(part));
    };
    // MessageHeader.id is the outbound message id: an ITK3 response names it in
    // MessageHeader.response.identifier (read_itk_response), so the outbox can match the two.
    const std::string header_id = r.outbound_message_id, header_org = uuid("header-org"),
                      doc_id = uuid("document"), comp_id = uuid("composition"),
                      patient_id = uuid("patient"), sender_org = uuid("sender-org"),
                      gp_org = uuid("recipient-org"), binary_id = uuid("binary");
    auto urn = [](const std::string& id) { return std::string("urn:uuid:") + id; };

    std::string title = title_for(r.message->kind);
    if (in.composition != nullptr && !str_of(*in.composition, "title").empty()) {
      title = std::string(str_of(*in.composition, "title"));
    }
    fhir::Json msg(rapidjson::kObjectType);
    Alloc& a = msg.GetAllocator();

    // The readable document: the sender's own attachment when there is one, else XHTML.
    std::string content_type = "text/html";
    std::string data;
    if (in.document_reference != nullptr) {
      const Value* content = member(*in.document_reference, "content");
      if (content != nullptr && content->IsArray() && !content->Empty()) {
        const Value* att = member((*content)[0], "attachment");
        if (att != nullptr && !str_of(*att, "data").empty() &&
            !str_of(*att, "contentType").empty()) {
          content_type = std::string(str_of(*att, "contentType"));
          data = std::string(str_of(*att, "data"));
        }
      }
    }
    if (data.empty()) {
      data = base64(readable(in, title, r));
    }
    Value binary =
        O(a).str("resourceType", "Binary")
            .str("id", binary_id)
            .val("meta",
                 profile("https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Attachment-Binary-1", a))
            .str("contentType", content_type)
            .str("content", data)
            .take();

    O comp(a);
    comp.str("resourceType", "Composition").str("id", comp_id);
    comp.val(
        "meta",
        profile("https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Composition-1", a));
    comp.val("identifier", O(a).str("system", kRfc4122).str("value", comp_id).take());
    comp.str("status", "final");
    if (const Value* type = in.composition != nullptr ? member(*in.composition, "type") : nullptr) {
      Value t;
      t.CopyFrom(*type, a);
      comp.val("type", std::move(t));
    } else {
      comp.val("type", O(a).str("text", title).take());
    }
    comp.val("subject", reference(urn(patient_id), a));
    std::string_view date =
        in.composition != nullptr ? str_of(*in.composition, "date") : std::string_view{};
    comp.str("date", date.empty() ? std::string_view(r.timestamp) : date);
    comp.val("author", arr_of(reference(urn(sender_org), a), a));
    comp.str("title", title);
    comp.str("confidentiality", "N");
    comp.val("custodian", reference(urn(sender_org), a));
    comp.val(
        "section",
        arr_of(
            O(a).str("title", title).val("entry", arr_of(reference(urn(binary_id), a), a)).take(),
            a));

    Value doc_entries(rapidjson::kArrayType);
    doc_entries.PushBack(entry(urn(comp_id), comp.take(), a), a);
    doc_entries.PushBack(entry(urn(patient_id), stu3_patient(in, r, patient_id, urn(gp_org), a), a),
                         a);
    doc_entries.PushBack(
        entry(urn(sender_org),
              organisation(
                  sender_org, r.sender.str(),
                  "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Organization-1", a),
              a),
        a);
    doc_entries.PushBack(
        entry(urn(gp_org),
              organisation(
                  gp_org, r.recipient.str(),
                  "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Organization-1", a),
              a),
        a);
    doc_entries.PushBack(entry(urn(binary_id), std::move(binary), a), a);
    Value document =
        O(a).str("resourceType", "Bundle")
            .str("id", doc_id)
            .val("meta",
                 profile("https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Document-Bundle-1", a))
            .val("identifier", O(a).str("system", kRfc4122).str("value", doc_id).take())
            .str("type", "document")
            .val("entry", std::move(doc_entries))
            .take();

    // ITK3 message handling (Extension-ITK-MessageHandling-2): both acknowledgements asked for,
    // for action by the practice.
    Value handling(rapidjson::kArrayType);
    auto handle = [&](std::string_view url, const char* value_key, Value&& v) {
      handling.PushBack(O(a).str("url", url).val(value_key, std::move(v)).take(), a);
    };
    handle("BusAckRequested", "valueBoolean", Value(true));
    handle("InfAckRequested", "valueBoolean", Value(true));
    handle("RecipientType", "valueCoding",
           O(a).str("system", "https://fhir.nhs.uk/STU3/CodeSystem/ITK-RecipientType-1")
               .str("code", "FA")
               .str("display", "For Action")
               .take());
    handle("MessageDefinition", "valueReference", reference(kMessageDefinition, a));
    handle("SenderReference", "valueString",
           s(r.message->sender_message_id.empty() ? std::string_view("None")
                                                  : std::string_view(r.message->sender_message_id),
             a));
    handle("LocalExtension", "valueString", s("None", a));

    O header(a);
    header.str("resourceType", "MessageHeader").str("id", header_id);
    header.val("meta",
               profile("https://fhir.nhs.uk/STU3/StructureDefinition/ITK-MessageHeader-2", a));
    header.val(
        "extension",
        arr_of(
            O(a).str("url",
                     "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-ITK-MessageHandling-2")
                .val("extension", std::move(handling))
                .take(),
            a));
    header.val("event", O(a).str("system", kItkEventSystem)
                            .str("code", "ITK007C")
                            .str("display", "ITK GP Connect Send Document")
                            .take());
    // STU3: the receiving organisation is MessageHeader.receiver (R4 moved it into destination).
    header.val("destination", arr_of(O(a).str("endpoint", r.recipient.str()).take(), a));
    header.val("receiver", reference(urn(gp_org), a));
    header.val("sender", reference(urn(header_org), a));
    header.str("timestamp", r.timestamp);
    header.val("source", O(a).str("endpoint", r.sender.str()).take());
    header.val("focus", arr_of(reference(urn(doc_id), a), a));  // 0..* in STU3

    Value entries(rapidjson::kArrayType);
    entries.PushBack(entry(urn(header_id), header.take(), a), a);
    entries.PushBack(entry(urn(header_org),
                           organisation(header_org, r.sender.str(),
                                        "https://fhir.nhs.uk/STU3/StructureDefinition/"
                                        "CareConnect-ITK-Header-Organization-1",
                                        a),
                           a),
                     a);
    entries.PushBack(entry(urn(doc_id), std::move(document), a), a);
    msg.AddMember("resourceType", "Bundle", a);
    msg.AddMember("id", s(uuid("message"), a), a);
    msg.AddMember(
        "meta", profile("https://fhir.nhs.uk/STU3/StructureDefinition/ITK-Message-Bundle-1", a), a);
    msg.AddMember("identifier",
                  O(a).str("system", kRfc4122).str("value", r.outbound_message_id).take(), a);
    msg.AddMember("type", "message", a);
    msg.AddMember("entry", entries, a);

    auto xml = fhir::json_to_xml(msg, fhir::FhirVersion::kStu3);
    if (!xml) {
      return make_error(
          Errc::kUnprocessable,
          std::string("gp-connect-send-document: cannot write the message: ") + xml.error().detail);
    }
    return ingest::Rendered{"application/fhir+xml; fhirVersion=3.0", std::move(*xml)};
  }
};

}  // namespace

std::unique_ptr<ingest::OutboundRenderer> make_send_document_renderer() {
  return std::make_unique<SendDocumentRenderer>();
}

}  // namespace gw::adapters::emis
