// The shared care record over the MPI, the record store and the policy engine:
// GET /fhir/Patient/{id}/$everything, GET /fhir/{type}?patient=..., POST .../$break-glass and
// POST .../$break-glass-close.
#include "gateway/audit/record.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <utility>
#include <vector>

#include "gateway/audit/sqlite/audit_store.hpp"
#include "gateway/core/log.hpp"
#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/identity/patient_resource.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"
#include "gateway/policy/recorded_input.hpp"
#include "gateway/policy/recorder.hpp"
#include "gateway/policy/refusal.hpp"
#include "gateway/record/answer_cache.hpp"
#include "gateway/record/bundle.hpp"
#include "gateway/record/context.hpp"
#include "gateway/record/facts.hpp"

namespace gw::pipeline {

Result<PatientLookup> lookup_patient(identity::MpiService& mpi, std::string_view id) {
  auto ref = identity::parse_patient_id(id);
  if (!ref) {
    return make_error(Errc::kBadRequest,
                      "the patient id is not a valid NHS number (10 digits with a Modulus 11 "
                      "check digit) or caregw patient id");
  }
  auto found =
      ref->nhs_number ? mpi.find_by_nhs_number(*ref->nhs_number) : mpi.person(*ref->person);
  if (!found) {
    return found.error();
  }
  return PatientLookup{*ref, std::move(*found)};
}

namespace {

constexpr std::size_t kDefaultCount = 100;
constexpr std::string_view kNhsNumberSystemText = "https://fhir.nhs.uk/Id/nhs-number";

/** Params: the parsed query of a record read. */
struct Params {
  std::vector<std::string> types;  // _type (empty: all)
  std::optional<store::TimePoint> since;
  std::string cursor;
  std::size_t count = kDefaultCount;
  std::optional<std::string> patient;  // search: the patient parameter
  std::vector<std::pair<std::string, std::string>> all;
};

bool is_known(std::string_view name, bool search) {
  static constexpr std::array<std::string_view, 5> kCommon = {"_since", "_count", "_cursor",
                                                              "_format", "_pretty"};
  if (std::find(kCommon.begin(), kCommon.end(), name) != kCommon.end()) {
    return true;
  }
  return search ? name == "patient" : name == "_type";
}

Result<std::size_t> parse_count(std::string_view text) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n == 0) {
    return make_error(Errc::kBadRequest, "_count must be a whole number from 1 to " +
                                             std::to_string(store::kMaxRecordPage));
  }
  return std::min(n, store::kMaxRecordPage);
}

