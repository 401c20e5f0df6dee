// CSV (RFC 4180) out and back, the terminal table, and FHIR R4 AuditEvent / Bundle out and back.
#include "gateway/audit/export.hpp"

#include <array>
#include <charconv>
#include <cstdio>

#include "gateway/audit/reports.hpp"
#include "gateway/fhir/json.hpp"

namespace gw::audit {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

constexpr std::array<std::string_view, 28> kCsvColumns{"seq",
                                                       "recorded",
                                                       "recorded_us",
                                                       "node_id",
                                                       "event_type",
                                                       "outcome",
                                                       "decision",
                                                       "user_id",
                                                       "user_name",
                                                       "user_role",
                                                       "org_ods",
                                                       "client_system",
                                                       "purpose_of_use",
                                                       "nhs_number",
                                                       "disclosed",
                                                       "withheld",
                                                       "dsa_id",
                                                       "dsa_version",
                                                       "dsa_rule",
                                                       "break_glass_reason",
                                                       "request_id",
                                                       "correlation_id",
                                                       "source_address",
                                                       "message_id",
                                                       "peer_ods",
                                                       "detail",
                                                       "related_seq",
                                                       "hash"};

void csv_cell(std::string& out, std::string_view v) {
  std::string cell;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\'')) {
    // OWASP "CSV injection": a spreadsheet must not run a cell as a formula.
    cell.push_back('\'');
  }
  cell.append(v);
  if (cell.find_first_of(",\"\r\n") == std::string::npos) {
    out += cell;
    return;
  }
  out.push_back('"');
  for (char c : cell) {
    if (c == '"') {
      out.push_back('"');
    }
    out.push_back(c);
  }
  out.push_back('"');
}

std::string json_list(const std::vector<DisclosedItem>& items) {
  rapidjson::Document d(rapidjson::kArrayType);
  auto& a = d.GetAllocator();
  for (const auto& i : items) {
    Value row(rapidjson::kArrayType);
    row.PushBack(Value(i.resource_type.c_str(), a), a);
    row.PushBack(Value(i.resource_id.c_str(), a), a);
    row.PushBack(Value(i.sha256_hex.c_str(), a), a);
    d.PushBack(row, a);
  }
  return fhir::to_json(d);
}

std::string json_list(const std::vector<std::string>& items) {
  rapidjson::Document d(rapidjson::kArrayType);
  auto& a = d.GetAllocator();
  for (const auto& i : items) {
    d.PushBack(Value(i.c_str(), a), a);
  }
  return fhir::to_json(d);
}

