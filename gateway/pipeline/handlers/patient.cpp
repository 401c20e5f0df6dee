// Patient search and read over the MPI service. Demographics are a data category like any
// other: the policy engine decides each Patient that leaves (gateway/policy/README.md).
#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include "gateway/audit/chain.hpp"
#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/xml.hpp"
#include "gateway/identity/patient_resource.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"
#include "gateway/policy/recorder.hpp"
#include "gateway/policy/refusal.hpp"
#include "gateway/record/context.hpp"

namespace gw::pipeline {
namespace {

constexpr std::size_t kDefaultCount = 10;
constexpr std::size_t kMaxCount = 50;

/** The demographic parameters demographics_from_search understands, plus ours. */
bool known_parameter(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kKnown = {
      "identifier",         "family", "given",   "birthdate", "gender",
      "address-postalcode", "_count", "_format", "_pretty"};
  return std::find(kKnown.begin(), kKnown.end(), name) != kKnown.end();
}

Result<std::size_t> parse_count(std::string_view text) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n == 0) {
    return make_error(Errc::kBadRequest,
                      "_count must be a whole number from 1 to " + std::to_string(kMaxCount));
  }
  return std::min(n, kMaxCount);
}

/** by_identifier: the exact lookup of identifier=<system>|<value>. */
Result<std::optional<store::PersonView>> by_identifier(std::string_view token,
                                                       identity::MpiService& mpi) {
  const auto bar = token.find('|');
  if (bar == std::string_view::npos) {
    return make_error(Errc::kBadRequest,
                      "identifier must be <system>|<value>, e.g. "
                      "https://fhir.nhs.uk/Id/nhs-number|<NHS number>");
  }
  const auto system = token.substr(0, bar);
  const auto value = token.substr(bar + 1);
  if (system == kNhsNumberSystem) {
    auto n = NhsNumber::parse(value);
    if (!n) {
      return make_error(Errc::kBadRequest,
                        "identifier: the NHS number is not valid: " + n.error().detail);
    }
    return mpi.find_by_nhs_number(*n);
  }
  if (auto local = identity::parse_local_id_system(system, value)) {
    return mpi.find_by_local_id(*local);
  }
  return make_error(Errc::kBadRequest,
                    "identifier: unknown identifier system (use https://fhir.nhs.uk/Id/nhs-number "
                    "or urn:caregw:id:<ODS>:<type>)");
}

/** Demographics: the engine's decision on one Patient, with the grant that explains it. */
struct Demographics {
  policy::AccessGrant grant;
  policy::ResourceDecision decision;
  std::optional<policy::BreakGlassGrant> break_glass;
  std::optional<policy::RecordedInput> input;  // the decision's inputs, when they are recorded
};

/** requester_of: the certificate's organisation and the token's user. */
policy::Requester requester_of(const RequestContext& ctx) {
  return {ctx.organisation != nullptr ? ctx.organisation->ods.str() : std::string(),
          ctx.user ? ctx.user->user : policy::User{}};
}

/** refused: the 403 for demographics the policy does not allow (no patient data in it). */
Error refused(policy::Rule rule, const std::string& missing, bool looked_up,
              bool break_glass = false) {
  std::string why = policy::refusal_words(rule, "demographics");
  if (rule == policy::Rule::kNoLegitimateRelationship && break_glass) {
    why += "; if this is an emergency, break the glass: POST /fhir/Patient/{id}/$break-glass";
  }
  std::string detail = "patient demographics are refused (";
  detail.append(policy::rule_name(rule)).append("): ").append(why);
  if (!missing.empty()) {
    detail.append(" [missing: ").append(missing).append("]");
  }
  detail.append(looked_up ? "." : ". No patient was looked up.");
  return make_error(Errc::kPolicyDenied, std::move(detail));
}

/**
 * may_see_demographics: the part of the decision that does not depend on the patient, taken
 * before any lookup so that this refusal says nothing about who is known: the engine's own
 * organisation, agreement, validity and role checks (authorise with no patient), then an
 * agreement among those that covers demographics.
 */
Result<void> may_see_demographics(const PatientPolicy& pp, const policy::Requester& who,
                                  policy::TimePoint now) {
  const policy::AccessGrant g = policy::authorise(pp.index, who, policy::PatientContext{}, now);
  switch (g.rule) {
    case policy::Rule::kOrganisationMismatch:
    case policy::Rule::kNoAgreement:
    case policy::Rule::kAgreementNotValid:
    case policy::Rule::kRoleNotAllowed:
      return refused(g.rule, g.missing, false);
    default:
      break;
  }
  const int org = pp.index.org_index(who.user.ods);
  for (const auto c : pp.index.candidates(org, who.user.purpose)) {
    const policy::Agreement& a = pp.index.agreements()[c];
    const bool role =
        std::find(a.roles.begin(), a.roles.end(), who.user.role_code) != a.roles.end();
    if (a.valid_at(now) && role &&
        (a.categories & policy::category_bit(policy::DataCategory::kDemographics)) != 0) {
      return {};
    }
  }
  return refused(policy::Rule::kCategoryNotInAgreement, "demographics", false);
}

