// Query filters' fingerprints and descriptions, and the opaque paging cursor.
#include "gateway/audit/query.hpp"

#include <charconv>

namespace gw::audit {
namespace {

std::string to_base64url(std::string_view bytes) {
  std::string s = base64(bytes);
  while (!s.empty() && s.back() == '=') {
    s.pop_back();
  }
  for (char& c : s) {
    c = c == '+' ? '-' : (c == '/' ? '_' : c);
  }
  return s;
}

std::optional<std::string> from_base64url(std::string_view text) {
  std::string s(text);
  for (char& c : s) {
    c = c == '-' ? '+' : (c == '_' ? '/' : c);
  }
  while (s.size() % 4 != 0) {
    s.push_back('=');
  }
  return unbase64(s);
}

}  // namespace

std::string QueryFilter::fingerprint() const {
  std::string s;
  auto add = [&s](std::string_view v) {
    s += std::to_string(v.size());
    s += ':';
    s += v;
  };
  add(nhs_number);
  add(user_id);
  add(org_ods);
  add(purpose_of_use);
  add(from_us ? std::to_string(*from_us) : "");
  add(to_us ? std::to_string(*to_us) : "");
  for (auto t : types) {
    add(event_type_name(t));
  }
  add("|");
  add(outcome ? outcome_code(*outcome) : "-");
  add(decision ? decision_name(*decision) : "-");
  add(break_glass_only ? "bg" : "");
  add(std::to_string(related_seq));
  return sha256_hex(s).substr(0, 12);
}

std::string QueryFilter::describe() const {
  std::string s;
  auto add = [&s](std::string_view k, std::string_view v) {
    s += (s.empty() ? "" : " ");
    s += k;
    s += '=';
    s += v;
  };
  if (!nhs_number.empty()) {
    add("patient", "(given)");
  }
  if (!user_id.empty()) {
    add("user", user_id);
  }
  if (!org_ods.empty()) {
    add("org", org_ods);
  }
  if (!purpose_of_use.empty()) {
    add("purpose", purpose_of_use);
  }
  if (from_us) {
    add("from", format_time_utc(*from_us));
  }
  if (to_us) {
    add("to", format_time_utc(*to_us));
  }
  for (auto t : types) {
    add("type", event_type_name(t));
  }
  if (outcome) {
    add("outcome", outcome_name(*outcome));
  }
  if (decision) {
    add("decision", decision_name(*decision));
  }
  if (break_glass_only) {
    add("break-glass", "yes");
  }
  if (related_seq != 0) {
    add("related", std::to_string(related_seq));
  }
  return s.empty() ? "all records" : s;
}

std::string encode_cursor(const Cursor& c) {
  return to_base64url("caregw-audit-cursor/1:" + std::string(c.newest_first ? "d" : "a") + ":" +
                      std::to_string(c.after_seq) + ":" + c.fingerprint);
}

Result<Cursor> decode_cursor(std::string_view text, const QueryFilter& filter, bool newest_first) {
  auto bad = [] { return make_error(Errc::kBadRequest, "audit: the cursor is not valid"); };
  auto raw = from_base64url(text);
  constexpr std::string_view kPrefix = "caregw-audit-cursor/1:";
  if (!raw || raw->size() < kPrefix.size() + 4 || raw->compare(0, kPrefix.size(), kPrefix) != 0) {
    return bad();
  }
  std::string_view rest = std::string_view(*raw).substr(kPrefix.size());
  Cursor c;
  c.newest_first = rest[0] == 'd';
  if ((rest[0] != 'a' && rest[0] != 'd') || rest[1] != ':') {
    return bad();
  }
  rest.remove_prefix(2);
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) {
    return bad();
  }
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + colon, c.after_seq);
  if (ec != std::errc() || p != rest.data() + colon) {
    return bad();
  }
  c.fingerprint = std::string(rest.substr(colon + 1));
  if (c.fingerprint != filter.fingerprint() || c.newest_first != newest_first) {
    return make_error(Errc::kBadRequest, "audit: the cursor belongs to another query");
  }
  return c;
}

}  // namespace gw::audit