/** split_csv: RFC 4180 records (quoted cells may hold commas, quotes and line breaks). */
Result<std::vector<std::vector<std::string>>> split_csv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false;
  bool any = false;
  std::size_t line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        line += c == '\n' ? 1 : 0;
        cell.push_back(c);
      }
      continue;
    }
    if (c == '"' && cell.empty()) {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(cell));
      cell.clear();
      any = true;
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
      if (any || !cell.empty()) {
        row.push_back(std::move(cell));
        rows.push_back(std::move(row));
      }
      cell.clear();
      row.clear();
      any = false;
      ++line;
    } else {
      cell.push_back(c);
      any = true;
    }
  }
  if (quoted) {
    return make_error(Errc::kBadRequest,
                      "audit csv: a quoted cell is not closed (line " + std::to_string(line) + ")");
  }
  if (any || !cell.empty()) {
    row.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

bool to_u64(std::string_view s, std::uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool to_i64(std::string_view s, std::int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string unguard(std::string s) {
  if (!s.empty() && s[0] == '\'') {
    s.erase(0, 1);
  }
  return s;
}

bool parse_lists(std::string_view disclosed, std::string_view withheld, AuditRecord& r) {
  auto d = fhir::parse_json(disclosed);
  auto w = fhir::parse_json(withheld);
  if (!d || !w || !d->IsArray() || !w->IsArray()) {
    return false;
  }
  for (const auto& row : d->GetArray()) {
    if (!row.IsArray() || row.Size() != 3 || !row[0].IsString() || !row[1].IsString() ||
        !row[2].IsString()) {
      return false;
    }
    r.disclosed.push_back({row[0].GetString(), row[1].GetString(), row[2].GetString()});
  }
  for (const auto& v : w->GetArray()) {
    if (!v.IsString()) {
      return false;
    }
    r.withheld.emplace_back(v.GetString());
  }
  return true;
}

// ---- FHIR ----

constexpr std::string_view kNhsSystem = "https://fhir.nhs.uk/Id/nhs-number";
constexpr std::string_view kOdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";
constexpr std::string_view kUserSystem = "urn:caregw:user";
constexpr std::string_view kSubjectSystem = "urn:ietf:rfc:2253";
constexpr std::string_view kDsaSystem = "urn:caregw:dsa";
constexpr std::string_view kBalpEntity =
    "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
constexpr std::string_view kEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
constexpr std::string_view kObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
constexpr std::string_view kDcm = "http://dicom.nema.org/resources/ontology/DCM";
constexpr std::string_view kActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

Value s(std::string_view v, Alloc& a) {
  return {v.data(), static_cast<rapidjson::SizeType>(v.size()), a};
}

Value coding(std::string_view system, std::string_view code, std::string_view display, Alloc& a) {
  Value c(rapidjson::kObjectType);
  c.AddMember("system", s(system, a), a);
  c.AddMember("code", s(code, a), a);
  if (!display.empty()) {
    c.AddMember("display", s(display, a), a);
  }
  return c;
}

Value concept_of(Value coding_value, Alloc& a) {
  Value cc(rapidjson::kObjectType);
  Value list(rapidjson::kArrayType);
  list.PushBack(coding_value, a);
  cc.AddMember("coding", list, a);
  return cc;
}

Value identifier(std::string_view system, std::string_view value, Alloc& a) {
  Value id(rapidjson::kObjectType);
  if (!system.empty()) {
    id.AddMember("system", s(system, a), a);
  }
  id.AddMember("value", s(value, a), a);
  Value who(rapidjson::kObjectType);
  who.AddMember("identifier", id, a);
  return who;
}

Value detail_item(std::string_view type, std::string_view value, Alloc& a) {
  Value d(rapidjson::kObjectType);
  d.AddMember("type", s(type, a), a);
  d.AddMember("valueString", s(value, a), a);
  return d;
}

void add_ext(Value& list, std::string_view name, std::string_view value, Alloc& a) {
  if (value.empty()) {
    return;
  }
  Value e(rapidjson::kObjectType);
  e.AddMember("url", s(std::string(kExtensionBase) + std::string(name), a), a);
  e.AddMember("valueString", s(value, a), a);
  list.PushBack(e, a);
}

Value agent(Value type, bool requestor, Alloc& a) {
  Value ag(rapidjson::kObjectType);
  ag.AddMember("type", type, a);
  ag.AddMember("requestor", requestor, a);
  return ag;
}

Value build_event(const StoredRecord& sr, Alloc& a) {
  const AuditRecord& r = sr.record;
  const EventCodes& codes = event_codes(r.type);
  Value ev(rapidjson::kObjectType);
  ev.AddMember("resourceType", "AuditEvent", a);
  ev.AddMember("id", s(std::to_string(r.seq), a), a);
  Value ext(rapidjson::kArrayType);
  add_ext(ext, "hash", to_hex(sr.hash), a);
  add_ext(ext, "decision", decision_name(r.decision), a);
  add_ext(ext, "break-glass-reason", r.break_glass_reason, a);
  add_ext(ext, "correlation-id", r.correlation_id, a);
  add_ext(ext, "message-id", r.message_id, a);
  add_ext(ext, "peer-ods", r.peer_ods, a);
  add_ext(ext, "related-seq", r.related_seq != 0 ? std::to_string(r.related_seq) : "", a);
  if (r.type == EventType::kBreakGlassReview) {
    // The reviewer's finding as its own fields (also in outcomeDesc, as recorded).
    if (auto finding = parse_review_detail(r.detail)) {
      add_ext(ext, "review-outcome", review_outcome_name(finding->outcome), a);
      add_ext(ext, "review-note", finding->note, a);
    }
  }
  ev.AddMember("extension", ext, a);
  ev.AddMember("type", coding(codes.type.system, codes.type.code, codes.type.display, a), a);
  Value sub(rapidjson::kArrayType);
  if (!codes.subtype.system.empty()) {
    sub.PushBack(coding(codes.subtype.system, codes.subtype.code, codes.subtype.display, a), a);
  }
  sub.PushBack(coding(kCaregwSubtypeSystem, codes.name, "", a), a);
  ev.AddMember("subtype", sub, a);
  ev.AddMember("action", s(std::string(1, codes.action), a), a);
  ev.AddMember("recorded", s(format_time_utc(r.recorded_us), a), a);
  ev.AddMember("outcome", s(outcome_code(r.outcome), a), a);
  if (!r.detail.empty()) {
    ev.AddMember("outcomeDesc", s(r.detail, a), a);
  }
  if (!r.purpose_of_use.empty()) {
    Value p(rapidjson::kArrayType);
    p.PushBack(concept_of(coding(kActReason, r.purpose_of_use, "", a), a), a);
    ev.AddMember("purposeOfEvent", p, a);
  }
  Value agents(rapidjson::kArrayType);
  if (!r.user_id.empty() || !r.user_name.empty() || !r.user_role.empty()) {
    Value u = agent(concept_of(coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                      "IRCP", "information recipient", a),
                               a),
                    true, a);
    if (!r.user_role.empty()) {
      Value roles(rapidjson::kArrayType);
      Value role(rapidjson::kObjectType);
      role.AddMember("text", s(r.user_role, a), a);
      roles.PushBack(role, a);
      u.AddMember("role", roles, a);
    }
    u.AddMember("who", identifier(kUserSystem, r.user_id, a), a);
    if (!r.user_name.empty()) {
      u.AddMember("name", s(r.user_name, a), a);
    }
    if (!r.purpose_of_use.empty()) {
      Value p(rapidjson::kArrayType);
      p.PushBack(concept_of(coding(kActReason, r.purpose_of_use, "", a), a), a);
      u.AddMember("purposeOfUse", p, a);
    }
    agents.PushBack(u, a);
  }
  if (!r.client_system.empty() || !r.source_address.empty()) {
    Value c = agent(concept_of(coding(kDcm, "110150", "Application", a), a), false, a);
    c.AddMember("who", identifier(kSubjectSystem, r.client_system, a), a);
    if (!r.source_address.empty()) {
      Value net(rapidjson::kObjectType);
      net.AddMember("address", s(r.source_address, a), a);
      net.AddMember("type", "2", a);
      c.AddMember("network", net, a);
    }
    agents.PushBack(c, a);
  }
  if (!r.org_ods.empty()) {
    Value o = agent(concept_of(coding("http://terminology.hl7.org/CodeSystem/v3-RoleClass", "PROV",
                                      "healthcare provider", a),
                               a),
                    false, a);
    o.AddMember("who", identifier(kOdsSystem, r.org_ods, a), a);
    agents.PushBack(o, a);
  }
  Value server = agent(concept_of(coding(kDcm, "110153", "Source Role ID", a), a), false, a);
  Value server_who(rapidjson::kObjectType);
  server_who.AddMember("display", s("caregw " + r.node_id, a), a);
  server.AddMember("who", server_who, a);
  agents.PushBack(server, a);
  ev.AddMember("agent", agents, a);
  Value src(rapidjson::kObjectType);
  src.AddMember("site", s(r.node_id, a), a);
  Value observer(rapidjson::kObjectType);
  observer.AddMember("display", "caregw", a);
  src.AddMember("observer", observer, a);
  Value src_types(rapidjson::kArrayType);
  src_types.PushBack(coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4",
                            "Application Server", a),
                     a);
  src.AddMember("type", src_types, a);
  ev.AddMember("source", src, a);
  Value entities(rapidjson::kArrayType);
  if (!r.nhs_number.empty()) {
    Value e(rapidjson::kObjectType);
    e.AddMember("what", identifier(kNhsSystem, r.nhs_number, a), a);
    e.AddMember("type", coding(kEntityType, "1", "Person", a), a);
    e.AddMember("role", coding(kObjectRole, "1", "Patient", a), a);
    entities.PushBack(e, a);
  }
  for (const auto& d : r.disclosed) {
    Value e(rapidjson::kObjectType);
    Value what(rapidjson::kObjectType);
    what.AddMember("reference", s(d.resource_type + "/" + d.resource_id, a), a);
    e.AddMember("what", what, a);
    e.AddMember("type", coding(kEntityType, "2", "System Object", a), a);
    e.AddMember("role", coding(kObjectRole, "4", "Domain Resource", a), a);
    Value det(rapidjson::kArrayType);
    det.PushBack(detail_item("sha256", d.sha256_hex, a), a);
    e.AddMember("detail", det, a);
    entities.PushBack(e, a);
  }
  if (!r.request_id.empty()) {
    Value e(rapidjson::kObjectType);
    e.AddMember("what", identifier("", r.request_id, a), a);
    e.AddMember("type", coding(kBalpEntity, "XrequestId", "X-Request-Id", a), a);
    entities.PushBack(e, a);
  }
  if (!r.dsa_id.empty() || !r.dsa_version.empty() || !r.dsa_rule.empty()) {
    Value e(rapidjson::kObjectType);
    e.AddMember("what", identifier(kDsaSystem, r.dsa_id, a), a);
    e.AddMember("type", coding("http://hl7.org/fhir/resource-types", "Consent", "Consent", a), a);
    Value det(rapidjson::kArrayType);
    if (!r.dsa_version.empty()) {
      det.PushBack(detail_item("version", r.dsa_version, a), a);
    }
    if (!r.dsa_rule.empty()) {
      det.PushBack(detail_item("rule", r.dsa_rule, a), a);
    }
    if (!det.Empty()) {
      e.AddMember("detail", det, a);
    }
    entities.PushBack(e, a);
  }
  if (!r.withheld.empty()) {
    Value e(rapidjson::kObjectType);
    e.AddMember("type", coding("urn:caregw:audit:entity", "withheld", "Withheld", a), a);
    e.AddMember("description", "Categories withheld from the response", a);
    Value det(rapidjson::kArrayType);
    for (const auto& w : r.withheld) {
      det.PushBack(detail_item("category", w, a), a);
    }
    e.AddMember("detail", det, a);
    entities.PushBack(e, a);
  }
  if (!entities.Empty()) {
    ev.AddMember("entity", entities, a);
  }
  return ev;
}

std::string str_of(const Value& o, const char* key) {
  return o.IsObject() && o.HasMember(key) && o[key].IsString() ? o[key].GetString() : "";
}

std::string identifier_value(const Value& o) {
  if (!o.IsObject() || !o.HasMember("identifier")) {
    return {};
  }
  return str_of(o["identifier"], "value");
}

std::string first_code(const Value& concept_value) {
  if (!concept_value.IsObject() || !concept_value.HasMember("coding") ||
      !concept_value["coding"].IsArray() || concept_value["coding"].Empty()) {
    return {};
  }
  return str_of(concept_value["coding"][0], "code");
}

Result<StoredRecord> read_event(const Value& ev) {
  auto bad = [](std::string_view what) {
    return make_error(Errc::kBadRequest, "audit: AuditEvent: " + std::string(what));
  };
  StoredRecord sr;
  AuditRecord& r = sr.record;
  if (!ev.IsObject() || str_of(ev, "resourceType") != "AuditEvent") {
    return bad("not an AuditEvent");
  }
  if (!to_u64(str_of(ev, "id"), r.seq)) {
    return bad("id is not a sequence number");
  }
  auto t = parse_time_utc(str_of(ev, "recorded"));
  if (!t) {
    return bad("recorded is not an instant");
  }
  r.recorded_us = *t;
  auto o = parse_outcome(str_of(ev, "outcome"));
  if (!o) {
    return bad("outcome");
  }
  r.outcome = *o;
  r.detail = str_of(ev, "outcomeDesc");
  bool typed = false;
  if (ev.HasMember("subtype") && ev["subtype"].IsArray()) {
    for (const auto& c : ev["subtype"].GetArray()) {
      if (str_of(c, "system") == kCaregwSubtypeSystem) {
        if (auto et = parse_event_type(str_of(c, "code"))) {
          r.type = *et;
          typed = true;
        }
      }
    }
  }
  if (!typed) {
    return bad("no caregw subtype");
  }
  if (ev.HasMember("purposeOfEvent") && ev["purposeOfEvent"].IsArray() &&
      !ev["purposeOfEvent"].Empty()) {
    r.purpose_of_use = first_code(ev["purposeOfEvent"][0]);
  }
  if (ev.HasMember("extension") && ev["extension"].IsArray()) {
    for (const auto& e : ev["extension"].GetArray()) {
      const std::string url = str_of(e, "url");
      if (url.rfind(kExtensionBase, 0) != 0) {
        continue;
      }
      const std::string name = url.substr(kExtensionBase.size());
      const std::string v = str_of(e, "valueString");
      if (name == "hash") {
        sr.hash = hash_from_hex(v).value_or(Hash{});
      } else if (name == "decision") {
        r.decision = parse_decision(v).value_or(Decision::kNone);
      } else if (name == "break-glass-reason") {
        r.break_glass_reason = v;
      } else if (name == "correlation-id") {
        r.correlation_id = v;
      } else if (name == "message-id") {
        r.message_id = v;
      } else if (name == "peer-ods") {
        r.peer_ods = v;
      } else if (name == "related-seq" && !to_u64(v, r.related_seq)) {
        return bad("related-seq");
      }
    }
  }
  if (ev.HasMember("source")) {
    r.node_id = str_of(ev["source"], "site");
  }
  if (ev.HasMember("agent") && ev["agent"].IsArray()) {
    for (const auto& ag : ev["agent"].GetArray()) {
      const std::string code = ag.HasMember("type") ? first_code(ag["type"]) : "";
      const Value& who = ag.HasMember("who") ? ag["who"] : ag;
      if (code == "IRCP") {
        r.user_id = identifier_value(who);
        r.user_name = str_of(ag, "name");
        if (ag.HasMember("role") && ag["role"].IsArray() && !ag["role"].Empty()) {
          r.user_role = str_of(ag["role"][0], "text");
        }
      } else if (code == "110150") {
        r.client_system = identifier_value(who);
        if (ag.HasMember("network")) {
          r.source_address = str_of(ag["network"], "address");
        }
      } else if (code == "PROV") {
        r.org_ods = identifier_value(who);
      }
    }
  }
  if (ev.HasMember("entity") && ev["entity"].IsArray()) {
    for (const auto& e : ev["entity"].GetArray()) {
      const std::string code = e.HasMember("type") ? str_of(e["type"], "code") : "";
      const Value& what = e.HasMember("what") ? e["what"] : e;
      const Value* det = e.HasMember("detail") && e["detail"].IsArray() ? &e["detail"] : nullptr;
      if (code == "1") {
        r.nhs_number = identifier_value(what);
      } else if (code == "2") {
        const std::string ref = str_of(what, "reference");
        const auto slash = ref.find('/');
        if (slash == std::string::npos || det == nullptr || det->Empty()) {
          return bad("a data entity without Type/id or digest");
        }
        r.disclosed.push_back(
            {ref.substr(0, slash), ref.substr(slash + 1), str_of((*det)[0], "valueString")});
      } else if (code == "XrequestId") {
        r.request_id = identifier_value(what);
      } else if (code == "Consent") {
        r.dsa_id = identifier_value(what);
        if (det != nullptr) {
          for (const auto& d : det->GetArray()) {
            (str_of(d, "type") == "version" ? r.dsa_version : r.dsa_rule) =
                str_of(d, "valueString");
          }
        }
      } else if (code == "withheld" && det != nullptr) {
        for (const auto& d : det->GetArray()) {
          r.withheld.push_back(str_of(d, "valueString"));
        }
      }
    }
  }
  return sr;
}

std::string clip(std::string_view v, std::size_t width) {
  std::string out(v.substr(0, width));
  if (v.size() > width && width > 1) {
    out.back() = '~';
  }
  out.resize(width, ' ');
  return out;
}

}  // namespace