/** decide_demographics: the engine's decision on one person's Patient for this requester. */
Result<Demographics> decide_demographics(const RequestContext& ctx, const PatientPolicy& pp,
                                         const store::PersonView& person, policy::TimePoint now) {
  if (!ctx.config) {
    return make_error(Errc::kInternal, "Patient decision without a config");
  }
  auto patient = record::gather_patient_context(*ctx.config, pp.records, person);
  if (!patient) {
    return patient.error();
  }
  const policy::Requester who = requester_of(ctx);
  Demographics d;
  if (pp.break_glass != nullptr) {
    d.break_glass = pp.break_glass->active(who.user.id, patient->nhs_number);
  }
  d.grant =
      policy::authorise(pp.index, who, *patient, now, d.break_glass ? &*d.break_glass : nullptr);
  // The Patient shows one organisation's details (meta.source): decide on that source. A
  // person with no details held shows only identifiers: the requester's own view of them.
  std::string source = identity::details_source(person);
  if (source.empty()) {
    source = who.user.ods;
  }
  const std::string id = identity::patient_id(person.person);
  const policy::ResourceFacts facts{"Patient", id, policy::DataCategory::kDemographics, 0, source};
  d.decision = policy::decide(d.grant, facts);
  if (pp.recorder != nullptr) {
    policy::RecordedInput& in = d.input.emplace();
    in.id = ctx.request_id;
    in.requester = who;
    in.patient = std::move(*patient);
    in.at = std::chrono::time_point_cast<std::chrono::seconds>(now);
    in.break_glass = d.break_glass;
    in.resources.push_back(
        {"Patient", id, policy::DataCategory::kDemographics, 0, std::move(source)});
  }
  return d;
}

/** base_record: an audit record about one person (the NHS number, when they have one). */
audit::AuditRecord base_record(audit::EventType type, const store::PersonView& p,
                               std::string detail) {
  audit::AuditRecord r;
  r.type = type;
  if (p.person.nhs_number) {
    r.nhs_number = p.person.nhs_number->str();
  }
  r.detail = std::move(detail);
  return r;
}

/** record_decision: the agreement, rule and decision of a Patient decision, in the audit record. */
void record_decision(audit::AuditRecord& r, const Demographics& d) {
  const policy::Agreement* a =
      d.decision.agreement != nullptr ? d.decision.agreement : d.grant.agreement;
  if (a != nullptr) {
    r.dsa_id = a->id;
    r.dsa_version = a->version;
  }
  r.dsa_rule = std::string(policy::rule_name(d.decision.rule));
  if (d.decision.effect != policy::Effect::kPermit) {
    r.decision = audit::Decision::kDeny;
  } else if (d.decision.break_glass && d.break_glass) {
    r.decision = audit::Decision::kBreakGlass;
    r.break_glass_reason = std::string(policy::break_glass_reason_name(d.break_glass->reason));
  } else {
    r.decision = audit::Decision::kPermit;
  }
}

/** disclosed: the audit record of one Patient leaving in a response (its content digest only). */
audit::AuditRecord disclosed(audit::EventType type, const store::PersonView& p, std::string detail,
                             const Demographics& d) {
  audit::AuditRecord r = base_record(type, p, std::move(detail));
  r.disclosed.push_back(
      {"Patient", identity::patient_id(p.person), audit::sha256_hex(identity::patient_json(p))});
  record_decision(r, d);
  return r;
}

}  // namespace

Result<fhir::Format> negotiated_format(const http::Request& req) {
  std::string format;
  (void)http::query_param(req.query(), "_format", format);
  return fhir::response_format(format, req.headers.get("Accept"));
}

std::string base_url(const http::Request& req) {
  const std::string_view host = req.headers.get("Host");
  return "https://" + std::string(host.empty() ? "localhost" : host) + "/fhir";
}

Result<void> set_fhir_body(http::Response& res, std::string json, fhir::Format fmt) {
  if (fmt == fhir::Format::kXml) {
    auto doc = fhir::parse_json(json);
    auto xml =
        doc ? fhir::json_to_xml(*doc, fhir::FhirVersion::kR4) : Result<std::string>(doc.error());
    if (!xml) {
      return make_error(Errc::kInternal,
                        "the resource could not be written as XML: " + xml.error().detail);
    }
    json = std::move(*xml);
  }
  res.status = 200;
  res.headers.set("Content-Type", std::string(fhir::media_type(fmt)));
  res.body = std::move(json);
  return {};
}

