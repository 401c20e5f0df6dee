// The audit record's vocabularies, their FHIR codes, the canonical encoding (version 1), input
// checks and UTC time text.
#include "gateway/audit/record.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "gateway/identity/nhs_number.hpp"

namespace gw::audit {
namespace {

constexpr std::string_view kDcm = "http://dicom.nema.org/resources/ontology/DCM";
constexpr std::string_view kRestType = "http://terminology.hl7.org/CodeSystem/audit-event-type";
constexpr std::string_view kRestful = "http://hl7.org/fhir/restful-interaction";
constexpr std::string_view kLifecycle = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";

// Types and subtypes after IHE BALP (shared/reference/ihe-balp: PatientRead.fsh, AuthZ.fsh,
// Disclose.fsh) and the FHIR break-glass example (hl7-fhir-build-auditevent/
// auditevent-example-breakglass-start.xml: DCM 110113 Security Alert / 110127 Emergency
// Override Started). Movements inside the gateway use DCM Import/Export with ISO 21089 lifecycle
// subtypes where one fits; every event also carries caregw's own subtype (its name).
const std::array<EventCodes, 20> kCodes{{
    {"record-read", {kRestType, "rest", "Restful Operation"}, {kRestful, "read", "read"}, 'R'},
    {"record-search",
     {kRestType, "rest", "Restful Operation"},
     {kRestful, "search-type", "search type"},
     'E'},
    {"access-decision",
     {kDcm, "110113", "Security Alert"},
     {"urn:ihe:iti:balp", "AuthZ-Consent", "Authorization consent decision"},
     'E'},
    {"break-glass",
     {kDcm, "110113", "Security Alert"},
     {kDcm, "110127", "Emergency Override Started"},
     'E'},
    {"break-glass-review", {kDcm, "110113", "Security Alert"}, {}, 'E'},
    {"disclosure",
     {kDcm, "110106", "Export"},
     {kLifecycle, "disclose", "Disclose Record Lifecycle Event"},
     'R'},
    {"message-received",
     {kDcm, "110107", "Import"},
     {kLifecycle, "receive", "Receive Record Lifecycle Event"},
     'C'},
    {"message-translated",
     {kDcm, "110107", "Import"},
     {kLifecycle, "translate", "Translate Record Lifecycle Event"},
     'U'},
    {"message-stored",
     {kDcm, "110107", "Import"},
     {kLifecycle, "originate", "Originate/Retain Record Lifecycle Event"},
     'C'},
    {"message-delivered",
     {kDcm, "110106", "Export"},
     {kLifecycle, "transmit", "Transmit Record Lifecycle Event"},
     'R'},
    {"message-retried",
     {kDcm, "110106", "Export"},
     {kLifecycle, "transmit", "Transmit Record Lifecycle Event"},
     'R'},
    {"message-dead-lettered", {kDcm, "110106", "Export"}, {}, 'E'},
    {"message-replayed",
     {kDcm, "110106", "Export"},
     {kLifecycle, "transmit", "Transmit Record Lifecycle Event"},
     'R'},
    {"mpi-review",
     {kDcm, "110110", "Patient Record"},
     {kLifecycle, "link", "Link Record Lifecycle Event"},
     'U'},
    {"config-reload", {kDcm, "110100", "Application Activity"}, {}, 'E'},
    {"dsa-reload", {kDcm, "110100", "Application Activity"}, {}, 'E'},
    {"audit-query", {kDcm, "110112", "Query"}, {}, 'E'},
    {"audit-export", {kDcm, "110106", "Export"}, {}, 'R'},
    {"audit-purge",
     {kDcm, "110100", "Application Activity"},
     {kLifecycle, "destroy", "Destroy/Delete Record Lifecycle Event"},
     'D'},
    {"break-glass-close",
     {kDcm, "110113", "Security Alert"},
     {kDcm, "110138", "Emergency Override Stopped"},
     'E'},
}};

constexpr std::size_t kMaxField = 4096;
constexpr std::size_t kMaxDisclosed = 1000;
constexpr std::size_t kMaxWithheld = 64;

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> static_cast<unsigned>(shift)) & 0xFFU));
  }
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> static_cast<unsigned>(shift)) & 0xFFU));
  }
}

