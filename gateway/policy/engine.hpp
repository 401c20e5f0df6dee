// The policy engine: who may see which of a patient's records, for what purpose, and why.
// Pure: every input is handed in (requester, purpose, patient context, resource facts, time,
// any break-glass grant); nothing here reads files, clocks or the network.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/policy/agreement.hpp"
#include "gateway/policy/vocabulary.hpp"

namespace gw::policy {

/** User: the person asking, from the verified bearer token (gateway/auth). */
struct User {
  std::string id;         // SDS user id (token "sub")
  std::string name;       // display name, for audit only
  std::string role_code;  // NHS RBAC job role code, e.g. "R8000"
  std::string ods;        // the organisation the user acts for
  Purpose purpose = Purpose::kDirectCare;
};

/** Requester: the calling system (mTLS certificate's organisation) and the user. */
struct Requester {
  std::string system_ods;  // from the client certificate
  User user;
};

/** EpisodeKind: the kinds of care episode that can make a legitimate relationship. */
enum class EpisodeKind : std::uint8_t {
  kAdmission,
  kAttendance,
  kMentalHealthEpisode,
  kSocialCareCase,
  kAmbulanceIncident,
};

/** Episode: one admission, attendance, MH episode, social care case or ambulance incident. */
struct Episode {
  EpisodeKind kind = EpisodeKind::kAttendance;
  std::string org;  // ODS code of the organisation providing the care
  bool open = false;
  TimePoint start{};
  std::optional<TimePoint> end;  // when it closed (incidents: unset; `start` is the time)
  std::string care_coordinator;  // MH: the user id of the care coordinator, if any
};

/** PatientContext: what the caller gathered about the patient before asking. */
struct PatientContext {
  std::string nhs_number;
  std::string registered_practice;  // ODS code of the registered GP practice
  std::vector<Episode> episodes;
  bool objection = false;  // the patient has opted out of the shared record
};

/** ResourceFacts: what the policy needs to know about one resource (not its content). */
struct ResourceFacts {
  std::string_view resource_type;  // e.g. "Condition"
  std::string_view id;             // the resource's logical id
  DataCategory category = DataCategory::kDemographics;
  SensitivitySet sensitivity = 0;  // from SensitiveCodeClassifier and the adapters
  std::string_view source_org;     // ODS code of the organisation the data came from
};

/** BreakGlassGrant: an active break-glass, from BreakGlassRegistry (state lives there). */
struct BreakGlassGrant {
  std::string user_id;
  std::string nhs_number;
  BreakGlassReason reason = BreakGlassReason::kEmergencyTreatment;
  std::string justification;  // the user's free text (audit only; never in logs)
  TimePoint granted_at{};
  TimePoint expires_at{};
};

/** Effect: the outcome of a decision. */
enum class Effect : std::uint8_t { kPermit, kDeny, kPermitWithRedaction };

/** Rule: which rule decided (stable codes, used in audit, notices and explanations). */
enum class Rule : std::uint8_t {
  kPermitted,                 // an agreement, role and relationship allow it
  kPermittedByBreakGlass,     // allowed only because of an active break-glass
  kOrganisationMismatch,      // the token's organisation is not the certificate's
  kNoAgreement,               // no agreement between these parties for this purpose
  kAgreementNotValid,         // the only agreements have expired or are not yet valid
  kRoleNotAllowed,            // the user's role is not in the agreement
  kNoLegitimateRelationship,  // no relationship and no break-glass
  kPatientObjection,          // withheld at the patient's request
  kCategoryNotInAgreement,    // the agreement does not cover this kind of data
  kSourceNotInAgreement,      // no agreement covers data from this source organisation
  kLegalExclusion,            // a sensitive class: withheld always
};
[[nodiscard]] std::string_view rule_name(Rule r);

/** Relationship: which legitimate relationship rule matched, if any. */
enum class Relationship : std::uint8_t {
  kNone,
  kRegisteredPractice,
  kOpenOrRecentEncounter,
  kMentalHealthEpisode,
  kCareCoordinator,
  kSocialCareCase,
  kAmbulanceIncident,
};
[[nodiscard]] std::string_view relationship_name(Relationship r);

/** RelationshipRules: which rules are on, and their windows (config `policy:`). */
struct RelationshipRules {
  bool registered_practice = true;
  bool encounter = true;
  bool mental_health = true;
  bool social_care = true;
  bool ambulance = true;
  std::chrono::hours recent_encounter{24 * 28};
  std::chrono::hours ambulance_incident{24};