Result<void> patient_search(const http::Request& req, RequestContext& ctx, http::Response& res,
                            identity::MpiService& mpi, const PatientPolicy& policy) {
  auto fmt = negotiated_format(req);
  if (!fmt) {
    return fmt.error();
  }
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  std::size_t count = kDefaultCount;
  std::optional<std::string> identifier;
  bool demographic = false;
  for (const auto& [name, value] : *params) {
    if (!known_parameter(name)) {
      return make_error(Errc::kBadRequest, "unknown search parameter '" + name +
                                               "' (Patient takes identifier, family, given, "
                                               "birthdate, gender, address-postalcode, _count)");
    }
    if (name == "_count") {
      auto c = parse_count(value);
      if (!c) {
        return c.error();
      }
      count = *c;
    } else if (name == "identifier") {
      if (identifier) {
        return make_error(Errc::kBadRequest, "identifier may be given once");
      }
      identifier = value;
    } else if (!name.starts_with('_')) {
      demographic = true;
    }
  }
  if (identifier && demographic) {
    return make_error(Errc::kBadRequest,
                      "search by identifier or by demographics, not both in one request");
  }
  const auto now = std::chrono::system_clock::now();
  if (auto allowed = may_see_demographics(policy, requester_of(ctx), now); !allowed) {
    return allowed.error();
  }
  std::vector<store::PersonView> people;
  std::vector<identity::SearchEntry> entries;
  std::vector<identity::SearchMatch> matches;
  if (identifier) {
    auto found = by_identifier(*identifier, mpi);
    if (!found) {
      return found.error();
    }
    if (found->has_value()) {
      people.push_back(std::move(**found));
    }
    for (const auto& p : people) {
      entries.push_back({&p, std::nullopt});
    }
  } else {
    auto query = identity::demographics_from_search(*params);
    if (!query) {
      return query.error();
    }
    auto found = mpi.search(*query, count);
    if (!found) {
      return found.error();
    }
    matches = std::move(*found);
    for (const auto& m : matches) {
      entries.push_back({&m.person, m.score});
    }
  }
  // Each candidate passes the engine; one left out is audited as a denial, and the Bundle (its
  // total included) does not hint at it, as for the record searches.
  std::vector<identity::SearchEntry> shown;
  std::vector<policy::RecordedInput> inputs;  // for the dry run (policy/recorder.hpp)
  for (const auto& e : entries) {
    auto d = decide_demographics(ctx, policy, *e.person, now);
    if (!d) {
      return d.error();
    }
    if (d->input) {
      // One line per candidate decided; the request id, numbered, names each.
      d->input->id.append("-").append(std::to_string(inputs.size() + 1));
      inputs.push_back(std::move(*d->input));
    }
    if (d->decision.effect == policy::Effect::kPermit) {
      ctx.audit.push_back(
          disclosed(audit::EventType::kRecordSearch, *e.person, "Patient search", *d));
      shown.push_back(e);
    } else {
      auto& r = ctx.audit.emplace_back(
          base_record(audit::EventType::kRecordSearch, *e.person, "Patient search: withheld"));
      record_decision(r, *d);
    }
  }
  if (policy.recorder != nullptr) {
    policy.recorder->record(inputs);
  }
  const std::string base = base_url(req);
  const std::string self =
      base + "/Patient" + (req.query().empty() ? "" : "?") + std::string(req.query());
  return set_fhir_body(res,
                       identity::search_bundle_json(shown, base, self, ctx.request_id,
                                                    fhir::format_instant(ctx.received)),
                       *fmt);
}

Result<void> patient_read(const http::Request& req, RequestContext& ctx, http::Response& res,
                          identity::MpiService& mpi, const PatientPolicy& policy) {
  auto fmt = negotiated_format(req);
  if (!fmt) {
    return fmt.error();
  }
  if (ctx.route->params.empty()) {
    return make_error(Errc::kInternal, "Patient read without an id");
  }
  auto ref = identity::parse_patient_id(ctx.route->params.front());
  if (!ref) {
    return ref.error();
  }
  const auto now = std::chrono::system_clock::now();
  if (auto allowed = may_see_demographics(policy, requester_of(ctx), now); !allowed) {
    // The audit names the number asked for; the refusal itself says nothing about it.
    auto& r = ctx.audit.emplace_back();
    r.type = audit::EventType::kRecordRead;
    r.detail = "Patient read";
    if (ref->nhs_number) {
      r.nhs_number = ref->nhs_number->str();
    }
    return allowed.error();
  }
  auto found =
      ref->nhs_number ? mpi.find_by_nhs_number(*ref->nhs_number) : mpi.person(*ref->person);
  if (!found) {
    return found.error();
  }
  if (!found->has_value()) {
    return make_error(Errc::kNotFound, "no patient with that id is known to this gateway");
  }
  auto d = decide_demographics(ctx, policy, **found, now);
  if (!d) {
    return d.error();
  }
  if (d->input && policy.recorder != nullptr) {
    policy.recorder->record(std::span<const policy::RecordedInput>(&*d->input, 1));
  }
  if (d->decision.effect != policy::Effect::kPermit) {
    auto& r =
        ctx.audit.emplace_back(base_record(audit::EventType::kRecordRead, **found, "Patient read"));
    record_decision(r, *d);
    // The break-glass route is offered only where the agreement allows it.
    const bool bg_allowed =
        d->grant.agreement != nullptr && d->grant.agreement->break_glass_allowed;
    return refused(d->decision.rule, d->grant.missing, true, bg_allowed);
  }
  ctx.audit.push_back(disclosed(audit::EventType::kRecordRead, **found, "Patient read", *d));
  return set_fhir_body(res, identity::patient_json(**found), *fmt);
}

}  // namespace gw::pipeline