void put_text(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

void put_disclosed(std::string& out, const std::vector<DisclosedItem>& items) {
  put_u32(out, static_cast<std::uint32_t>(items.size()));
  for (const auto& d : items) {
    put_text(out, d.resource_type);
    put_text(out, d.resource_id);
    put_text(out, d.sha256_hex);
  }
}

/**
 * plain_ascii8: the 8 bytes at `p` are all printable ASCII (0x20-0x7E), tested together; a word
 * with anything else (a tab, a control, UTF-8) is checked byte by byte.
 */
bool plain_ascii8(const char* p) {
  std::uint64_t w = 0;
  std::memcpy(&w, p, sizeof w);
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t below_space = (w - kOnes * 0x20U) & ~w & kHigh;  // a byte < 0x20
  const std::uint64_t x = w ^ (kOnes * 0x7FU);
  const std::uint64_t del = (x - kOnes) & ~x & kHigh;  // a byte == 0x7F
  return ((w & kHigh) | below_space | del) == 0;
}

/** valid_text: UTF-8, no C0 controls except tab (keeps CSV and tables readable and safe). */
bool valid_text(std::string_view s) {
  std::size_t i = 0;
  while (i + 8 <= s.size() && plain_ascii8(s.data() + i)) {
    i += 8;
  }
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t') || c == 0x7F) {
        return false;
      }
      ++i;
      continue;
    }
    int extra = 0;
    if ((c & 0xE0U) == 0xC0U && c >= 0xC2) {
      extra = 1;
    } else if ((c & 0xF0U) == 0xE0U) {
      extra = 2;
    } else if ((c & 0xF8U) == 0xF0U && c <= 0xF4) {
      extra = 3;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(extra) >= s.size()) {
      return false;
    }
    for (int k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0xC0U) != 0x80U) {
        return false;
      }
    }
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

Result<void> check_field(std::string_view name, std::string_view value) {
  if (value.size() > kMaxField) {
    return make_error(Errc::kBadRequest, "audit: field '" + std::string(name) + "' is too long");
  }
  if (!valid_text(value)) {
    return make_error(Errc::kBadRequest, "audit: field '" + std::string(name) +
                                             "' is not UTF-8 text without control characters");
  }
  return {};
}

bool is_hex64(std::string_view s) {
  static constexpr auto kHex = [] {
    std::array<bool, 256> t{};
    for (const char c : std::string_view("0123456789abcdef")) {
      t[static_cast<unsigned char>(c)] = true;
    }
    return t;
  }();
  if (s.size() != 64) {
    return false;
  }
  bool ok = true;
  for (const char c : s) {
    ok &= kHex[static_cast<unsigned char>(c)];  // no early exit: a digest is nearly always good
  }
  return ok;
}

/** days_from_civil: days since 1970-01-01 (H. Hinnant's algorithm, public domain). */
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool read_int(std::string_view s, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > s.size()) {
    return false;
  }
  const char* b = s.data() + pos;
  auto [p, ec] = std::from_chars(b, b + len, out);
  return ec == std::errc() && p == b + len;
}

}  // namespace

const EventCodes& event_codes(EventType t) {
  const auto i = static_cast<std::size_t>(t) - 1;
  return kCodes.at(i < kCodes.size() ? i : 0);
}

std::string_view event_type_name(EventType t) { return event_codes(t).name; }

std::optional<EventType> parse_event_type(std::string_view name) {
  for (std::size_t i = 0; i < kCodes.size(); ++i) {
    if (kCodes.at(i).name == name) {
      return static_cast<EventType>(i + 1);
    }
  }
  return std::nullopt;
}

const std::vector<EventType>& all_event_types() {
  static const std::vector<EventType> kAll = [] {
    std::vector<EventType> v;
    for (std::size_t i = 0; i < kCodes.size(); ++i) {
      v.push_back(static_cast<EventType>(i + 1));
    }
    return v;
  }();
  return kAll;
}

std::string_view outcome_code(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "0";
    case Outcome::kMinorFailure:
      return "4";
    case Outcome::kSeriousFailure:
      return "8";
    case Outcome::kMajorFailure:
      return "12";
  }
  return "0";
}

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kMinorFailure:
      return "minor-failure";
    case Outcome::kSeriousFailure:
      return "serious-failure";
    case Outcome::kMajorFailure:
      return "major-failure";
  }
  return "success";
}

