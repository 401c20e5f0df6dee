// RecordedInput to and from JSON.
#include "gateway/policy/recorded_input.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include <openssl/evp.h>

#include "gateway/fhir/json.hpp"
#include "gateway/policy/json_writer.hpp"

namespace gw::policy {

namespace {

using rapidjson::Value;
using Writer = JsonWriter;

constexpr std::size_t kDigestLength = 64;  // SHA-256, lower-case hex
constexpr std::string_view kDefinitionHead = R"({"resourcesDef":")";
constexpr std::string_view kDefinitionMiddle = R"(","resources":)";
constexpr char kHexDigits[] = "0123456789abcdef";

constexpr std::array<std::string_view, 5> kEpisodeKinds = {
    "admission", "attendance", "mental-health-episode", "social-care-case", "ambulance-incident"};

Error bad(const std::string& field) {
  return make_error(Errc::kBadRequest, "recorded input: '" + field + "' is missing or not valid");
}

const Value* find(const Value& o, const char* key) {
  if (!o.IsObject()) {
    return nullptr;
  }
  const auto it = o.FindMember(key);
  return it == o.MemberEnd() ? nullptr : &it->value;
}

bool text(const Value& o, const char* key, std::string& out, bool required = true) {
  const Value* v = find(o, key);
  if (v == nullptr) {
    return !required;
  }
  if (!v->IsString()) {
    return false;
  }
  out.assign(v->GetString(), v->GetStringLength());
  return !required || !out.empty();
}

bool instant(const Value& o, const char* key, TimePoint& out) {
  std::string s;
  if (!text(o, key, s)) {
    return false;
  }
  const auto t = parse_instant(s);
  if (!t) {
    return false;
  }
  out = *t;
  return true;
}

bool flag(const Value& o, const char* key, bool& out) {
  const Value* v = find(o, key);
  if (v == nullptr) {
    return true;
  }
  if (!v->IsBool()) {
    return false;
  }
  out = v->GetBool();
  return true;
}

Result<Episode> episode(const Value& e) {
  Episode out;
  std::string kind;
  if (!text(e, "kind", kind)) {
    return bad("episodes[].kind");
  }
  bool known = false;
  for (std::size_t i = 0; i < kEpisodeKinds.size(); ++i) {
    if (kEpisodeKinds[i] == kind) {
      out.kind = static_cast<EpisodeKind>(i);
      known = true;
    }
  }
  if (!known || !text(e, "org", out.org) || !flag(e, "open", out.open) ||
      !instant(e, "start", out.start) || !text(e, "careCoordinator", out.care_coordinator, false)) {
    return bad("episodes[]");
  }
  if (find(e, "end") != nullptr) {
    TimePoint end{};
    if (!instant(e, "end", end)) {
      return bad("episodes[].end");
    }
    out.end = end;
  }
  return out;
}

Result<RecordedResource> resource(const Value& r) {
  RecordedResource out;
  std::string category;
  if (!text(r, "type", out.resource_type) || !text(r, "id", out.id) ||
      !text(r, "category", category) || !text(r, "source", out.source_org)) {
    return bad("resources[]");
  }
  const auto c = parse_category(category);
  if (!c) {
    return bad("resources[].category");
  }
  out.category = *c;
  if (const Value* s = find(r, "sensitivity"); s != nullptr) {
    if (!s->IsArray()) {
      return bad("resources[].sensitivity");
    }
    for (const auto& item : s->GetArray()) {
      const auto cls = item.IsString() ? parse_sensitivity(item.GetString()) : std::nullopt;
      if (!cls) {
        return bad("resources[].sensitivity");
      }
      out.sensitivity = static_cast<SensitivitySet>(out.sensitivity | sensitivity_bit(*cls));
    }
  }
  return out;
}

Result<std::vector<RecordedResource>> resource_array(const Value& rs) {
  std::vector<RecordedResource> out;
  if (!rs.IsArray()) {
    return bad("resources");
  }
  out.reserve(rs.Size());
  for (const auto& r : rs.GetArray()) {
    auto res = resource(r);
    if (!res) {
      return res.error();
    }
    out.push_back(std::move(*res));
  }
  return out;
}