std::string csv_header() {
  std::string out;
  for (std::size_t i = 0; i < kCsvColumns.size(); ++i) {
    out += (i == 0 ? "" : ",");
    out += kCsvColumns.at(i);
  }
  return out + "\r\n";
}

std::string csv_row(const StoredRecord& sr) {
  const AuditRecord& r = sr.record;
  const std::array<std::string, 28> cells{std::to_string(r.seq),
                                          format_time_utc(r.recorded_us),
                                          std::to_string(r.recorded_us),
                                          r.node_id,
                                          std::string(event_type_name(r.type)),
                                          std::string(outcome_code(r.outcome)),
                                          std::string(decision_name(r.decision)),
                                          r.user_id,
                                          r.user_name,
                                          r.user_role,
                                          r.org_ods,
                                          r.client_system,
                                          r.purpose_of_use,
                                          r.nhs_number,
                                          json_list(r.disclosed),
                                          json_list(r.withheld),
                                          r.dsa_id,
                                          r.dsa_version,
                                          r.dsa_rule,
                                          r.break_glass_reason,
                                          r.request_id,
                                          r.correlation_id,
                                          r.source_address,
                                          r.message_id,
                                          r.peer_ods,
                                          r.detail,
                                          std::to_string(r.related_seq),
                                          to_hex(sr.hash)};
  std::string out;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i != 0) {
      out.push_back(',');
    }
    csv_cell(out, cells.at(i));
  }
  return out + "\r\n";
}

