// ADT rendering: reads the Patient and Encounter JSON back (RapidJSON DOM) and writes the HL7
// v2.4 segments HL7 UK expects: MSH, EVN, PID, PD1 and, for encounter events, PV1.
#include "adapters/hl7v2/render.hpp"

#include <string>
#include <vector>

#include "adapters/hl7v2/adapter.hpp"
#include "adapters/hl7v2/message.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/member.hpp"
#include "gateway/identity/nhs_number.hpp"

namespace gw::adapters::hl7v2 {
namespace {

using Value = rapidjson::Value;

using gw::fhir::string_member;

const Value* member(const Value& v, const char* key) {
  if (!v.IsObject()) {
    return nullptr;
  }
  const auto it = v.FindMember(key);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

const Value* first(const Value& v, const char* key) {
  const Value* a = member(v, key);
  return a != nullptr && a->IsArray() && !a->Empty() ? &(*a)[0] : nullptr;
}

/** Seg: one segment's fields, joined with trailing empty fields left off. */
struct Seg {
  std::vector<std::string> f;
  void set(std::size_t n, std::string v) {
    if (f.size() <= n) {
      f.resize(n + 1);
    }
    f[n] = std::move(v);
  }
  [[nodiscard]] std::string str() const {
    std::size_t last = f.size();
    while (last > 1 && f[last - 1].empty()) {
      --last;
    }
    std::string out;
    for (std::size_t i = 0; i < last; ++i) {
      out += (i == 0 ? "" : "|") + f[i];
    }
    return out + '\r';
  }
};

std::string e(std::string_view v) { return escape(v); }

std::string identifiers(const Value& patient) {
  std::string out;
  const Value* ids = member(patient, "identifier");
  if (ids == nullptr || !ids->IsArray()) {
    return out;
  }
  for (const auto& id : ids->GetArray()) {
    const auto system = string_member(id, "system");
    const auto value = string_member(id, "value");
    if (value.empty()) {
      continue;
    }
    std::string cx;
    if (system == kNhsNumberSystem) {
      cx = e(value) + "^^^NHS^NH";
    } else if (system.starts_with("urn:caregw:id:") && system.ends_with(":mrn")) {
      const auto ods = system.substr(14, system.size() - 14 - 4);
      cx = e(value) + "^^^" + e(ods) + "^MR";
    } else {
      continue;  // identifiers of other kinds have no agreed HL7 UK type code
    }
    out += out.empty() ? "" : "~";
    out += cx;
  }
  return out;
}

std::string names(const Value& patient) {
  std::string out;
  const Value* list = member(patient, "name");
  if (list == nullptr || !list->IsArray()) {
    return out;
  }
  for (const auto& n : list->GetArray()) {
    std::string given;
    std::string middle;
    if (const Value* g = member(n, "given"); g != nullptr && g->IsArray()) {
      for (rapidjson::SizeType i = 0; i < g->Size(); ++i) {
        if ((*g)[i].IsString()) {
          std::string& part = i == 0 ? given : middle;
          part += i > 1 ? " " : "";
          part += e((*g)[i].GetString());
        }
      }
    }
    std::string prefix;
    if (const Value* p = first(n, "prefix"); p != nullptr && p->IsString()) {
      prefix = e(p->GetString());
    }
    const auto use = string_member(n, "use");
    const std::string type = use == "maiden" ? "M" : use == "usual" ? "D" : "L";
    out += out.empty() ? "" : "~";
    out += e(string_member(n, "family")) + "^" + given + "^" + middle + "^^" + prefix + "^^" + type;
  }
  return out;
}

std::string addresses(const Value& patient) {
  std::string out;
  const Value* list = member(patient, "address");
  if (list == nullptr || !list->IsArray()) {
    return out;
  }
  for (const auto& a : list->GetArray()) {
    std::string l1;
    std::string l2;
    if (const Value* lines = member(a, "line"); lines != nullptr && lines->IsArray()) {
      for (rapidjson::SizeType i = 0; i < lines->Size(); ++i) {
        if ((*lines)[i].IsString()) {
          std::string& part = i == 0 ? l1 : l2;
          part += i > 1 ? ", " : "";
          part += e((*lines)[i].GetString());
        }
      }
    }
    const auto use = string_member(a, "use");
    const std::string type = use == "work" ? "B" : use == "temp" ? "C" : "H";
    out += out.empty() ? "" : "~";
    out += l1 + "^" + l2 + "^" + e(string_member(a, "city")) + "^" +
           e(string_member(a, "district")) + "^" + e(string_member(a, "postalCode")) + "^" +
           e(string_member(a, "country")) + "^" + type;
  }
  return out;
}

std::string phones(const Value& patient, bool work) {
  std::string out;
  const Value* list = member(patient, "telecom");
  if (list == nullptr || !list->IsArray()) {
    return out;
  }
  for (const auto& t : list->GetArray()) {
    const bool is_work = string_member(t, "use") == "work";
    if (is_work != work) {
      continue;
    }
    std::string xtn;
    if (string_member(t, "system") == "email") {
      xtn = "^NET^Internet^";
      xtn += e(string_member(t, "value"));
    } else {
      xtn = e(string_member(t, "value")) + (work ? "^WPN^" : "^PRN^") +
            (string_member(t, "use") == "mobile" ? "CP" : "PH");
    }
    out += out.empty() ? "" : "~";
    out += xtn;
  }
  return out;
}

std::string gender(std::string_view g) {
  return g == "male" ? "M" : g == "female" ? "F" : g == "other" ? "O" : g.empty() ? "" : "U";
}

/** reference_identifier: the identifier value of a logical reference, e.g. the GP's code. */
std::string_view reference_identifier(const Value& ref) {
  const Value* id = member(ref, "identifier");
  return id != nullptr ? string_member(*id, "value") : std::string_view{};
}

void pd1(std::string& out, const Value& patient) {
  const Value* gps = member(patient, "generalPractitioner");
  if (gps == nullptr || !gps->IsArray()) {
    return;
  }
  Seg s{{"PD1"}};
  for (const auto& g : gps->GetArray()) {
    if (string_member(g, "type") == "Organization") {
      s.set(3, e(string_member(g, "display")) + "^^" + e(reference_identifier(g)));
    } else if (string_member(g, "type") == "Practitioner") {
      s.set(4, e(reference_identifier(g)) + "^^^^^^^^GMP");
    }
  }
  if (s.f.size() > 1) {
    out += s.str();
  }
}

std::string patient_class(const Value& enc) {
  const auto code = string_member(*member(enc, "class"), "code");
  if (code == "IMP") {
    return "I";
  }
  if (code == "AMB") {
    return "O";
  }
  if (code == "EMER") {
    return "E";
  }
  return code == "PRENC" ? "P" : e(code);
}

void pv1(std::string& out, const Value& enc) {
  Seg s{{"PV1", "1"}};
  s.set(2, member(enc, "class") != nullptr ? patient_class(enc) : "U");
  if (const Value* loc = first(enc, "location")) {
    if (const Value* l = member(*loc, "location")) {
      s.set(3, cat("^", e(string_member(*l, "display"))));
    }
  }
  if (const Value* p = first(enc, "participant")) {
    if (const Value* who = member(*p, "individual")) {
      s.set(7, e(reference_identifier(*who)) + "^" + e(string_member(*who, "display")));
    }
  }
  if (const Value* id = first(enc, "identifier")) {
    s.set(19, e(string_member(*id, "value")));
  }
  if (const Value* period = member(enc, "period")) {
    s.set(44, hl7_time(string_member(*period, "start")));
    s.set(45, hl7_time(string_member(*period, "end")));
  }
  out += s.str();
}

}  // namespace

Result<ingest::Rendered> render_adt(const ingest::RenderRequest& r) {
  if (r.message == nullptr) {
    return make_error(Errc::kUnprocessable, "hl7v2: no message to render");
  }
  std::optional<fhir::Json> patient;
  std::optional<fhir::Json> encounter;
  for (const auto& res : r.message->resources) {
    if (res.deleted || (res.resource_type != "Patient" && res.resource_type != "Encounter")) {
      continue;
    }
    auto doc = fhir::parse_json(res.json);
    if (!doc || !doc->IsObject()) {
      return make_error(Errc::kUnprocessable,
                        "hl7v2: a " + res.resource_type + " of the message is not valid JSON");
    }
    (res.resource_type == "Patient" ? patient : encounter) = std::move(*doc);
  }
  if (!patient) {
    return make_error(Errc::kUnprocessable, "hl7v2: the message has no Patient to render as ADT");
  }
  std::string_view trigger = "A08";
  if (encounter) {
    const auto status = string_member(*encounter, "status");
    trigger = status == "finished"                                                      ? "A03"
              : (status == "in-progress" || status == "arrived" || status == "planned") ? "A01"
                                                                                        : "A08";
  }
  const std::string ts = hl7_time(r.timestamp);
  const std::string structure = trigger == "A08" ? "ADT_A01" : cat("ADT_", trigger);
  std::string out =
      cat("MSH|^~\\&|CAREGW|", e(r.sender.str()), "||", e(r.recipient.str()), "|", ts, "||ADT^",
          trigger, "^", structure, "|", e(r.outbound_message_id), "|P|2.4\r");
  out += cat("EVN|", trigger, "|", ts, "\r");
  Seg pid{{"PID", "1"}};
  std::string ids = identifiers(*patient);
  if (ids.empty() && !r.nhs_number.empty()) {
    ids = e(r.nhs_number) + "^^^NHS^NH";
  }
  pid.set(3, ids);
  pid.set(5, names(*patient));
  pid.set(7, hl7_time(string_member(*patient, "birthDate")));
  pid.set(8, gender(string_member(*patient, "gender")));
  pid.set(11, addresses(*patient));
  pid.set(13, phones(*patient, false));
  pid.set(14, phones(*patient, true));
  if (const auto died = string_member(*patient, "deceasedDateTime"); !died.empty()) {
    pid.set(29, hl7_time(died));
    pid.set(30, "Y");
  } else if (const Value* d = member(*patient, "deceasedBoolean"); d != nullptr && d->IsBool()) {
    pid.set(30, d->GetBool() ? "Y" : "N");
  }
  out += pid.str();
  pd1(out, *patient);
  if (encounter) {
    pv1(out, *encounter);
  } else {
    out += "PV1|1|N\r";  // ADT_A01 requires PV1; N: not applicable (HL7 table 0004)
  }
  return ingest::Rendered{std::string(kContentType), std::move(out)};
}

}  // namespace gw::adapters::hl7v2
