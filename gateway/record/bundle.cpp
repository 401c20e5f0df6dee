// The shared care record's Bundle: decide, redact, mark the source, link, explain.
#include "gateway/record/bundle.hpp"

#include <cstdint>
#include <map>
#include <utility>

#include "gateway/audit/chain.hpp"
#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/json.hpp"

namespace gw::record {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

constexpr std::string_view kOdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";
constexpr std::string_view kMessageIdSystem = "urn:caregw:message-id";
constexpr std::string_view kRuleSystem = "https://caregw.dev/CodeSystem/policy-rule";
constexpr std::string_view kActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

Value text(std::string_view s, Alloc& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

std::string org_name(const config::Config* cfg, std::string_view ods) {
  if (cfg != nullptr) {
    for (const auto& o : cfg->organisations) {
      if (o.ods.str() == ods) {
        return o.name;
      }
    }
  }
  return std::string(ods);
}

/** fnv1a: 64-bit FNV-1a of `s`, from `basis` (two bases give 128 stable bits). */
std::uint64_t fnv1a(std::string_view s, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/**
 * uuid_from: a name-based UUID in the RFC 4122 layout (version 5 and variant bits set), from two
 * 64-bit FNV-1a hashes of the name. It only has to be stable and unlikely to collide within a
 * record: no secret is involved, so no cryptographic hash is spent on it.
 */
std::string uuid_from(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t halves[2] = {fnv1a(name, 0xcbf29ce484222325ULL),
                             fnv1a(name, 0x84222325cbf29ce4ULL)};
  halves[0] = (halves[0] & ~0xf000ULL) | 0x5000ULL;              // version 5
  halves[1] = (halves[1] & ~(0xc0ULL << 56)) | (0x80ULL << 56);  // variant 10
  std::string out;
  out.reserve(36);
  for (int half = 0; half < 2; ++half) {
    for (int i = 15; i >= 0; --i) {
      out += kHex[(halves[half] >> (i * 4)) & 0xf];
      const std::size_t n = out.size();
      if (n == 8 || n == 13 || n == 18 || n == 23) {
        out += '-';
      }
    }
  }
  return out;
}

void set_meta_source(Value& resource, std::string_view source, Alloc& a) {
  if (!resource.HasMember("meta") || !resource["meta"].IsObject()) {
    resource.RemoveMember("meta");
    resource.AddMember("meta", Value(rapidjson::kObjectType), a);
  }
  Value& meta = resource["meta"];
  meta.RemoveMember("source");
  meta.AddMember("source", text(source, a), a);
}

Value make_entry_json(std::string_view full, Value resource, std::string_view mode, Alloc& a) {
  Value entry(rapidjson::kObjectType);
  entry.AddMember("fullUrl", text(full, a), a);
  entry.AddMember("resource", resource, a);
  Value search(rapidjson::kObjectType);
  search.AddMember("mode", text(mode, a), a);
  entry.AddMember("search", search, a);
  return entry;
}

Value identifier(std::string_view system, std::string_view value, Alloc& a) {
  Value id(rapidjson::kObjectType);
  id.AddMember("system", text(system, a), a);
  id.AddMember("value", text(value, a), a);
  return id;
}

/** provenance: one Provenance for the kept entries of one originating message. */
Value provenance(const store::StoredRecord& first, const std::vector<std::string>& targets,
                 const std::string& recorded, const BundleOptions& o, Alloc& a) {
  const std::string& ods = first.key.source.str();
  const std::string id = uuid_from("provenance|" + ods + "|" + first.source_message_id);
  Value p(rapidjson::kObjectType);
  p.AddMember("resourceType", "Provenance", a);
  p.AddMember("id", text(id, a), a);
  Value target(rapidjson::kArrayType);
  for (const auto& t : targets) {
    Value ref(rapidjson::kObjectType);
    ref.AddMember("reference", text(t, a), a);
    target.PushBack(ref, a);
  }
  p.AddMember("target", target, a);
  p.AddMember("recorded", text(recorded, a), a);
  Value agent(rapidjson::kObjectType);
  Value who(rapidjson::kObjectType);
  who.AddMember("identifier", identifier(kOdsSystem, ods, a), a);
  who.AddMember("display", text(org_name(o.config, ods), a), a);
  agent.AddMember("who", who, a);
  Value agents(rapidjson::kArrayType);
  agents.PushBack(agent, a);
  p.AddMember("agent", agents, a);
  if (!first.source_message_id.empty()) {
    Value entity(rapidjson::kObjectType);
    entity.AddMember("role", "source", a);
    Value what(rapidjson::kObjectType);
    what.AddMember("identifier", identifier(kMessageIdSystem, first.source_message_id, a), a);
    entity.AddMember("what", what, a);
    Value entities(rapidjson::kArrayType);
    entities.PushBack(entity, a);
    p.AddMember("entity", entities, a);
  }
  return make_entry_json("urn:uuid:" + id, std::move(p), "include", a);
}

void add_same_fact(Value& resource, const std::string& other_url, std::string_view other_ods,
                   Alloc& a) {
  if (!resource.HasMember("extension") || !resource["extension"].IsArray()) {
    resource.RemoveMember("extension");
    resource.AddMember("extension", Value(rapidjson::kArrayType), a);
  }
  Value ext(rapidjson::kObjectType);
  ext.AddMember("url", text(kSameFactUrl, a), a);
  Value ref(rapidjson::kObjectType);
  ref.AddMember("reference", text(other_url, a), a);
  ref.AddMember("display", text("the same fact as recorded by " + std::string(other_ods), a), a);
  ext.AddMember("valueReference", ref, a);
  resource["extension"].PushBack(ext, a);
}

fhir::Json bundle_shell(const BundleOptions& o) {
  fhir::Json b(rapidjson::kObjectType);
  auto& a = b.GetAllocator();
  b.AddMember("resourceType", "Bundle", a);
  b.AddMember("id", text(o.id, a), a);
  b.AddMember("type", "searchset", a);
  b.AddMember("timestamp", text(o.timestamp, a), a);
  if (o.total) {
    b.AddMember("total", 0U, a);
  }
  Value links(rapidjson::kArrayType);
  auto link = [&](std::string_view rel, std::string_view url) {
    Value l(rapidjson::kObjectType);
    l.AddMember("relation", text(rel, a), a);
    l.AddMember("url", text(url, a), a);
    links.PushBack(l, a);
  };
  link("self", o.self);
  if (o.next) {
    link("next", *o.next);
  }
  b.AddMember("link", links, a);
  b.AddMember("entry", Value(rapidjson::kArrayType), a);
  return b;
}

}  // namespace

std::string full_url(const store::ResourceKey& key) {
  return "urn:uuid:" +
         uuid_from(key.source.str() + "|" + key.resource_type + "|" + key.resource_id);
}

std::string meta_source(const store::StoredRecord& r) {
  std::string s = "urn:caregw:ods:" + r.key.source.str();
  if (!r.source_message_id.empty()) {
    s += "#" + r.source_message_id;
  }
  return s;
}

Result<Assembled> assemble(const policy::AccessGrant& grant, std::vector<Entry>& entries,
                           const BundleOptions& o) {
  const bool with_patient = !o.patient_json.empty();
  fhir::Json patient;
  if (with_patient) {
    patient.Parse(o.patient_json.data(), o.patient_json.size());
    if (patient.HasParseError() || !patient.IsObject()) {
      return make_error(Errc::kInternal, "the Patient resource could not be read back");
    }
  }
  // Decide: the Patient (demographics, from the MPI) first, then every entry in order.
  std::vector<policy::ResourceFacts> facts;
  facts.reserve(entries.size() + 1);
  const std::string patient_id = with_patient ? std::string(patient["id"].GetString()) : "";
  if (with_patient) {
    facts.push_back(
        {"Patient", patient_id, policy::DataCategory::kDemographics, 0, o.patient_source});
  }
  for (const auto& e : entries) {
    facts.push_back(facts_of(e));
  }
  Assembled out;
  std::vector<policy::ResourceDecision> decisions;
  out.summary = policy::decide_all(grant, facts, decisions);

  fhir::Json bundle = bundle_shell(o);
  auto& a = bundle.GetAllocator();
  Value& list = bundle["entry"];
  if (with_patient) {
    Value r;
    r.CopyFrom(patient, a);
    list.PushBack(make_entry_json(o.base + "/Patient/" + patient_id, std::move(r), "match", a), a);
  }
  std::vector<std::string> urls;
  urls.reserve(entries.size());
  for (auto& e : entries) {
    urls.push_back(full_url(e.stored->key));
    // RapidJSON assignment moves: the values stay in the entry's allocator, which outlives the
    // Bundle (it is serialised before this returns), so nothing is copied.
    Value r;
    r = static_cast<Value&>(e.doc);
    set_meta_source(r, meta_source(*e.stored), a);
    list.PushBack(make_entry_json(urls.back(), std::move(r), "match", a), a);
  }
  auto redacted = policy::redact_bundle(bundle, decisions);
  if (!redacted) {
    return make_error(Errc::kInternal, "redaction failed: " + redacted.error().detail);
  }
  out.notices = std::move(redacted->notices);
  Value& kept = bundle["entry"];
  // The OperationOutcome (if any) is last; take it off while the rest is added.
  Value outcome;
  if (!out.notices.empty()) {
    outcome = kept[kept.Size() - 1];  // moves
    kept.PopBack();
  }
  // Kept entries, in order, with their position in the Bundle and their fullUrl.
  std::vector<std::pair<const Entry*, rapidjson::SizeType>> shown;
  std::vector<std::string> shown_urls;
  rapidjson::SizeType pos = 0;
  if (with_patient && decisions.front().effect == policy::Effect::kPermit) {
    out.disclosed.push_back({"Patient", patient_id, audit::sha256_hex(o.patient_json)});
    ++pos;
  }
  const std::size_t first = with_patient ? 1 : 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (decisions[first + i].effect != policy::Effect::kPermit) {
      continue;
    }
    const Entry& e = entries[i];
    shown.emplace_back(&e, pos++);
    shown_urls.push_back(std::move(urls[i]));
    out.disclosed.push_back({e.stored->key.resource_type, e.stored->key.resource_id,
                             audit::sha256_hex(e.stored->resource_json)});
  }
  // The same fact from several sources: link each entry to the first entry with the same code
  // from every other source (at most one link per other source, so a long record stays linear).
  std::map<std::string_view, std::vector<std::size_t>> by_fact;
  for (std::size_t i = 0; i < shown.size(); ++i) {
    if (!shown[i].first->fact_key.empty()) {
      by_fact[shown[i].first->fact_key].push_back(i);
    }
  }
  for (const auto& [key, group] : by_fact) {
    std::map<std::string_view, std::size_t> first_by_source;
    for (std::size_t j : group) {
      first_by_source.try_emplace(shown[j].first->stored->key.source.str(), j);
    }
    if (first_by_source.size() < 2) {
      continue;
    }
    for (std::size_t i : group) {
      const std::string& own = shown[i].first->stored->key.source.str();
      for (const auto& [source, j] : first_by_source) {
        if (source != own) {
          add_same_fact(kept[shown[i].second]["resource"], shown_urls[j], source, a);
        }
      }
    }
  }
  // One Provenance per originating message (source organisation + message id).
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> by_message;
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const auto& s = *shown[i].first->stored;
    by_message[{s.key.source.str(), s.source_message_id}].push_back(i);
  }
  for (const auto& [msg, group] : by_message) {
    std::vector<std::string> targets;
    store::TimePoint latest{};
    for (std::size_t i : group) {
      targets.push_back(shown_urls[i]);
      latest = std::max(latest, shown[i].first->stored->last_updated);
    }
    kept.PushBack(provenance(*shown[group.front()].first->stored, targets,
                             fhir::format_instant(latest), o, a),
                  a);
  }
  if (out.summary.break_glass) {
    Value meta(rapidjson::kObjectType);
    Value security(rapidjson::kArrayType);
    Value btg(rapidjson::kObjectType);
    btg.AddMember("system", text(kActReason, a), a);
    btg.AddMember("code", "BTG", a);
    btg.AddMember("display", "break the glass", a);
    security.PushBack(btg, a);
    meta.AddMember("security", security, a);
    bundle.AddMember("meta", meta, a);
  }
  if (!out.notices.empty() && o.notices) {
    kept.PushBack(outcome, a);
  }
  if (o.total) {
    bundle["total"].SetUint(static_cast<unsigned>(out.disclosed.size()));
  }
  out.json = fhir::to_json(bundle);
  return out;
}