Result<std::vector<StoredRecord>> read_csv(std::string_view text) {
  auto rows = split_csv(text);
  if (!rows) {
    return rows.error();
  }
  if (rows->empty() || rows->front().size() != kCsvColumns.size()) {
    return make_error(Errc::kBadRequest, "audit csv: the header is not caregw's audit header");
  }
  for (std::size_t i = 0; i < kCsvColumns.size(); ++i) {
    if ((*rows)[0][i] != kCsvColumns.at(i)) {
      return make_error(Errc::kBadRequest, "audit csv: the header is not caregw's audit header");
    }
  }
  std::vector<StoredRecord> out;
  for (std::size_t n = 1; n < rows->size(); ++n) {
    auto& c = (*rows)[n];
    auto bad = [n](std::string_view what) {
      return make_error(Errc::kBadRequest,
                        "audit csv: record " + std::to_string(n) + ": " + std::string(what));
    };
    if (c.size() != kCsvColumns.size()) {
      return bad("wrong number of cells");
    }
    for (auto& cell : c) {
      cell = unguard(std::move(cell));
    }
    StoredRecord sr;
    AuditRecord& r = sr.record;
    auto type = parse_event_type(c[4]);
    auto outcome = parse_outcome(c[5]);
    auto decision = parse_decision(c[6]);
    auto hash = hash_from_hex(c[27]);
    if (!to_u64(c[0], r.seq) || !to_i64(c[2], r.recorded_us) || !type || !outcome || !decision ||
        !to_u64(c[26], r.related_seq) || !hash || !parse_lists(c[14], c[15], r)) {
      return bad("a cell cannot be read");
    }
    r.node_id = c[3];
    r.type = *type;
    r.outcome = *outcome;
    r.decision = *decision;
    r.user_id = c[7];
    r.user_name = c[8];
    r.user_role = c[9];
    r.org_ods = c[10];
    r.client_system = c[11];
    r.purpose_of_use = c[12];
    r.nhs_number = c[13];
    r.dsa_id = c[16];
    r.dsa_version = c[17];
    r.dsa_rule = c[18];
    r.break_glass_reason = c[19];
    r.request_id = c[20];
    r.correlation_id = c[21];
    r.source_address = c[22];
    r.message_id = c[23];
    r.peer_ods = c[24];
    r.detail = c[25];
    sr.hash = *hash;
    out.push_back(std::move(sr));
  }
  return out;
}

