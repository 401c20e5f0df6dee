// The break-glass grants in force as JSON and as a table.
#include "gateway/policy/grants_report.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "gateway/fhir/datetime.hpp"
#include "gateway/policy/json_writer.hpp"

namespace gw::policy {
namespace {

using Writer = JsonWriter;

std::string instant(TimePoint t) {
  return fhir::format_instant(std::chrono::time_point_cast<std::chrono::seconds>(t));
}

/** one_line: control characters as spaces (a justification is free text). */
std::string one_line(std::string_view s) {
  std::string out(s);
  std::replace_if(
      out.begin(), out.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }, ' ');
  return out;
}

void append_cell(std::string& out, std::string_view cell, std::size_t width) {
  out.append(cell);
  if (cell.size() < width) {
    out.append(width - cell.size(), ' ');
  }
  out.append("  ");
}

}  // namespace

void sort_grants(std::vector<GrantRecord>& grants) {
  std::sort(grants.begin(), grants.end(), [](const GrantRecord& a, const GrantRecord& b) {
    return std::tie(a.grant.granted_at, a.grant.user_id, a.grant.nhs_number) <
           std::tie(b.grant.granted_at, b.grant.user_id, b.grant.nhs_number);
  });
}

std::string grants_json(std::span<const GrantRecord> grants, TimePoint now) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  kv(w, "asOf", instant(now));
  w.Key("total");
  w.Uint64(grants.size());
  w.Key("grants");
  w.StartArray();
  for (const auto& r : grants) {
    w.StartObject();
    kv(w, "user", r.grant.user_id);
    kv(w, "organisation", r.origin.organisation);
    if (!r.origin.role.empty()) {
      kv(w, "role", r.origin.role);
    }
    kv(w, "patient", r.grant.nhs_number);
    kv(w, "reason", break_glass_reason_name(r.grant.reason));
    kv(w, "justification", r.grant.justification);
    kv(w, "opened", instant(r.grant.granted_at));
    kv(w, "expires", instant(r.grant.expires_at));
    if (r.audit_seq != 0) {
      w.Key("auditSeq");
      w.Uint64(r.audit_seq);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string grants_text(std::span<const GrantRecord> grants, TimePoint now) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back(
      {"opened", "expires", "user", "organisation", "role", "patient", "reason", "justification"});
  for (const auto& r : grants) {
    rows.push_back({instant(r.grant.granted_at), instant(r.grant.expires_at), r.grant.user_id,
                    r.origin.organisation, r.origin.role.empty() ? "-" : r.origin.role,
                    r.grant.nhs_number, std::string(break_glass_reason_name(r.grant.reason)),
                    one_line(r.grant.justification)});
  }
  std::string out;
  if (!grants.empty()) {
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
      for (std::size_t i = 0; i + 1 < row.size(); ++i) {
        widths[i] = std::max(widths[i], row[i].size());
      }
    }
    for (const auto& row : rows) {
      for (std::size_t i = 0; i + 1 < row.size(); ++i) {
        append_cell(out, row[i], widths[i]);
      }
      out.append(row.back()).push_back('\n');
    }
  }
  out.append(std::to_string(grants.size()))
      .append(grants.size() == 1 ? " break-glass grant" : " break-glass grants")
      .append(" in force at ")
      .append(instant(now))
      .push_back('\n');
  return out;
}

}  // namespace gw::policy
