// Converting between MPI values and SQLite rows: times, dates, the JSON arrays of the
// list-valued demographics, and one reader per row shape. A malformed stored value is kInternal.
#include "gateway/store/sqlite/mpi_rows.hpp"

#include <charconv>
#include <cstdio>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/store/sqlite/try.hpp"

namespace gw::store::sqlite::detail {
namespace {

Error internal(std::string detail) { return make_error(Errc::kInternal, std::move(detail)); }

// --- JSON for the list-valued demographics -----------------------------------------------------

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void write_strings(Writer& w, const std::vector<std::string>& list) {
  w.StartArray();
  for (const auto& s : list) {
    write_string(w, s);
  }
  w.EndArray();
}

std::optional<std::vector<std::string>> read_strings(const rapidjson::Value& v) {
  if (!v.IsArray()) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& e : v.GetArray()) {
    if (!e.IsString()) {
      return std::nullopt;
    }
    out.emplace_back(e.GetString(), e.GetStringLength());
  }
  return out;
}

std::optional<std::string> member_string(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) {
    return std::nullopt;
  }
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool parse_json(std::string_view text, rapidjson::Document& doc) {
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  return !doc.HasParseError() && doc.IsArray();
}

std::optional<std::vector<std::string>> decode_strings(std::string_view text) {
  rapidjson::Document doc;
  if (!parse_json(text, doc)) {
    return std::nullopt;
  }
  return read_strings(doc);
}

std::optional<std::vector<PersonName>> decode_names(std::string_view text) {
  rapidjson::Document doc;
  if (!parse_json(text, doc)) {
    return std::nullopt;
  }
  std::vector<PersonName> out;
  for (const auto& e : doc.GetArray()) {
    if (!e.IsObject()) {
      return std::nullopt;
    }
    auto family = member_string(e, "family");
    auto it = e.FindMember("given");
    if (!family || it == e.MemberEnd()) {
      return std::nullopt;
    }
    auto given = read_strings(it->value);
    if (!given) {
      return std::nullopt;
    }
    out.push_back(PersonName{std::move(*family), std::move(*given)});
  }
  return out;
}

std::optional<std::vector<ContactPoint>> decode_telecom(std::string_view text) {
  rapidjson::Document doc;
  if (!parse_json(text, doc)) {
    return std::nullopt;
  }
  std::vector<ContactPoint> out;
  for (const auto& e : doc.GetArray()) {
    if (!e.IsObject()) {
      return std::nullopt;
    }
    auto system = member_string(e, "system");
    auto value = member_string(e, "value");
    auto use = member_string(e, "use");
    if (!system || !value || !use) {
      return std::nullopt;
    }
    out.push_back(ContactPoint{std::move(*system), std::move(*value), std::move(*use)});
  }
  return out;
}

}  // namespace

std::int64_t to_us(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

TimePoint from_us(std::int64_t us) {
  return std::chrono::time_point_cast<TimePoint::duration>(
      std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds(us)));
}

std::optional<TimePoint> from_optional_us(std::optional<std::int64_t> us) {
  if (!us) {
    return std::nullopt;
  }
  return from_us(*us);
}

std::string format_date(std::chrono::year_month_day d) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buf;
}

std::optional<std::chrono::year_month_day> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') {
    return std::nullopt;
  }
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  auto num = [&](std::size_t pos, std::size_t len, auto& out) {
    const auto* first = s.data() + pos;
    auto [ptr, ec] = std::from_chars(first, first + len, out);
    return ec == std::errc() && ptr == first + len;
  };
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return ymd;
}

Result<OdsCode> stored_ods(std::string_view text) {
  auto ods = OdsCode::parse(text);
  if (!ods) {
    return internal("store: a stored ODS code is malformed");
  }
  return *ods;
}

Result<VerificationStatus> stored_verification(std::int64_t v) {
  if (v < 1 || v > 8) {
    return internal("store: a stored NHS number verification status is out of range");
  }
  return static_cast<VerificationStatus>(v);
}

Result<NhsNumber> stored_nhs_number(std::string_view text) {
  auto n = NhsNumber::parse(text);
  if (!n) {
    return internal("store: a stored NHS number is malformed");
  }
  return *n;
}

std::string strings_json(const std::vector<std::string>& list) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  write_strings(w, list);
  return {buf.GetString(), buf.GetSize()};
}

std::string names_json(const std::vector<PersonName>& names) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const auto& n : names) {
    w.StartObject();
    w.Key("family");
    write_string(w, n.family);
    w.Key("given");
    write_strings(w, n.given);
    w.EndObject();
  }
  w.EndArray();
  return {buf.GetString(), buf.GetSize()};
}