std::string render_table(const std::vector<StoredRecord>& records) {
  std::string out = clip("SEQ", 9) + " " + clip("RECORDED (UTC)", 27) + " " + clip("EVENT", 21) +
                    " " + clip("OUTCOME", 15) + " " + clip("DECISION", 15) + " " +
                    clip("USER", 16) + " " + clip("ORG", 8) + " " + clip("PURPOSE", 8) + " " +
                    clip("NHS NUMBER", 10) + " DETAIL\n";
  for (const auto& sr : records) {
    const AuditRecord& r = sr.record;
    out += clip(std::to_string(r.seq), 9) + " " + clip(format_time_utc(r.recorded_us), 27) + " " +
           clip(event_type_name(r.type), 21) + " " + clip(outcome_name(r.outcome), 15) + " " +
           clip(decision_name(r.decision), 15) + " " + clip(r.user_id, 16) + " " +
           clip(r.org_ods, 8) + " " + clip(r.purpose_of_use, 8) + " " + clip(r.nhs_number, 10) +
           " " + r.detail + "\n";
  }
  return out;
}

std::string audit_event_json(const StoredRecord& s, bool pretty) {
  rapidjson::Document d;
  Value ev = build_event(s, d.GetAllocator());
  return fhir::to_json(ev, pretty);
}