bool is_digest(std::string_view s) {
  return s.size() == kDigestLength && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

/**
 * resources_of: an input's resources, inline or (in a recorded file) by reference to a list
 * defined before it; never both, so a line cannot say two things.
 */
Result<std::vector<RecordedResource>> resources_of(const Value& doc,
                                                   const ResourceListLookup& lookup) {
  const Value* rs = find(doc, "resources");
  const Value* ref = find(doc, "resourcesRef");
  if (rs != nullptr && ref != nullptr) {
    return make_error(Errc::kBadRequest,
                      "recorded input: both 'resources' and 'resourcesRef'; a line has one");
  }
  if (ref == nullptr) {
    return rs == nullptr ? Result<std::vector<RecordedResource>>(bad("resources"))
                         : resource_array(*rs);
  }
  if (!ref->IsString() || !is_digest({ref->GetString(), ref->GetStringLength()})) {
    return bad("resourcesRef");
  }
  const std::vector<RecordedResource>* list =
      lookup ? lookup({ref->GetString(), ref->GetStringLength()}) : nullptr;
  if (list == nullptr) {
    return make_error(Errc::kBadRequest,
                      "recorded input: 'resourcesRef' names no resource list defined before it in "
                      "the same recorded file (its definition is missing, damaged or altered)");
  }
  return *list;
}

}  // namespace

std::optional<TimePoint> parse_instant(std::string_view s) {
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, se = 0;
  char z = 0;
  const std::string str(s);
  if (s.size() != 20 ||
      std::sscanf(str.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 ||
      z != 'Z' || h > 23 || mi > 59 || se > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo},
                                        std::chrono::day{d}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
         std::chrono::seconds{se};
}

std::string format_instant(TimePoint t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - days)};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {  // not four digits: the general (slower) formatting
    char buf[48];
    std::snprintf(buf, sizeof buf, "%d-%02u-%02uT%02ld:%02ld:%02ldZ", year,
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                  static_cast<long>(hms.seconds().count()));
    return buf;
  }
  // Written by hand: several per recorded request, and snprintf costs a microsecond each.
  std::string out = "0000-00-00T00:00:00Z";
  const auto two = [&out](std::size_t at, long v) {
    out[at] = static_cast<char>('0' + v / 10);
    out[at + 1] = static_cast<char>('0' + v % 10);
  };
  two(0, year / 100);
  two(2, year % 100);
  two(5, static_cast<long>(static_cast<unsigned>(ymd.month())));
  two(8, static_cast<long>(static_cast<unsigned>(ymd.day())));
  two(11, static_cast<long>(hms.hours().count()));
  two(14, static_cast<long>(hms.minutes().count()));
  two(17, static_cast<long>(hms.seconds().count()));
  return out;
}

Result<RecordedInput> parse_recorded_input(std::string_view json,
                                           const ResourceListLookup& lookup) {
  fhir::ParseLimits limits;
  limits.max_bytes = std::size_t{4} * 1024 * 1024;
  limits.max_depth = 16;
  auto doc = fhir::parse_json(json, limits);
  if (!doc || !doc->IsObject()) {
    return make_error(Errc::kBadRequest, "recorded input: not a JSON object");
  }
  RecordedInput in;
  if (!text(*doc, "id", in.id) || !instant(*doc, "at", in.at)) {
    return bad("id/at");
  }
  const Value* rq = find(*doc, "requester");
  std::string purpose;
  if (rq == nullptr || !text(*rq, "system", in.requester.system_ods) ||
      !text(*rq, "user", in.requester.user.id) || !text(*rq, "role", in.requester.user.role_code) ||
      !text(*rq, "organisation", in.requester.user.ods) || !text(*rq, "purpose", purpose) ||
      !parse_purpose(purpose)) {
    return bad("requester");
  }
  in.requester.user.purpose = *parse_purpose(purpose);
  const Value* p = find(*doc, "patient");
  if (p == nullptr || !text(*p, "nhsNumber", in.patient.nhs_number) ||
      !text(*p, "registeredPractice", in.patient.registered_practice, false) ||
      !flag(*p, "objection", in.patient.objection)) {
    return bad("patient");
  }
  if (const Value* es = find(*p, "episodes"); es != nullptr) {
    if (!es->IsArray()) {
      return bad("patient.episodes");
    }
    for (const auto& e : es->GetArray()) {
      auto ep = episode(e);
      if (!ep) {
        return ep.error();
      }
      in.patient.episodes.push_back(std::move(*ep));
    }
  }
  auto resources = resources_of(*doc, lookup);
  if (!resources) {
    return resources.error();
  }
  in.resources = std::move(*resources);
  if (const Value* bg = find(*doc, "breakGlass"); bg != nullptr) {
    BreakGlassGrant g;
    std::string reason;
    if (!text(*bg, "reason", reason) || !parse_break_glass_reason(reason) ||
        !instant(*bg, "grantedAt", g.granted_at) || !instant(*bg, "expiresAt", g.expires_at)) {
      return bad("breakGlass");
    }
    g.reason = *parse_break_glass_reason(reason);
    g.user_id = in.requester.user.id;
    g.nhs_number = in.patient.nhs_number;
    in.break_glass = std::move(g);
  }
  return in;
}