Result<Params> parse_params(const http::Request& req, bool search) {
  auto list = http::query_params(req.query());
  if (!list) {
    return list.error();
  }
  Params p;
  for (const auto& [name, value] : *list) {
    if (!is_known(name, search)) {
      return make_error(Errc::kBadRequest,
                        "unknown parameter '" + name + "' (" + (search ? "patient" : "_type") +
                            ", _since, _count, _cursor and _format are understood)");
    }
    if (name == "_count") {
      auto c = parse_count(value);
      if (!c) {
        return c.error();
      }
      p.count = *c;
    } else if (name == "_since") {
      auto us = audit::parse_time_utc(value);
      // A time the system clock cannot hold (past 2262) would overflow its nanoseconds.
      constexpr std::int64_t kMaxUs = std::chrono::duration_cast<std::chrono::microseconds>(
                                          store::TimePoint::max() - store::TimePoint{})
                                          .count();
      if (!us || *us < 0 || *us >= kMaxUs) {
        return make_error(Errc::kBadRequest,
                          "_since must be a FHIR instant or date between 1970 and 2262");
      }
      p.since = store::TimePoint{std::chrono::microseconds(*us)};
    } else if (name == "_cursor") {
      p.cursor = value;
    } else if (name == "_type") {
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto t = rest.substr(0, comma);
        if (!t.empty()) {
          p.types.emplace_back(t);
        }
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else if (name == "patient") {
      if (p.patient) {
        return make_error(Errc::kBadRequest, "patient may be given once");
      }
      p.patient = value;
    }
  }
  if (search && !p.patient) {
    return make_error(Errc::kBadRequest,
                      "patient is required (an NHS number, "
                      "https://fhir.nhs.uk/Id/nhs-number|<NHS number> or Patient/<id>)");
  }
  p.all = std::move(*list);
  return p;
}

/** find_patient: a Patient logical id (NHS number or mpi-<n>) to the surviving person. */
Result<store::PersonView> find_patient(identity::MpiService& mpi, std::string_view id) {
  auto found = lookup_patient(mpi, id);
  if (!found) {
    return found.error();
  }
  if (!found->person) {
    return make_error(Errc::kNotFound, "no patient with that id is known to this gateway");
  }
  return std::move(*found->person);
}

/** patient_id_of_param: the Patient id in a search's patient parameter (NHS number, token or
 * Patient/{id}). */
Result<std::string_view> patient_id_of_param(std::string_view value) {
  if (value.starts_with("Patient/")) {
    return value.substr(8);
  }
  if (const auto bar = value.find('|'); bar != std::string_view::npos) {
    if (value.substr(0, bar) != kNhsNumberSystemText) {
      return make_error(Errc::kBadRequest,
                        "patient: the identifier system must be https://fhir.nhs.uk/Id/nhs-number");
    }
    value = value.substr(bar + 1);
  }
  return value;
}

/** Found: the surviving person, and their record generation when the answer cache may be used. */
struct Found {
  store::PersonView person;
  std::optional<std::int64_t> generation;
};

/**
 * find_person: the surviving person for a Patient id and, with the answer cache on, their
 * record generation. Everything of the person that an answer shows (the Patient) is read after
 * the generation, so an answer is never kept under a generation newer than what it shows. The
 * person holding an NHS number directly (not through a merge) is kept in the cache and used
 * again while their generation is unchanged (any change to the person, their number, merges,
 * demographics or local ids changes it).
 */
Result<Found> find_person(const RecordServices& s, std::string_view id) {
  if (s.cache == nullptr || !s.cache->enabled()) {
    auto p = find_patient(s.mpi, id);
    if (!p) {
      return p.error();
    }
    return Found{std::move(*p), std::nullopt};
  }
  // Only an NHS number is kept: the person holding it is the one to check again.
  std::string nhs_text;
  if (const auto ref = identity::parse_patient_id(id); ref) {
    if (const auto& n = ref->nhs_number; n) {
      nhs_text = n->str();
    }
  }
  std::string key;
  if (!nhs_text.empty()) {
    key = "p";
    key.append(nhs_text);
    if (auto hit = s.cache->find_person(key)) {
      if (auto g = s.records.generation(hit->view.person.id); g && *g == hit->generation) {
        return Found{hit->view, *g};
      }
    }
  }
  auto first = find_patient(s.mpi, id);
  if (!first) {
    return first.error();
  }
  auto g = s.records.generation(first->person.id);
  if (!g) {
    return Found{std::move(*first), std::nullopt};  // not cached; the store's error shows later
  }
  auto again = find_patient(s.mpi, id);  // read after the generation
  if (!again) {
    return again.error();
  }
  if (again->person.id != first->person.id) {
    return Found{std::move(*again), std::nullopt};  // changed in between: not cached
  }
  const auto& held = again->person.nhs_number;
  if (!key.empty() && held && held->str() == nhs_text) {
    s.cache->put_person(std::move(key), std::make_shared<const record::CachedPerson>(
                                            record::CachedPerson{*again, *g}));
  }
  return Found{std::move(*again), *g};
}

/** Access: the decision inputs of one request. */
struct Access {
  policy::AccessGrant grant;
  policy::Requester who;  // the decision's inputs, kept for the dry run's recording
  policy::PatientContext patient;
  policy::TimePoint at{};
  std::optional<policy::BreakGlassGrant> break_glass;
  std::string patient_key;  // the NHS number (or mpi-<n>): the break-glass registry's key
};

/** Pin: keeps the config and policy snapshots a cache key names by address alive. */
struct Pin {
  config::ConfigPtr config;
  std::shared_ptr<const void> policy;
};

std::shared_ptr<const void> pin_of(const RequestContext& ctx, const RecordServices& s) {
  return std::make_shared<const Pin>(Pin{ctx.config, s.policy_pin});
}

/**
 * patient_context: the policy's patient context, from the answer cache when the person's
 * record generation is known and it holds one for it, else gathered from the record store.
 */
Result<policy::PatientContext> patient_context(const RequestContext& ctx, const RecordServices& s,
                                               const store::PersonView& person,
                                               std::optional<std::int64_t> generation) {
  if (!generation || s.cache == nullptr) {
    return record::gather_patient_context(*ctx.config, s.records, person);
  }
  std::string key = record::context_key(person.person.id.value, *generation, ctx.config.get());
  if (auto hit = s.cache->find_context(key)) {
    return *hit;
  }
  auto patient = record::gather_patient_context(*ctx.config, s.records, person);
  if (patient) {
    s.cache->put_context(std::move(key), std::make_shared<const policy::PatientContext>(*patient),
                         pin_of(ctx, s));
  }
  return patient;
}

/**
 * authorise_request: gathers the patient context from the record and asks the engine.
 * @param generation the person's record generation, when the answer cache may be used
 */
Result<Access> authorise_request(const RequestContext& ctx, const RecordServices& s,
                                 const store::PersonView& person,
                                 const policy::BreakGlassGrant* trial = nullptr,
                                 std::optional<std::int64_t> generation = std::nullopt) {
  if (!ctx.user || ctx.organisation == nullptr || !ctx.config) {
    return make_error(Errc::kInternal, "record read without a user, organisation or config");
  }
  auto patient = patient_context(ctx, s, person, generation);
  if (!patient) {
    return patient.error();
  }
  Access a;
  a.patient_key = patient->nhs_number;
  if (trial != nullptr) {
    a.break_glass = *trial;
  } else if (s.break_glass != nullptr) {
    a.break_glass = s.break_glass->active(ctx.user->user.id, a.patient_key);
  }
  a.who = policy::Requester{ctx.organisation->ods.str(), ctx.user->user};
  a.at = std::chrono::system_clock::now();
  a.grant =
      policy::authorise(s.policy, a.who, *patient, a.at, a.break_glass ? &*a.break_glass : nullptr);
  a.patient = std::move(*patient);
  return a;
}

audit::AuditRecord base_record(audit::EventType type, const store::PersonView& p) {
  audit::AuditRecord r;
  r.type = type;
  if (p.person.nhs_number) {
    r.nhs_number = p.person.nhs_number->str();
  }
  return r;
}

/**
 * break_glass_route: how to break the glass, when the agreement allows it. The patient is named
 * as {id} (this request's id), since error details never carry an NHS number.
 */
std::string break_glass_route(const policy::AccessGrant& g) {
  if (g.agreement == nullptr || !g.agreement->break_glass_allowed) {
    return " Break-glass does not apply.";
  }
  return " If this is an emergency, break the glass: POST /fhir/Patient/{id}/$break-glass (the "
         "same patient id) with {\"reason\": \"emergency-treatment\" | \"patient-request\" | "
         "\"safeguarding-concern\", \"justification\": \"...\"} (audited and reviewed).";
}

/** denial: the 403 for a denied grant (reason and what was missing; no patient data). */
Error denial(const policy::AccessGrant& g) {
  const std::string why = policy::refusal_words(g.rule);
  std::string detail = "access to this patient's record is refused (" +
                       std::string(policy::rule_name(g.rule)) + "): " + why;
  if (!g.missing.empty()) {
    detail += " [missing: " + g.missing + "]";
  }
  detail += ".";
  if (g.rule == policy::Rule::kNoLegitimateRelationship) {
    detail += break_glass_route(g);
  } else {
    detail += " Break-glass does not apply.";
  }
  return make_error(Errc::kPolicyDenied, std::move(detail));
}

void record_denial(audit::AuditRecord& r, const policy::AccessGrant& g) {
  if (g.agreement != nullptr) {
    r.dsa_id = g.agreement->id;
    r.dsa_version = g.agreement->version;
  }
  r.dsa_rule = std::string(policy::rule_name(g.rule));
  r.decision = audit::Decision::kDeny;
}

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == ',';
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (unreserved(c)) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

/** Parameter: one FHIR Parameters entry (name, value[x] element, value). */
struct Parameter {
  const char* name;
  const char* type;  // valueString, valueCode, valueInstant ...
  std::string value;
};

/** parameters_json: a FHIR Parameters resource of these entries, as JSON. */
std::string parameters_json(std::initializer_list<Parameter> entries) {
  fhir::Json out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  out.AddMember("resourceType", "Parameters", a);
  rapidjson::Value params(rapidjson::kArrayType);
  for (const auto& e : entries) {
    rapidjson::Value param(rapidjson::kObjectType);
    param.AddMember("name", rapidjson::StringRef(e.name), a);
    param.AddMember(
        rapidjson::StringRef(e.type),
        rapidjson::Value(e.value.c_str(), static_cast<rapidjson::SizeType>(e.value.size()), a), a);
    params.PushBack(param, a);
  }
  out.AddMember("parameter", params, a);
  return fhir::to_json(out);
}

/** page_url: the request's URL with _cursor set to `cursor` (or dropped when empty). */
std::string page_url(const std::string& base_path, const Params& p, const std::string& cursor) {
  std::string q;
  for (const auto& [name, value] : p.all) {
    if (name == "_cursor") {
      continue;
    }
    q.append(q.empty() ? "?" : "&").append(percent_encode(name)).append("=");
    q.append(percent_encode(value));
  }
  if (!cursor.empty()) {
    q.append(q.empty() ? "?" : "&").append("_cursor=").append(percent_encode(cursor));
  }
  return base_path + q;
}

/** read_page: one page of the person's records for the parameters, parsed and ordered. */
Result<store::RecordPage> read_page(const RecordServices& s, const store::PersonView& person,
                                    const Params& p) {
  store::RecordQuery q;
  if (p.types.size() == 1) {
    q.resource_type = p.types.front();
  }
  q.since = p.since;
  q.cursor = p.cursor;
  q.limit = p.count;
  return s.records.read(person.person.id, q);
}

/** more_to_show: whether any record after `cursor` would be permitted under `grant`. */
Result<bool> more_to_show(const RecordServices& s, const store::PersonView& person, const Params& p,
                          const policy::AccessGrant& grant, std::string cursor) {
  Params ahead = p;
  while (true) {
    ahead.cursor = cursor;
    auto page = read_page(s, person, ahead);
    if (!page) {
      return page.error();
    }
    for (const auto& r : page->records) {
      auto e = record::make_entry(r, s.sensitive);
      if (!e) {
        return e.error();
      }
      if (policy::decide(grant, record::facts_of(*e)).effect == policy::Effect::kPermit) {
        return true;
      }
    }
    if (!page->next_cursor) {
      return false;
    }
    cursor = *page->next_cursor;
  }
}

/** fill_audit: what the response disclosed and withheld, under which agreement. */
void fill_audit(audit::AuditRecord& r, const record::Assembled& a, const Access& access) {
  r.disclosed = a.disclosed;
  for (const auto& n : a.notices) {
    std::string what = n.rule == policy::Rule::kLegalExclusion
                           ? policy::sensitivity_names(n.classes)
                           : std::string(policy::category_name(n.category));
    what += " (" + std::string(policy::rule_name(n.rule)) + ")";
    if (std::find(r.withheld.begin(), r.withheld.end(), what) == r.withheld.end()) {
      r.withheld.push_back(std::move(what));
    }
  }
  const policy::Agreement* dsa =
      !a.summary.agreements.empty() ? a.summary.agreements.front() : access.grant.agreement;
  if (dsa != nullptr) {
    r.dsa_id = dsa->id;
    r.dsa_version = dsa->version;
  }
  r.dsa_rule = std::string(policy::rule_name(a.summary.rule));
  if (a.summary.break_glass && access.break_glass) {
    r.decision = audit::Decision::kBreakGlass;
    r.break_glass_reason = std::string(policy::break_glass_reason_name(access.break_glass->reason));
  } else if (a.summary.withheld > 0) {
    r.decision = audit::Decision::kPermitRedacted;
  } else {
    r.decision = audit::Decision::kPermit;
  }
}

/** objection_text: the notice for a patient who opted out. */
std::string objection_text(const policy::AccessGrant& g) {
  std::string t =
      "This patient has asked that their shared care record is not shared: the record is "
      "withheld at the patient's request.";
  if (g.agreement != nullptr && g.agreement->objection_overridden_by_break_glass) {
    t += break_glass_route(g);
  }
  return t;
}

/** resources_of: the facts of the resources decided, as the dry run records them. */
std::vector<policy::RecordedResource> resources_of(const std::vector<record::Entry>& entries) {
  std::vector<policy::RecordedResource> out;
  out.reserve(entries.size());
  for (const auto& e : entries) {
    const auto f = record::facts_of(e);
    out.push_back({std::string(f.resource_type), std::string(f.id), f.category, f.sensitivity,
                   std::string(f.source_org)});
  }
  return out;
}

/**
 * record_inputs: keeps the decision's inputs (requester, patient context, the facts of the
 * resources decided) for `caregw policy dry-run`; never fails the request (policy/recorder.hpp).
 * @param prepared_resources a kept answer's list as policy::prepare_recorded_resources() wrote
 *   it (digest included), recorded without being written or hashed again; else empty
 */
void record_inputs(const RecordServices& s, const RequestContext& ctx, const Access& access,
                   std::vector<policy::RecordedResource> resources,
                   std::string prepared_resources = {}) {
  if (s.recorder == nullptr) {
    return;
  }
  policy::RecordedInput in;
  in.id = ctx.request_id;
  in.requester = access.who;
  in.patient = access.patient;
  in.at = std::chrono::time_point_cast<std::chrono::seconds>(access.at);
  in.break_glass = access.break_glass;
  in.resources = std::move(resources);
  in.prepared_resources = std::move(prepared_resources);
  s.recorder->record(std::span<const policy::RecordedInput>(&in, 1));
}

/** copy_disclosures: the audit fields fill_audit sets, from a cached answer's record. */
void copy_disclosures(audit::AuditRecord& r, const audit::AuditRecord& from) {
  r.disclosed = from.disclosed;
  r.prepared_disclosed = from.prepared_disclosed;
  r.withheld = from.withheld;
  r.dsa_id = from.dsa_id;
  r.dsa_version = from.dsa_version;
  r.dsa_rule = from.dsa_rule;
  r.decision = from.decision;
}

/**
 * cache_key: the answer cache's key for this request, or empty when the answer must not be
 * cached: no cache, the generation unknown, or a break-glass in play (the grant is personal and
 * every such read is reviewed; it is always assembled afresh).
 */
std::string cache_key(const RequestContext& ctx, const RecordServices& s,
                      const store::PersonView& person, std::optional<std::int64_t> generation,
                      const Access& access, const Params& p, std::string_view base_path,
                      bool everything) {
  if (s.cache == nullptr || !generation || access.break_glass || access.grant.break_glass ||
      access.grant.effect != policy::Effect::kPermit) {
    return {};
  }
  record::AnswerKey k;
  k.person = person.person.id.value;
  k.generation = *generation;
  k.config = ctx.config.get();
  k.policy = s.policy_pin.get();
  k.system_ods = access.who.system_ods;
  k.user_ods = access.who.user.ods;
  k.role_code = access.who.user.role_code;
  k.purpose = access.who.user.purpose;
  k.grant = &access.grant;
  k.everything = everything;
  k.base_path = base_path;
  k.params = &p.all;
  return record::answer_key(k);
}

/**
 * set_kept_body: a kept answer as this request's body. JSON is the Bundle's opening (this
 * request's id and timestamp) followed by the kept tail, shared rather than copied; XML is
 * written from the spliced JSON.
 */
Result<void> set_kept_body(http::Response& res, std::shared_ptr<const record::CachedAnswer> hit,
                           const record::BundleOptions& o, fhir::Format fmt) {
  if (fmt != fhir::Format::kJson) {
    return set_fhir_body(res, record::splice_bundle(hit->tail, o.id, o.timestamp), fmt);
  }
  auto head = set_fhir_body(res, record::bundle_head(o.id, o.timestamp), fmt);
  if (head) {
    const std::string* tail = &hit->tail;
    res.body_tail = std::shared_ptr<const std::string>(std::move(hit), tail);
  }
  return head;
}

/** serve_record: the common path of $everything and search by patient. */
Result<void> serve_record(const http::Request& req, RequestContext& ctx, http::Response& res,
                          const RecordServices& s, const Found& found, const Params& p,
                          bool everything) {
  const store::PersonView& person = found.person;
  const std::optional<std::int64_t> generation = found.generation;
  auto fmt = negotiated_format(req);
  if (!fmt) {
    return fmt.error();
  }
  ctx.audit.push_back(base_record(
      everything ? audit::EventType::kRecordRead : audit::EventType::kRecordSearch, person));
  audit::AuditRecord& audit_record = ctx.audit.back();
  // The generation was read before anything else of the person (find_person), so whatever is
  // read after it is at least as new as the generation the answer is kept under.
  auto access = authorise_request(ctx, s, person, nullptr, generation);
  if (!access) {
    return access.error();
  }
  const std::string base = base_url(req);
  const std::string path = std::string(req.path());
  const std::string base_path = base + (path.starts_with("/fhir") ? path.substr(5) : path);
  record::BundleOptions o;
  o.id = ctx.request_id;
  o.timestamp = fhir::format_instant(ctx.received);
  o.base = base;
  o.self = page_url(base_path, p, p.cursor);
  o.config = ctx.config.get();
  o.notices = everything;
  if (access->grant.effect == policy::Effect::kDeny) {
    record_denial(audit_record, access->grant);
    record_inputs(s, ctx, *access, {});
    if (access->grant.rule != policy::Rule::kPatientObjection) {
      return denial(access->grant);
    }
    audit_record.withheld.push_back("all (patient-objection)");
    return set_fhir_body(
        res,
        record::withheld_bundle(policy::Rule::kPatientObjection, objection_text(access->grant), o),
        *fmt);
  }
  std::string key = cache_key(ctx, s, person, generation, *access, p, base_path, everything);
  if (!key.empty()) {
    if (auto hit = s.cache->find_answer(key)) {
      record_inputs(s, ctx, *access, {}, hit->resources_json);
      copy_disclosures(audit_record, hit->audit);
      return set_kept_body(res, std::move(hit), o, *fmt);
    }
  }
  auto page = read_page(s, person, p);
  if (!page) {
    return page.error();
  }
  rapidjson::MemoryPoolAllocator<> pool;  // every resource of the page: one pool, freed at once
  std::vector<record::Entry> entries;
  entries.reserve(page->records.size());
  for (const auto& r : page->records) {
    if (p.types.size() > 1 &&
        std::find(p.types.begin(), p.types.end(), r.key.resource_type) == p.types.end()) {
      continue;
    }
    auto e = record::make_entry(r, s.sensitive, &pool);
    if (!e) {
      return e.error();
    }
    entries.push_back(std::move(*e));
  }
  record::order_entries(entries);
  auto resources = resources_of(entries);
  record_inputs(s, ctx, *access, resources);
  std::optional<std::string> next = page->next_cursor;
  if (next && !everything) {
    // A search must not reveal that hidden matches exist: offer "next" only if a later page
    // holds something this user may see.
    auto shown = more_to_show(s, person, p, access->grant, *next);
    if (!shown) {
      return shown.error();
    }
    if (!*shown) {
      next.reset();
    }
  }
  if (next) {
    o.next = page_url(base_path, p, *next);
  }
  o.total = !next && p.cursor.empty();
  if (everything && p.cursor.empty()) {
    o.patient_json = identity::patient_json(person);
    o.patient_source = ctx.organisation->ods.str();
  }
  auto assembled = record::assemble(access->grant, entries, o);
  if (!assembled) {
    return assembled.error();
  }
  fill_audit(audit_record, *assembled, *access);
  if (!key.empty()) {
    auto answer = std::make_shared<record::CachedAnswer>();
    answer->tail = record::split_bundle(assembled->json, o.id, o.timestamp);
    if (!answer->tail.empty()) {
      copy_disclosures(answer->audit, audit_record);
      // The list a kept answer discloses, checked and encoded for its audit records once.
      auto prepared = audit::prepare_disclosures(std::move(answer->audit.disclosed));
      answer->audit.disclosed.clear();
      if (prepared) {
        answer->audit.prepared_disclosed = std::move(*prepared);
        // Its digest too, once here: every read of the kept answer records it by reference.
        answer->resources_json = policy::prepare_recorded_resources(resources);
        s.cache->put_answer(std::move(key), std::move(answer), pin_of(ctx, s));
      }
    }
  }
  return set_fhir_body(res, std::move(assembled->json), *fmt);
}

std::string json_str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) {
    return {};
  }
  return {v[key].GetString(), v[key].GetStringLength()};
}

}  // namespace