  /** from_config: the rules set in the config's `policy:` section. */
  [[nodiscard]] static RelationshipRules from_config(const config::PolicySettings& s);
};

/** find_relationship: the first rule (in the order above) relating this user to the patient. */
[[nodiscard]] Relationship find_relationship(const RelationshipRules& rules, const User& user,
                                             const PatientContext& patient, TimePoint now);

/** Step: one link in the chain of reasons (for explanations and audit). */
struct Step {
  std::string check;  // e.g. "agreement", "role", "relationship"
  bool passed = false;
  std::string detail;  // operator-safe text: codes and ids, never patient data
};

class PolicyIndex;

/** SourceGrant: the agreement covering data from one source organisation, if any. */
struct SourceGrant {
  const Agreement* agreement = nullptr;
  bool break_glass = false;  // that agreement applies only because of the break-glass
};

/**
 * AccessGrant: the resource-independent part of a decision for one request: which agreement
 * covers data from each source organisation, and the chain of reasons. Per-resource decisions
 * (decide()) then cost a hash lookup and two mask tests.
 */
struct AccessGrant {
  Effect effect = Effect::kDeny;  // kDeny: nothing may be shown; kPermit: decide per resource
  Rule rule = Rule::kNoAgreement;
  const Agreement* agreement = nullptr;  // the first agreement that applied (for reasons)
  bool break_glass = false;              // the grant relies on a break-glass
  Relationship relationship = Relationship::kNone;
  std::string missing;  // what was missing when denied (a role code, a relationship, ...)
  std::vector<Step> steps;
  /** by_source[i]: the agreement covering data from organisation i of the index. */
  std::vector<SourceGrant> by_source;
  const PolicyIndex* index = nullptr;
};

/** ResourceDecision: the decision for one resource. Small and allocation-free. */
struct ResourceDecision {
  Effect effect = Effect::kDeny;  // kPermit or kDeny
  Rule rule = Rule::kNoAgreement;
  DataCategory category = DataCategory::kDemographics;
  SensitivitySet withheld_classes = 0;   // the legal exclusions that applied
  const Agreement* agreement = nullptr;  // the agreement that allowed (or limited) it
  bool break_glass = false;
};

/** Decision: the summary of a request's decisions, for the response notice and the audit. */
struct Decision {
  Effect effect = Effect::kDeny;
  Rule rule = Rule::kNoAgreement;
  std::vector<const Agreement*> agreements;  // each agreement a permitted resource relied on
  std::string missing;
  CategorySet withheld_categories = 0;
  SensitivitySet withheld_classes = 0;
  std::size_t permitted = 0;
  std::size_t withheld = 0;
  bool break_glass = false;
  bool objection = false;  // something was withheld at the patient's request
  std::vector<Step> steps;
};

/**
 * PolicyIndex: the agreements compiled once (at config load) for cheap decisions: organisations
 * by ODS code, and per (requesting organisation, purpose) the candidate agreements.
 * Immutable after construction; safe to share between threads.
 */
class PolicyIndex {
public:
  /**
   * PolicyIndex: compiles `agreements` against the configured organisations.
   * @param agreements checked agreements (load_agreements); copied in
   * @param organisations ODS codes with their kinds (config.organisations)
   */
  PolicyIndex(std::vector<Agreement> agreements, const std::vector<config::Organisation>& orgs,
              RelationshipRules rules);

  /** org_index: the index of an organisation, or -1 if it is not configured. */
  [[nodiscard]] int org_index(std::string_view ods) const;
  [[nodiscard]] const std::vector<Agreement>& agreements() const { return agreements_; }
  [[nodiscard]] const RelationshipRules& rules() const { return rules_; }
  [[nodiscard]] std::size_t org_count() const { return orgs_.size(); }
  /** candidates: agreements naming `org` as a party for `purpose`, in file order. */
  [[nodiscard]] std::span<const std::uint32_t> candidates(int org, Purpose purpose) const;
  /** party: whether organisation `org` is a party of agreement `a`. */
  [[nodiscard]] bool party(std::uint32_t a, int org) const;

private:
  std::vector<Agreement> agreements_;
  std::vector<std::string> orgs_;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int, StringHash, std::equal_to<>> org_index_;
  std::vector<std::vector<bool>> party_;                // [agreement][org]
  std::vector<std::vector<std::uint32_t>> candidates_;  // [org * kPurposeCount + purpose]
  RelationshipRules rules_;
};

using PolicyIndexPtr = std::shared_ptr<const PolicyIndex>;

/**
 * authorise: the resource-independent checks for a request, in order: token organisation ==
 * certificate organisation; an agreement for this purpose naming the requester's organisation,
 * valid now; the user's role in it; a legitimate relationship (or an active break-glass the
 * agreement allows); the patient's objection (unless the agreement lets safeguarding or
 * break-glass override it). Pure.
 * @param break_glass the caller's active grant for (user, patient), if any; ignored unless it
 *        matches the user and patient and has not expired at `now`
 */
[[nodiscard]] AccessGrant authorise(const PolicyIndex& index, const Requester& requester,
                                    const PatientContext& patient, TimePoint now,
                                    const BreakGlassGrant* break_glass = nullptr);

/**
 * decide: one resource under a grant: deny unless the grant permits, an agreement covers the
 * resource's source organisation and category, and it is in no sensitive class. Pure, cheap
 * (no allocation), thread-safe.
 */
[[nodiscard]] ResourceDecision decide(const AccessGrant& grant, const ResourceFacts& resource);

/** decide: authorise + decide for one resource (the whole pure function in one call). */
[[nodiscard]] ResourceDecision decide(const PolicyIndex& index, const Requester& requester,
                                      const PatientContext& patient, const ResourceFacts& resource,
                                      TimePoint now, const BreakGlassGrant* break_glass = nullptr);

/**
 * decide_all: decisions for a record's resources, in order, and their summary (permit when all
 * are permitted, permit-with-redaction when some are, deny when none are).
 */
[[nodiscard]] Decision decide_all(const AccessGrant& grant,
                                  std::span<const ResourceFacts> resources,
                                  std::vector<ResourceDecision>& out);

}  // namespace gw::policy
