// Text and JSON renderings of the IG reports (report_render.hpp).
#include "gateway/audit/report_render.hpp"

#include <rapidjson/document.h>

#include "gateway/fhir/json.hpp"

namespace gw::audit {
namespace {

using rapidjson::Value;

std::string padded(std::string s, std::size_t width) {
  if (s.size() < width) {
    s.resize(width, ' ');
  }
  return s;
}

Value text(std::string_view s, rapidjson::Document::AllocatorType& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

}  // namespace

std::int64_t window_minutes(const UnusualThresholds& t) { return t.window_us / 60'000'000; }

std::string access_report_text(const std::vector<AccessEntry>& entries) {
  if (entries.empty()) {
    return "No one has looked at this record in the period the audit log holds.\n";
  }
  std::string out;
  for (const auto& e : entries) {
    out.append(e.sentence).push_back('\n');
  }
  return out;
}

std::string access_report_json(std::string_view nhs_number,
                               const std::vector<AccessEntry>& entries) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("report", "access-history", a);
  d.AddMember("patient", text(nhs_number, a), a);
  Value list(rapidjson::kArrayType);
  for (const auto& e : entries) {
    Value row(rapidjson::kObjectType);
    row.AddMember("seq", e.seq, a);
    row.AddMember("recorded", text(format_time_utc(e.recorded_us), a), a);
    row.AddMember("sentence", text(e.sentence, a), a);
    list.PushBack(row, a);
  }
  d.AddMember("entries", list, a);
  return fhir::to_json(d);
}

std::string denied_report_text(const std::vector<DeniedCount>& rows) {
  std::string out = "REFUSALS  LAST (UTC)                   ORG       USER\n";
  for (const auto& r : rows) {
    out.append(padded(std::to_string(r.count), 9))
        .append(" ")
        .append(format_time_utc(r.last_us))
        .append("  ")
        .append(padded(r.org_ods, 9))
        .append(" ")
        .append(r.user_id)
        .push_back('\n');
  }
  return out;
}

std::string denied_report_json(const std::vector<DeniedCount>& rows,
                               std::optional<std::int64_t> from_us,
                               std::optional<std::int64_t> to_us) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("report", "denied", a);
  if (from_us) {
    d.AddMember("from", text(format_time_utc(*from_us), a), a);
  }
  if (to_us) {
    d.AddMember("to", text(format_time_utc(*to_us), a), a);
  }
  Value list(rapidjson::kArrayType);
  for (const auto& r : rows) {
    Value row(rapidjson::kObjectType);
    row.AddMember("user", text(r.user_id, a), a);
    row.AddMember("organization", text(r.org_ods, a), a);
    row.AddMember("refusals", r.count, a);
    row.AddMember("last", text(format_time_utc(r.last_us), a), a);
    list.PushBack(row, a);
  }
  d.AddMember("rows", list, a);
  return fhir::to_json(d);
}

std::string unusual_report_text(const std::vector<UnusualFinding>& findings,
                                const UnusualThresholds& t, std::string_view not_checked) {
  std::string out = "(thresholds: ";
  out.append(std::to_string(t.distinct_patients))
      .append(" patients within ")
      .append(std::to_string(window_minutes(t)))
      .append(" minutes");
  if (!not_checked.empty()) {
    out.append("; ").append(not_checked);
  }
  out.append(")\n");
  for (const auto& x : findings) {
    out.append(unusual_kind_name(x.kind))
        .append("  user ")
        .append(x.user_id)
        .append("  ")
        .append(std::to_string(x.patients))
        .append(" patients from ")
        .append(format_time_utc(x.from_us))
        .append(" to ")
        .append(format_time_utc(x.to_us))
        .append("  (first record ")
        .append(std::to_string(x.first_seq))
        .append(")");
    if (!x.nhs_number.empty()) {
      out.append("  patient ").append(x.nhs_number);
    }
    out.push_back('\n');
  }
  return out;
}

std::string unusual_report_json(const std::vector<UnusualFinding>& findings,
                                const UnusualThresholds& t, std::string_view not_checked) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("report", "unusual-activity", a);
  Value th(rapidjson::kObjectType);
  th.AddMember("distinctPatients", t.distinct_patients, a);
  th.AddMember("windowMinutes", window_minutes(t), a);
  th.AddMember("matchSurname", t.match_surname, a);
  th.AddMember("matchAddress", t.match_address, a);
  d.AddMember("thresholds", th, a);
  if (!not_checked.empty()) {
    d.AddMember("notChecked", text(not_checked, a), a);
  }
  Value list(rapidjson::kArrayType);
  for (const auto& x : findings) {
    Value row(rapidjson::kObjectType);
    row.AddMember("kind", text(unusual_kind_name(x.kind), a), a);
    row.AddMember("user", text(x.user_id, a), a);
    row.AddMember("patients", x.patients, a);
    row.AddMember("from", text(format_time_utc(x.from_us), a), a);
    row.AddMember("to", text(format_time_utc(x.to_us), a), a);
    row.AddMember("firstRecord", x.first_seq, a);
    if (!x.nhs_number.empty()) {
      row.AddMember("patient", text(x.nhs_number, a), a);
    }
    list.PushBack(row, a);
  }
  d.AddMember("findings", list, a);
  return fhir::to_json(d);
}

}  // namespace gw::audit