namespace {

/** write_resources: the "resources" array of a recorded input. */
void write_resources(Writer& w, std::span<const RecordedResource> resources) {
  w.StartArray();
  for (const auto& r : resources) {
    w.StartObject();
    kv(w, "type", r.resource_type);
    kv(w, "id", r.id);
    kv(w, "category", category_name(r.category));
    w.Key("sensitivity");
    w.StartArray();
    for (std::size_t i = 0; i < kSensitivityCount; ++i) {
      if ((r.sensitivity & (1U << i)) != 0) {
        const auto n = sensitivity_name(static_cast<Sensitivity>(i));
        w.String(n.data(), static_cast<rapidjson::SizeType>(n.size()));
      }
    }
    w.EndArray();
    kv(w, "source", r.source_org);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

std::string recorded_resources_json(std::span<const RecordedResource> resources) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  write_resources(w, resources);
  return {sb.GetString(), sb.GetSize()};
}

namespace {

/** write_break_glass: the "breakGlass" member, when the decision was made under a grant. */
void write_break_glass(Writer& w, const RecordedInput& in) {
  if (!in.break_glass) {
    return;
  }
  w.Key("breakGlass");
  w.StartObject();
  kv(w, "reason", break_glass_reason_name(in.break_glass->reason));
  kv(w, "grantedAt", format_instant(in.break_glass->granted_at));
  kv(w, "expiresAt", format_instant(in.break_glass->expires_at));
  w.EndObject();
}

}  // namespace

RecordedInputFrame recorded_input_frame(const RecordedInput& in) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  kv(w, "id", in.id);
  kv(w, "at", format_instant(in.at));
  w.Key("requester");
  w.StartObject();
  kv(w, "system", in.requester.system_ods);
  kv(w, "user", in.requester.user.id);
  kv(w, "role", in.requester.user.role_code);
  kv(w, "organisation", in.requester.user.ods);
  kv(w, "purpose", purpose_name(in.requester.user.purpose));
  w.EndObject();
  w.Key("patient");
  w.StartObject();
  kv(w, "nhsNumber", in.patient.nhs_number);
  kv(w, "registeredPractice", in.patient.registered_practice);
  w.Key("objection");
  w.Bool(in.patient.objection);
  w.Key("episodes");
  w.StartArray();
  for (const auto& e : in.patient.episodes) {
    w.StartObject();
    kv(w, "kind", kEpisodeKinds[static_cast<std::size_t>(e.kind)]);
    kv(w, "org", e.org);
    w.Key("open");
    w.Bool(e.open);
    kv(w, "start", format_instant(e.start));
    if (e.end) {
      kv(w, "end", format_instant(*e.end));
    }
    if (!e.care_coordinator.empty()) {
      kv(w, "careCoordinator", e.care_coordinator);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  RecordedInputFrame frame;
  frame.head.assign(sb.GetString(), sb.GetSize());
  if (in.break_glass) {
    rapidjson::StringBuffer tail;
    Writer tw(tail);
    tw.StartObject();
    write_break_glass(tw, in);
    tw.EndObject();
    frame.tail.push_back(',');
    frame.tail.append(tail.GetString() + 1, tail.GetSize() - 2);  // the member, without braces
  }
  frame.tail.push_back('}');
  return frame;
}

void append_with_resources(std::string& out, const RecordedInputFrame& frame,
                           std::string_view resources_array) {
  out.reserve(out.size() + frame.head.size() + resources_array.size() + frame.tail.size() + 16);
  out.append(frame.head).append(R"(,"resources":)").append(resources_array).append(frame.tail);
}

void append_with_reference(std::string& out, const RecordedInputFrame& frame,
                           std::string_view digest) {
  out.reserve(out.size() + frame.head.size() + digest.size() + frame.tail.size() + 20);
  out.append(frame.head).append(R"(,"resourcesRef":")").append(digest).push_back('"');
  out.append(frame.tail);
}

std::string recorded_input_json(const RecordedInput& in) {
  const RecordedInputFrame frame = recorded_input_frame(in);
  std::string out;
  if (in.prepared_resources.empty()) {
    append_with_resources(out, frame, recorded_resources_json(in.resources));
  } else if (const auto prepared = view_prepared_resources(in.prepared_resources)) {
    append_with_resources(out, frame, prepared->array);
  } else {
    append_with_resources(out, frame, in.prepared_resources);  // a bare array, as given
  }
  return out;
}

std::string resources_digest(std::string_view resources_array) {
  // Fetched once: OpenSSL 3 looks the algorithm up again on every call given EVP_sha256() (an
  // implicit fetch; OpenSSL 3 migration guide, "Fetching algorithms"). The fetched EVP_MD is
  // immutable and safe to share between threads.
  static const EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(resources_array.data(), resources_array.size(), md.data(), &len,
             kSha256 != nullptr ? kSha256 : EVP_sha256(), nullptr);
  std::string hex;
  hex.reserve(std::size_t{len} * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHexDigits[md.at(i) >> 4U]);
    hex.push_back(kHexDigits[md.at(i) & 0x0FU]);
  }
  return hex;
}

std::string definition_line(std::string_view digest, std::string_view resources_array) {
  std::string out;
  out.reserve(kDefinitionHead.size() + digest.size() + kDefinitionMiddle.size() +
              resources_array.size() + 1);
  out.append(kDefinitionHead).append(digest).append(kDefinitionMiddle).append(resources_array);
  out.push_back('}');
  return out;
}

std::string prepare_recorded_resources(std::span<const RecordedResource> resources) {
  const std::string array = recorded_resources_json(resources);
  return definition_line(resources_digest(array), array);
}

std::optional<std::string_view> definition_digest(std::string_view line) {
  if (!line.starts_with(kDefinitionHead)) {
    return std::nullopt;
  }
  const std::string_view digest = line.substr(kDefinitionHead.size(), kDigestLength);
  if (!is_digest(digest) || line.size() <= kDefinitionHead.size() + kDigestLength ||
      line[kDefinitionHead.size() + kDigestLength] != '"') {
    return std::nullopt;
  }
  return digest;
}

std::optional<PreparedResources> view_prepared_resources(std::string_view line) {
  const auto digest = definition_digest(line);
  const std::size_t array_at = kDefinitionHead.size() + kDigestLength + kDefinitionMiddle.size();
  if (!digest || line.size() < array_at + 3 ||
      line.substr(kDefinitionHead.size() + kDigestLength, kDefinitionMiddle.size()) !=
          kDefinitionMiddle ||
      line[array_at] != '[' || !line.ends_with("]}")) {
    return std::nullopt;
  }
  return PreparedResources{*digest, line.substr(array_at, line.size() - array_at - 1), line};
}

Result<ResourcesDefinition> parse_resources_definition(std::string_view json) {
  fhir::ParseLimits limits;
  limits.max_bytes = std::size_t{4} * 1024 * 1024;
  limits.max_depth = 16;
  auto doc = fhir::parse_json(json, limits);
  if (!doc || !doc->IsObject()) {
    return make_error(Errc::kBadRequest, "recorded resource list: not a JSON object");
  }
  const Value* digest = find(*doc, "resourcesDef");
  const Value* rs = find(*doc, "resources");
  if (digest == nullptr || !digest->IsString() ||
      !is_digest({digest->GetString(), digest->GetStringLength()}) || rs == nullptr ||
      doc->MemberCount() != 2) {
    return make_error(Errc::kBadRequest,
                      "recorded resource list: a definition has exactly 'resourcesDef' (64 "
                      "lower-case hex digits) and 'resources'");
  }
  auto resources = resource_array(*rs);
  if (!resources) {
    return resources.error();
  }
  ResourcesDefinition out{std::string(digest->GetString(), digest->GetStringLength()),
                          std::move(*resources)};
  // The digest is checked over the canonical JSON of what was read, so a definition whose
  // content was altered (or damaged yet still JSON) is refused rather than replayed.
  if (resources_digest(recorded_resources_json(out.resources)) != out.digest) {
    return make_error(Errc::kBadRequest,
                      "recorded resource list: its resources do not match its 'resourcesDef' "
                      "digest (the definition was altered or damaged)");
  }
  return out;
}

}  // namespace gw::policy