std::optional<Outcome> parse_outcome(std::string_view s) {
  for (auto o : {Outcome::kSuccess, Outcome::kMinorFailure, Outcome::kSeriousFailure,
                 Outcome::kMajorFailure}) {
    if (s == outcome_code(o) || s == outcome_name(o)) {
      return o;
    }
  }
  return std::nullopt;
}

std::string_view decision_name(Decision d) {
  switch (d) {
    case Decision::kNone:
      return "";
    case Decision::kPermit:
      return "permit";
    case Decision::kPermitRedacted:
      return "permit-redacted";
    case Decision::kDeny:
      return "deny";
    case Decision::kBreakGlass:
      return "break-glass";
  }
  return "";
}

std::optional<Decision> parse_decision(std::string_view s) {
  for (auto d : {Decision::kNone, Decision::kPermit, Decision::kPermitRedacted, Decision::kDeny,
                 Decision::kBreakGlass}) {
    if (s == decision_name(d)) {
      return d;
    }
  }
  return std::nullopt;
}

std::string with_seq(std::uint64_t seq, std::string_view body) {
  std::string out;
  out.reserve(9 + body.size());
  out.push_back(static_cast<char>(kCanonicalVersion));
  put_u64(out, seq);
  out.append(body);
  return out;
}

std::string canonical_bytes(const AuditRecord& r) { return with_seq(r.seq, canonical_body(r)); }

namespace {

/** BodyReader: reads the fields canonical_body() wrote, in order; fails once cut short. */
class BodyReader {
public:
  explicit BodyReader(std::string_view body) : rest_(body) {}
  std::uint64_t u(std::size_t bytes) {
    if (rest_.size() < bytes) {
      ok_ = false;
      rest_ = {};
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
      v = (v << 8U) | static_cast<unsigned char>(rest_[i]);
    }
    rest_.remove_prefix(bytes);
    return v;
  }
  std::string_view text() {
    const auto n = static_cast<std::size_t>(u(4));
    if (rest_.size() < n) {
      ok_ = false;
      rest_ = {};
      return {};
    }
    const std::string_view t = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return t;
  }
  [[nodiscard]] bool ok() const { return ok_ && rest_.empty(); }

private:
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace

std::optional<BodyColumns> body_columns(std::string_view body) {
  BodyReader in(body);
  BodyColumns c;
  c.recorded_us = static_cast<std::int64_t>(in.u(8));
  for (auto& t : c.head) {
    t = in.text();
  }
  for (auto n = in.u(4) * 3; n > 0; --n) {  // disclosed items: stored as their JSON column
    (void)in.text();
  }
  for (auto n = in.u(4); n > 0; --n) {  // withheld categories: likewise
    (void)in.text();
  }
  for (auto& t : c.tail) {
    t = in.text();
  }
  c.related_seq = in.u(8);
  if (!in.ok()) {
    return std::nullopt;
  }
  return c;
}

std::string canonical_disclosed(const std::vector<DisclosedItem>& items) {
  std::string out;
  put_disclosed(out, items);
  return out;
}

std::string canonical_body(const AuditRecord& r) {
  std::string out;
  out.reserve(512);
  put_u64(out, static_cast<std::uint64_t>(r.recorded_us));
  put_text(out, r.node_id);
  put_text(out, event_type_name(r.type));
  put_text(out, outcome_code(r.outcome));
  put_text(out, decision_name(r.decision));
  put_text(out, r.user_id);
  put_text(out, r.user_name);
  put_text(out, r.user_role);
  put_text(out, r.org_ods);
  put_text(out, r.client_system);
  put_text(out, r.purpose_of_use);
  put_text(out, r.nhs_number);
  if (r.prepared_disclosed) {
    out.append(r.prepared_disclosed->canonical);
  } else {
    put_disclosed(out, r.disclosed);
  }
  put_u32(out, static_cast<std::uint32_t>(r.withheld.size()));
  for (const auto& w : r.withheld) {
    put_text(out, w);
  }
  put_text(out, r.dsa_id);
  put_text(out, r.dsa_version);
  put_text(out, r.dsa_rule);
  put_text(out, r.break_glass_reason);
  put_text(out, r.request_id);
  put_text(out, r.correlation_id);
  put_text(out, r.source_address);
  put_text(out, r.message_id);
  put_text(out, r.peer_ods);
  put_text(out, r.detail);
  put_u64(out, r.related_seq);
  return out;
}

Result<void> validate_disclosed(const std::vector<DisclosedItem>& items) {
  if (items.size() > kMaxDisclosed) {
    return make_error(Errc::kBadRequest, "audit: more than 1000 disclosed items");
  }
  for (const auto& d : items) {
    if (auto c = check_field("disclosed.resource_type", d.resource_type); !c) {
      return c;
    }
    if (auto c = check_field("disclosed.resource_id", d.resource_id); !c) {
      return c;
    }
    if (!is_hex64(d.sha256_hex)) {
      return make_error(Errc::kBadRequest,
                        "audit: disclosed.sha256 must be 64 lower-case hex digits");
    }
  }
  return {};
}

Result<void> validate_record(const AuditRecord& r) {
  if (!r.nhs_number.empty()) {
    auto n = NhsNumber::parse(r.nhs_number);
    if (!n || n->str() != r.nhs_number) {
      return make_error(Errc::kBadRequest,
                        "audit: nhs_number must be ten digits with a valid check digit");
    }
  }
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"node_id", &r.node_id},
      {"user_id", &r.user_id},
      {"user_name", &r.user_name},
      {"user_role", &r.user_role},
      {"org_ods", &r.org_ods},
      {"client_system", &r.client_system},
      {"purpose_of_use", &r.purpose_of_use},
      {"dsa_id", &r.dsa_id},
      {"dsa_version", &r.dsa_version},
      {"dsa_rule", &r.dsa_rule},
      {"break_glass_reason", &r.break_glass_reason},
      {"request_id", &r.request_id},
      {"correlation_id", &r.correlation_id},
      {"source_address", &r.source_address},
      {"message_id", &r.message_id},
      {"peer_ods", &r.peer_ods},
      {"detail", &r.detail},
  };
  for (const auto& [name, value] : fields) {
    if (auto c = check_field(name, *value); !c) {
      return c;
    }
  }
  if (r.prepared_disclosed && !r.disclosed.empty()) {
    return make_error(Errc::kBadRequest, "audit: a record holds two disclosed lists");
  }
  if (auto c = validate_disclosed(r.disclosed); !c) {  // a prepared list was checked once
    return c;
  }
  if (r.withheld.size() > kMaxWithheld) {
    return make_error(Errc::kBadRequest, "audit: more than 64 withheld categories");
  }
  for (const auto& w : r.withheld) {
    if (auto c = check_field("withheld", w); !c) {
      return c;
    }
  }
  return {};
}