Result<void> record_everything(const http::Request& req, RequestContext& ctx, http::Response& res,
                               const RecordServices& s) {
  auto p = parse_params(req, false);
  if (!p) {
    return p.error();
  }
  if (ctx.route->params.empty()) {
    return make_error(Errc::kInternal, "$everything without a patient id");
  }
  auto found = find_person(s, ctx.route->params.front());
  if (!found) {
    return found.error();
  }
  return serve_record(req, ctx, res, s, *found, *p, true);
}

Result<void> record_search(const http::Request& req, RequestContext& ctx, http::Response& res,
                           const RecordServices& s) {
  auto p = parse_params(req, true);
  if (!p) {
    return p.error();
  }
  // The route names the type: /fhir/<Type>.
  std::string_view path = req.path();
  p->types.assign(1, std::string(path.substr(path.rfind('/') + 1)));
  auto id = patient_id_of_param(*p->patient);
  if (!id) {
    return id.error();
  }
  auto found = find_person(s, *id);
  if (!found) {
    return found.error();
  }
  return serve_record(req, ctx, res, s, *found, *p, false);
}

Result<void> break_glass_open(const http::Request& req, RequestContext& ctx, http::Response& res,
                              const RecordServices& s) {
  if (s.break_glass == nullptr) {
    return make_error(Errc::kUnavailable, "break-glass is not available on this gateway");
  }
  if (ctx.route->params.empty()) {
    return make_error(Errc::kInternal, "$break-glass without a patient id");
  }
  auto person = find_patient(s.mpi, ctx.route->params.front());
  if (!person) {
    return person.error();
  }
  ctx.audit.push_back(base_record(audit::EventType::kBreakGlass, *person));
  auto body = fhir::parse_json(req.body);
  const auto reason = body && body->IsObject()
                          ? policy::parse_break_glass_reason(json_str(*body, "reason"))
                          : std::nullopt;
  if (!reason) {
    return make_error(Errc::kBadRequest,
                      "the body must be JSON: {\"reason\": \"emergency-treatment\" | "
                      "\"patient-request\" | \"safeguarding-concern\", \"justification\": "
                      "\"10 to 1000 characters\"}");
  }
  const std::string patient_id = identity::patient_id(person->person);
  policy::BreakGlassRequest request{ctx.user->user.id, patient_id, json_str(*body, "reason"),
                                    json_str(*body, "justification")};
  // Would the glass, once broken, let this user in? Ask the engine with a trial grant.
  const auto now = std::chrono::system_clock::now();
  const policy::BreakGlassGrant trial{
      request.user_id, patient_id, *reason, "", now, now + std::chrono::minutes(1)};
  auto access = authorise_request(ctx, s, *person, &trial);
  if (!access) {
    return access.error();
  }
  audit::AuditRecord& audit_record = ctx.audit.back();
  if (access->grant.effect == policy::Effect::kDeny) {
    record_denial(audit_record, access->grant);
    return make_error(
        Errc::kPolicyDenied,
        "break-glass is refused (" + std::string(policy::rule_name(access->grant.rule)) +
            "): no data-sharing agreement lets your role break the glass for this "
            "patient" +
            (access->grant.missing.empty() ? std::string()
                                           : " [missing: " + access->grant.missing + "]"));
  }
  auto grant = s.break_glass->open(
      request, policy::GrantOrigin{ctx.user->user.ods, ctx.request_id, ctx.user->user.role_code});
  if (!grant) {
    return grant.error();
  }
  ctx.opened_grant = *grant;  // linked to its audit record (or ended) by the dispatch stage
  if (access->grant.agreement != nullptr) {
    audit_record.dsa_id = access->grant.agreement->id;
    audit_record.dsa_version = access->grant.agreement->version;
  }
  audit_record.dsa_rule = std::string(policy::rule_name(access->grant.rule));
  audit_record.decision = audit::Decision::kBreakGlass;
  audit_record.break_glass_reason = std::string(policy::break_glass_reason_name(*reason));
  audit_record.detail = "break-glass opened until " + fhir::format_instant(grant->expires_at);
  if (s.break_glass_granted != nullptr) {
    s.break_glass_granted->with({ctx.user->user.ods, policy::break_glass_reason_name(*reason)})
        .inc();
  }
  // The alert line: who and why, never the patient (the audit record names them).
  log::warn("break_glass_opened", {{"user", ctx.user->user.id},
                                   {"organisation", ctx.user->user.ods},
                                   {"reason", policy::break_glass_reason_name(*reason)},
                                   {"request_id", ctx.request_id}});
  const std::string answer = parameters_json(
      {{"patient", "valueString", patient_id},
       {"reason", "valueCode", std::string(policy::break_glass_reason_name(*reason))},
       {"expires", "valueInstant", fhir::format_instant(grant->expires_at)}});
  auto fmt = negotiated_format(req);
  return set_fhir_body(res, answer, fmt ? *fmt : fhir::Format::kJson);
}