std::string withheld_bundle(policy::Rule rule, std::string_view why, const BundleOptions& o) {
  fhir::Json bundle = bundle_shell(o);
  auto& a = bundle.GetAllocator();
  Value oo(rapidjson::kObjectType);
  oo.AddMember("resourceType", "OperationOutcome", a);
  Value issue(rapidjson::kObjectType);
  issue.AddMember("severity", "information", a);
  issue.AddMember("code", "suppressed", a);
  Value coding(rapidjson::kObjectType);
  coding.AddMember("system", text(kRuleSystem, a), a);
  coding.AddMember("code", text(policy::rule_name(rule), a), a);
  Value codings(rapidjson::kArrayType);
  codings.PushBack(coding, a);
  Value details(rapidjson::kObjectType);
  details.AddMember("coding", codings, a);
  details.AddMember("text", text(why, a), a);
  issue.AddMember("details", details, a);
  Value issues(rapidjson::kArrayType);
  issues.PushBack(issue, a);
  oo.AddMember("issue", issues, a);
  Value entry(rapidjson::kObjectType);
  entry.AddMember("resource", oo, a);
  Value search(rapidjson::kObjectType);
  search.AddMember("mode", "outcome", a);
  entry.AddMember("search", search, a);
  bundle["entry"].PushBack(entry, a);
  return fhir::to_json(bundle);
}

}  // namespace gw::record