std::string telecom_json(const std::vector<ContactPoint>& list) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const auto& c : list) {
    w.StartObject();
    w.Key("system");
    write_string(w, c.system);
    w.Key("value");
    write_string(w, c.value);
    w.Key("use");
    write_string(w, c.use);
    w.EndObject();
  }
  w.EndArray();
  return {buf.GetString(), buf.GetSize()};
}

// --- row readers -------------------------------------------------------------------------------

// Columns as in sql::kPersonById.
Result<Person> read_person(const Statement& st) {
  Person p;
  p.id = PersonId{st.column_int64(0)};
  if (!st.is_null(1)) {
    GW_STORE_ASSIGN(p.nhs_number, stored_nhs_number(st.column_text(1)));
  }
  if (!st.is_null(2)) {
    GW_STORE_ASSIGN(p.nhs_verification, stored_verification(st.column_int64(2)));
  }
  p.created_at = from_us(st.column_int64(3));
  p.updated_at = from_us(st.column_int64(4));
  if (!st.is_null(5)) {
    p.superseded_by = PersonId{st.column_int64(5)};
  }
  return p;
}

// Columns as in sql::kDemographicsAt.
Result<DemographicsVersion> read_demographics(const Statement& st) {
  const Error malformed = internal("store: stored demographics are malformed");
  GW_STORE_ASSIGN(auto source, stored_ods(st.column_text(2)));
  DemographicsVersion v{.source = std::move(source)};
  v.id = DemographicsVersionId{st.column_int64(0)};
  v.person = PersonId{st.column_int64(1)};
  v.data.family = std::string(st.column_text(3));
  auto given = decode_strings(st.column_text(4));
  auto previous = decode_names(st.column_text(5));
  auto address = decode_strings(st.column_text(8));
  auto telecom = decode_telecom(st.column_text(10));
  auto gender = parse_gender(st.column_text(7));
  if (!given || !previous || !address || !telecom || !gender) {
    return malformed;
  }
  v.data.given = std::move(*given);
  v.data.previous_names = std::move(*previous);
  if (!st.is_null(6)) {
    v.data.birth_date = parse_date(st.column_text(6));
    if (!v.data.birth_date) {
      return malformed;
    }
  }
  v.data.gender = *gender;
  v.data.address_lines = std::move(*address);
  v.data.postcode = std::string(st.column_text(9));
  v.data.telecom = std::move(*telecom);
  v.valid_from = from_us(st.column_int64(11));
  v.valid_to = from_optional_us(st.column_optional_int64(12));
  v.message_id = std::string(st.column_text(13));
  v.recorded_at = from_us(st.column_int64(14));
  return v;
}

// Columns as in sql::kMergesBySuperseded.
MergeRecord read_merge(const Statement& st) {
  MergeRecord m;
  m.id = MergeId{st.column_int64(0)};
  m.survivor = PersonId{st.column_int64(1)};
  m.superseded = PersonId{st.column_int64(2)};
  m.reason = std::string(st.column_text(3));
  m.actor = std::string(st.column_text(4));
  m.message_id = std::string(st.column_text(5));
  m.merged_at = from_us(st.column_int64(6));
  m.unmerged_at = from_optional_us(st.column_optional_int64(7));
  m.unmerge_actor = std::string(st.column_text(8));
  m.unmerge_reason = std::string(st.column_text(9));
  m.unmerge_message_id = std::string(st.column_text(10));
  return m;
}

// Columns as in sql::kReviewItemById (candidates are loaded separately).
Result<ReviewItem> read_review_item(const Statement& st) {
  auto kind = parse_review_kind(st.column_text(1));
  auto status = parse_review_status(st.column_text(2));
  if (!kind || !status) {
    return internal("store: a stored review item is malformed");
  }
  GW_STORE_ASSIGN(auto source, stored_ods(st.column_text(3)));
  ReviewItem item{.id = ReviewItemId{st.column_int64(0)},
                  .kind = *kind,
                  .status = *status,
                  .source = std::move(source)};
  if (!st.is_null(4)) {
    GW_STORE_ASSIGN(auto ods, stored_ods(st.column_text(4)));
    auto type = parse_local_id_type(st.column_text(5));
    if (!type) {
      return internal("store: a stored review item is malformed");
    }
    item.local_id = LocalId{std::move(ods), *type, std::string(st.column_text(6))};
  }
  item.message_id = std::string(st.column_text(7));
  item.incoming_json = std::string(st.column_text(8));
  item.scores_json = std::string(st.column_text(9));
  item.created_at = from_us(st.column_int64(10));
  item.resolved_by = std::string(st.column_text(11));
  item.resolved_at = from_optional_us(st.column_optional_int64(12));
  if (!st.is_null(13)) {
    item.resolved_person = PersonId{st.column_int64(13)};
  }
  item.note = std::string(st.column_text(14));
  return item;
}

}  // namespace gw::store::sqlite::detail