std::string format_time_utc(std::int64_t us) {
  namespace chr = std::chrono;
  const chr::sys_time<chr::microseconds> tp{chr::microseconds{us}};
  const auto day = chr::floor<chr::days>(tp);
  const chr::year_month_day ymd{day};
  const chr::hh_mm_ss hms{tp - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

Result<std::int64_t> parse_time_utc(std::string_view s) {
  auto bad = [] {
    return make_error(Errc::kBadRequest,
                      "time must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.ffffff](Z|+hh:mm)");
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !read_int(s, 0, 4, y) ||
      !read_int(s, 5, 2, mo) || !read_int(s, 8, 2, d) || mo < 1 || mo > 12 || d < 1 || d > 31) {
    return bad();
  }
  std::int64_t us = 0;
  if (s.size() > 10) {
    if (s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || !read_int(s, 11, 2, h) ||
        !read_int(s, 14, 2, mi) || !read_int(s, 17, 2, sec) || h > 23 || mi > 59 || sec > 60) {
      return bad();
    }
    std::size_t pos = 19;
    if (s[pos] == '.') {
      ++pos;
      int digits = 0;
      std::int64_t frac = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 6) {
          frac = frac * 10 + (s[pos] - '0');
          ++digits;
        }
        ++pos;
      }
      if (digits == 0) {
        return bad();
      }
      for (; digits < 6; ++digits) {
        frac *= 10;
      }
      us = frac;
    }
    std::int64_t offset_min = 0;
    const std::string_view zone = s.substr(pos);
    if (zone != "Z") {
      int oh = 0, om = 0;
      if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' ||
          !read_int(zone, 1, 2, oh) || !read_int(zone, 4, 2, om)) {
        return bad();
      }
      offset_min = std::int64_t{zone[0] == '-' ? -1 : 1} * (oh * 60 + om);
    }
    us += ((static_cast<std::int64_t>(h) * 60 + mi - offset_min) * 60 + sec) * 1'000'000;
  }
  const auto days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * 86'400'000'000LL + us;
}

}  // namespace gw::audit