std::string audit_bundle_json(const Page& page, std::string_view self_url, bool pretty) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("resourceType", "Bundle", a);
  d.AddMember("type", "searchset", a);
  Value links(rapidjson::kArrayType);
  Value self(rapidjson::kObjectType);
  self.AddMember("relation", "self", a);
  self.AddMember("url", s(self_url, a), a);
  links.PushBack(self, a);
  if (!page.next_cursor.empty()) {
    Value next(rapidjson::kObjectType);
    next.AddMember("relation", "next", a);
    const char sep = self_url.find('?') == std::string_view::npos ? '?' : '&';
    next.AddMember("url", s(std::string(self_url) + sep + "_cursor=" + page.next_cursor, a), a);
    links.PushBack(next, a);
  }
  d.AddMember("link", links, a);
  Value entries(rapidjson::kArrayType);
  for (const auto& sr : page.records) {
    Value e(rapidjson::kObjectType);
    e.AddMember("fullUrl", s("urn:caregw:audit:" + std::to_string(sr.record.seq), a), a);
    e.AddMember("resource", build_event(sr, a), a);
    Value search(rapidjson::kObjectType);
    search.AddMember("mode", "match", a);
    e.AddMember("search", search, a);
    entries.PushBack(e, a);
  }
  d.AddMember("entry", entries, a);
  return fhir::to_json(d, pretty);
}

Result<std::vector<StoredRecord>> read_audit_event_bundle(std::string_view json) {
  auto doc = fhir::parse_json(json);
  if (!doc) {
    return doc.error();
  }
  if (!doc->IsObject() || str_of(*doc, "resourceType") != "Bundle") {
    return make_error(Errc::kBadRequest, "audit: not a Bundle");
  }
  std::vector<StoredRecord> out;
  if (!doc->HasMember("entry") || !(*doc)["entry"].IsArray()) {
    return out;
  }
  for (const auto& e : (*doc)["entry"].GetArray()) {
    if (!e.IsObject() || !e.HasMember("resource")) {
      return make_error(Errc::kBadRequest, "audit: a Bundle entry without a resource");
    }
    auto r = read_event(e["resource"]);
    if (!r) {
      return r.error();
    }
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace gw::audit
