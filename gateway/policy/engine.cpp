// The policy engine's decision path: compile agreements into an index, authorise a request,
// decide each resource. No I/O.
#include "gateway/policy/engine.hpp"

#include <algorithm>
#include <array>

namespace gw::policy {

namespace {

constexpr std::array<std::string_view, 11> kRuleNames = {
    "permitted",
    "permitted-by-break-glass",
    "organisation-mismatch",
    "no-agreement",
    "agreement-not-valid",
    "role-not-allowed",
    "no-legitimate-relationship",
    "patient-objection",
    "category-not-in-agreement",
    "source-not-in-agreement",
    "legal-exclusion",
};

constexpr std::array<std::string_view, 7> kRelationshipNames = {
    "none",
    "registered-practice",
    "open-or-recent-admission-or-attendance",
    "open-mental-health-episode",
    "care-coordinator",
    "open-social-care-case",
    "recent-ambulance-incident",
};

bool has_role(const std::vector<std::string>& roles, std::string_view role) {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

std::string dsa_label(const Agreement& a) { return a.id + " v" + a.version; }

Relationship episode_relationship(const RelationshipRules& rules, const User& user,
                                  const Episode& e, TimePoint now) {
  switch (e.kind) {
    case EpisodeKind::kAdmission:
    case EpisodeKind::kAttendance:
      if (rules.encounter && e.org == user.ods &&
          (e.open || (e.end && *e.end <= now && now - *e.end <= rules.recent_encounter))) {
        return Relationship::kOpenOrRecentEncounter;
      }
      break;
    case EpisodeKind::kMentalHealthEpisode:
      if (rules.mental_health && e.open && e.org == user.ods) {
        return Relationship::kMentalHealthEpisode;
      }
      if (rules.mental_health && e.open && !e.care_coordinator.empty() &&
          e.care_coordinator == user.id) {
        return Relationship::kCareCoordinator;
      }
      break;
    case EpisodeKind::kSocialCareCase:
      if (rules.social_care && e.open && e.org == user.ods) {
        return Relationship::kSocialCareCase;
      }
      break;
    case EpisodeKind::kAmbulanceIncident:
      if (rules.ambulance && e.org == user.ods && e.start <= now &&
          now - e.start <= rules.ambulance_incident) {
        return Relationship::kAmbulanceIncident;
      }
      break;
  }
  return Relationship::kNone;
}

AccessGrant denied(AccessGrant g, Rule rule, std::string missing) {
  g.effect = Effect::kDeny;
  g.rule = rule;
  g.missing = std::move(missing);
  g.by_source.assign(g.by_source.size(), SourceGrant{});
  return g;
}

bool break_glass_active(const BreakGlassGrant* bg, const Requester& r,
                        const PatientContext& patient, TimePoint now) {
  return bg != nullptr && bg->user_id == r.user.id && bg->nhs_number == patient.nhs_number &&
         bg->granted_at <= now && now < bg->expires_at;
}

/** Candidate: one agreement that passed the checks, and whether it needs the break-glass. */
struct Accepted {
  std::uint32_t index;
  bool break_glass;
};

}  // namespace

std::string_view rule_name(Rule r) { return kRuleNames[static_cast<int>(r)]; }

std::string_view relationship_name(Relationship r) {
  return kRelationshipNames[static_cast<int>(r)];
}

RelationshipRules RelationshipRules::from_config(const config::PolicySettings& s) {
  RelationshipRules r;
  r.registered_practice = s.relationship_registered_practice;
  r.encounter = s.relationship_encounter;
  r.mental_health = s.relationship_mental_health;
  r.social_care = s.relationship_social_care;
  r.ambulance = s.relationship_ambulance;
  r.recent_encounter = std::chrono::hours{24} * s.recent_encounter_days;
  r.ambulance_incident = std::chrono::hours{s.ambulance_incident_hours};
  return r;
}

Relationship find_relationship(const RelationshipRules& rules, const User& user,
                               const PatientContext& patient, TimePoint now) {
  if (rules.registered_practice && !patient.registered_practice.empty() &&
      patient.registered_practice == user.ods) {
    return Relationship::kRegisteredPractice;
  }
  Relationship best = Relationship::kNone;
  for (const auto& e : patient.episodes) {
    const Relationship r = episode_relationship(rules, user, e, now);
    if (r != Relationship::kNone && (best == Relationship::kNone || r < best)) {
      best = r;
    }
  }
  return best;
}

PolicyIndex::PolicyIndex(std::vector<Agreement> agreements,
                         const std::vector<config::Organisation>& orgs, RelationshipRules rules)
    : agreements_(std::move(agreements)), rules_(rules) {
  for (const auto& o : orgs) {
    org_index_.emplace(o.ods.str(), static_cast<int>(orgs_.size()));
    orgs_.push_back(o.ods.str());
  }
  party_.assign(agreements_.size(), std::vector<bool>(orgs_.size(), false));
  candidates_.assign(orgs_.size() * kPurposeCount, {});
  for (std::uint32_t a = 0; a < agreements_.size(); ++a) {
    for (const auto& p : agreements_[a].parties) {
      for (std::size_t o = 0; o < orgs.size(); ++o) {
        if ((!p.ods.empty() && p.ods == orgs_[o]) || (p.kind && *p.kind == orgs[o].kind)) {
          party_[a][o] = true;
        }
      }
    }
    for (std::size_t o = 0; o < orgs_.size(); ++o) {
      for (std::size_t pu = 0; pu < kPurposeCount; ++pu) {
        if (party_[a][o] && agreements_[a].has_purpose(static_cast<Purpose>(pu))) {
          candidates_[o * kPurposeCount + pu].push_back(a);
        }
      }
    }
  }
}

int PolicyIndex::org_index(std::string_view ods) const {
  // A handful of organisations with short codes: a linear scan of SSO strings beats hashing.
  if (orgs_.size() <= 16) {
    for (std::size_t i = 0; i < orgs_.size(); ++i) {
      if (orgs_[i] == ods) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }
  const auto it = org_index_.find(ods);
  return it == org_index_.end() ? -1 : it->second;
}

std::span<const std::uint32_t> PolicyIndex::candidates(int org, Purpose purpose) const {
  if (org < 0) {
    return {};
  }
  return candidates_[static_cast<std::size_t>(org) * kPurposeCount +
                     static_cast<std::size_t>(purpose)];
}

bool PolicyIndex::party(std::uint32_t a, int org) const {
  return org >= 0 && party_[a][static_cast<std::size_t>(org)];
}

AccessGrant authorise(const PolicyIndex& index, const Requester& requester,
                      const PatientContext& patient, TimePoint now,
                      const BreakGlassGrant* break_glass) {
  AccessGrant g;
  g.index = &index;
  g.by_source.assign(index.org_count(), SourceGrant{});
  const User& u = requester.user;
  if (u.ods != requester.system_ods) {
    g.steps.push_back({"organisation", false,
                       "the token's organisation " + u.ods + " is not the certificate's " +
                           requester.system_ods});
    return denied(std::move(g), Rule::kOrganisationMismatch, "token organisation " + u.ods);
  }
  g.steps.push_back({"organisation", true, "token and certificate organisation " + u.ods});

  const int org = index.org_index(u.ods);
  const auto candidates = index.candidates(org, u.purpose);
  if (candidates.empty()) {
    g.steps.push_back(
        {"agreement", false,
         "no agreement names " + u.ods + " for purpose " + std::string(purpose_name(u.purpose))});
    return denied(std::move(g), Rule::kNoAgreement,
                  "an agreement naming " + u.ods + " for " + std::string(purpose_name(u.purpose)));
  }
  std::vector<std::uint32_t> valid;
  for (auto c : candidates) {
    const Agreement& a = index.agreements()[c];
    if (a.valid_at(now)) {
      valid.push_back(c);
    } else {
      g.steps.push_back({"agreement", false, dsa_label(a) + " is not valid at this time"});
    }
  }
  if (valid.empty()) {
    g.agreement = &index.agreements()[candidates.front()];
    return denied(std::move(g), Rule::kAgreementNotValid,
                  "an agreement valid now (" + dsa_label(*g.agreement) + " is not)");
  }

  std::vector<std::uint32_t> role_ok;
  for (auto c : valid) {
    const Agreement& a = index.agreements()[c];
    if (has_role(a.roles, u.role_code)) {
      role_ok.push_back(c);
      g.steps.push_back({"role", true, "role " + u.role_code + " is allowed by " + dsa_label(a)});
    } else {
      g.steps.push_back({"role", false, "role " + u.role_code + " is not in " + dsa_label(a)});
    }
  }
  if (role_ok.empty()) {
    g.agreement = &index.agreements()[valid.front()];
    return denied(std::move(g), Rule::kRoleNotAllowed, "role " + u.role_code);
  }

  g.relationship = find_relationship(index.rules(), u, patient, now);
  const bool bg_active = break_glass_active(break_glass, requester, patient, now);
  if (g.relationship != Relationship::kNone) {
    g.steps.push_back({"relationship", true, std::string(relationship_name(g.relationship))});
  }
  if (break_glass != nullptr && !bg_active) {
    g.steps.push_back(
        {"break-glass", false, "the break-glass given is not active for this user and patient"});
  }

  std::vector<Accepted> accepted;
  Rule last_failure = Rule::kNoLegitimateRelationship;
  for (auto c : role_ok) {
    const Agreement& a = index.agreements()[c];
    const bool bg_usable =
        bg_active && a.break_glass_allowed && has_role(a.break_glass_roles, u.role_code);
    bool uses_bg = false;
    if (a.relationship_required && g.relationship == Relationship::kNone) {
      if (!bg_usable) {
        g.steps.push_back({"relationship", false,
                           dsa_label(a) + " requires a legitimate relationship and none was found" +
                               (a.break_glass_allowed ? " (break-glass is allowed)" : "")});
        continue;
      }
      uses_bg = true;
      g.steps.push_back({"break-glass", true,
                         dsa_label(a) + ": break-glass (" +
                             std::string(break_glass_reason_name(break_glass->reason)) +
                             ") stands in for the legitimate relationship"});
    }
    if (patient.objection) {
      const bool by_safeguarding =
          u.purpose == Purpose::kSafeguarding && a.objection_overridden_by_safeguarding;
      const bool by_bg = !by_safeguarding && bg_usable && a.objection_overridden_by_break_glass;
      if (!by_safeguarding && !by_bg) {
        last_failure = Rule::kPatientObjection;
        g.steps.push_back({"objection", false,
                           "the patient has objected to sharing and " + dsa_label(a) +
                               " does not override it for this request"});
        continue;
      }
      uses_bg = uses_bg || by_bg;
      g.steps.push_back({"objection", true,
                         dsa_label(a) + " overrides the patient's objection for " +
                             (by_safeguarding ? "safeguarding" : "break-glass")});
    }
    accepted.push_back({c, uses_bg});
  }
  if (accepted.empty()) {
    g.agreement = &index.agreements()[role_ok.front()];
    return denied(std::move(g), last_failure,
                  last_failure == Rule::kPatientObjection
                      ? "withheld at the patient's request"
                      : "a legitimate relationship (or a break-glass the agreement allows)");
  }
  for (std::size_t o = 0; o < index.org_count(); ++o) {
    for (const auto& acc : accepted) {
      if (index.party(acc.index, static_cast<int>(o))) {
        g.by_source[o] = SourceGrant{&index.agreements()[acc.index], acc.break_glass};
        break;
      }
    }
  }
  g.agreement = &index.agreements()[accepted.front().index];
  g.break_glass = std::any_of(accepted.begin(), accepted.end(),
                              [](const Accepted& a) { return a.break_glass; });
  g.effect = Effect::kPermit;
  g.rule = g.break_glass ? Rule::kPermittedByBreakGlass : Rule::kPermitted;
  g.steps.push_back({"agreement", true, "access under " + dsa_label(*g.agreement)});
  return g;
}

ResourceDecision decide(const AccessGrant& grant, const ResourceFacts& resource) {
  ResourceDecision d;
  d.category = resource.category;
  d.agreement = grant.agreement;
  if (grant.effect != Effect::kPermit) {
    d.rule = grant.rule;
    return d;
  }
  const int src = grant.index->org_index(resource.source_org);
  if (src < 0 || grant.by_source[static_cast<std::size_t>(src)].agreement == nullptr) {
    d.rule = Rule::kSourceNotInAgreement;
    return d;
  }
  const SourceGrant& sg = grant.by_source[static_cast<std::size_t>(src)];
  d.agreement = sg.agreement;
  if (resource.sensitivity != 0) {
    d.rule = Rule::kLegalExclusion;
    d.withheld_classes = resource.sensitivity;
    return d;
  }
  if ((sg.agreement->categories & category_bit(resource.category)) == 0) {
    d.rule = Rule::kCategoryNotInAgreement;
    return d;
  }
  d.effect = Effect::kPermit;
  d.break_glass = sg.break_glass;
  d.rule = sg.break_glass ? Rule::kPermittedByBreakGlass : Rule::kPermitted;
  return d;
}

ResourceDecision decide(const PolicyIndex& index, const Requester& requester,
                        const PatientContext& patient, const ResourceFacts& resource, TimePoint now,
                        const BreakGlassGrant* break_glass) {
  const AccessGrant g = authorise(index, requester, patient, now, break_glass);
  return decide(g, resource);
}

Decision decide_all(const AccessGrant& grant, std::span<const ResourceFacts> resources,
                    std::vector<ResourceDecision>& out) {
  Decision d;
  d.steps = grant.steps;
  d.missing = grant.missing;
  d.objection = grant.rule == Rule::kPatientObjection;
  out.clear();
  out.reserve(resources.size());
  std::optional<Rule> first_denial;
  for (const auto& r : resources) {
    const ResourceDecision rd = decide(grant, r);
    out.push_back(rd);
    if (rd.effect == Effect::kPermit) {
      ++d.permitted;
      d.break_glass = d.break_glass || rd.break_glass;
      if (std::find(d.agreements.begin(), d.agreements.end(), rd.agreement) == d.agreements.end()) {
        d.agreements.push_back(rd.agreement);
      }
    } else {
      ++d.withheld;
      d.withheld_categories =
          static_cast<CategorySet>(d.withheld_categories | category_bit(rd.category));
      d.withheld_classes = static_cast<SensitivitySet>(d.withheld_classes | rd.withheld_classes);
      if (!first_denial) {
        first_denial = rd.rule;
      }
    }
  }
  if (grant.effect != Effect::kPermit) {
    d.effect = Effect::kDeny;
    d.rule = grant.rule;
  } else if (d.withheld == 0) {
    d.effect = Effect::kPermit;
    d.rule = grant.rule;
  } else if (d.permitted > 0) {
    d.effect = Effect::kPermitWithRedaction;
    d.rule = grant.rule;
  } else {
    d.effect = Effect::kDeny;
    d.rule = *first_denial;
  }
  return d;
}

}  // namespace gw::policy