Result<void> break_glass_close(const http::Request& req, RequestContext& ctx, http::Response& res,
                               const RecordServices& s) {
  if (s.break_glass == nullptr) {
    return make_error(Errc::kUnavailable, "break-glass is not available on this gateway");
  }
  if (!ctx.route || ctx.route->params.empty() || !ctx.user) {
    return make_error(Errc::kInternal, "$break-glass-close without a patient id or user");
  }
  auto fmt = negotiated_format(req);
  if (!fmt) {
    return fmt.error();
  }
  auto person = find_patient(s.mpi, ctx.route->params.front());
  if (!person) {
    return person.error();
  }
  ctx.audit.push_back(base_record(audit::EventType::kBreakGlassClose, *person));
  // Only the user's own grant: the registry keys grants by user and patient.
  auto ended = s.break_glass->end(ctx.user->user.id, identity::patient_id(person->person));
  if (!ended) {
    return ended.error();
  }
  audit::AuditRecord& audit_record = ctx.audit.back();
  audit_record.related_seq = ended->audit_seq;  // the break-glass record it ends, when known
  audit_record.break_glass_reason =
      std::string(policy::break_glass_reason_name(ended->grant.reason));
  const std::string closed = fhir::format_instant(ended->closed_at.value_or(ctx.received));
  audit_record.detail = "break-glass ended early at " + closed + " (opened " +
                        fhir::format_instant(ended->grant.granted_at) + ", would have expired " +
                        fhir::format_instant(ended->grant.expires_at) + ")";
  log::info("break_glass_closed", {{"user", ctx.user->user.id},
                                   {"organisation", ctx.user->user.ods},
                                   {"request_id", ctx.request_id}});
  const std::string body = parameters_json(
      {{"patient", "valueString", ended->grant.nhs_number},
       {"reason", "valueCode", std::string(policy::break_glass_reason_name(ended->grant.reason))},
       {"opened", "valueInstant", fhir::format_instant(ended->grant.granted_at)},
       {"closed", "valueInstant", closed}});
  return set_fhir_body(res, body, *fmt);
}

}  // namespace gw::pipeline
