// Whether the agreements allow a routed message to go to a recipient, and which of its
// resources: the DSA check of every delivery (DESIGN.md, inbound flow: "per recipient: policy").
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "gateway/core/ids.hpp"
#include "gateway/ingest/adapter.hpp"
#include "gateway/policy/engine.hpp"
#include "gateway/policy/sensitive_codes.hpp"

namespace gw::ingest {

/** DeliveryDecision: what may go to one recipient. */
struct DeliveryDecision {
  bool allowed = false;
  const policy::Agreement* agreement = nullptr;  // the agreement relied on (allowed)
  std::vector<std::size_t> resources{};          // indexes of the resources that may go
  policy::CategorySet withheld = 0;              // categories left out
  policy::SensitivitySet withheld_classes = 0;   // legal exclusions left out
  std::string reason{};                          // operator-safe: why denied, or what was left out
};

/**
 * message_sensitivity: the sensitivity classes (legal exclusions) of each of the message's
 * resources, as the shared record classifies them on reading (record::sensitivity_of: meta.security
 * labels and the code lists through `classifier`, which may be null). A resource that does not
 * parse counts as none here (the store refuses it later).
 */
[[nodiscard]] std::vector<policy::SensitivitySet> message_sensitivity(
    const TranslatedMessage& msg, const policy::SensitiveCodeClassifier* classifier);

/**
 * strip_withheld_references: removes from each of `kept` (R4 JSON) every reference to a resource
 * of `msg` that is not in `decision.resources`, re-serialising only the resources that name one.
 */
void strip_withheld_references(const TranslatedMessage& msg, const DeliveryDecision& decision,
                               std::vector<TranslatedResource>& kept);

/**
 * resource_category: the data category of a translated resource: the policy vocabulary's usual
 * category for its type; Flag counts as safeguarding (the most restricted reading); the
 * supporting resources (Organization, Practitioner, PractitionerRole, Location, Provenance,
 * MessageHeader) have none and travel with whatever they support. nullopt: supporting.
 */
[[nodiscard]] std::optional<policy::DataCategory> resource_category(std::string_view type);

/**
 * check_delivery: a push from `sender` to `recipient` for direct care is allowed under the first
 * agreement (in file order) that names both organisations as parties, covers direct care and is
 * valid at `now`; only the resources whose category the agreement covers go (with their
 * supporting resources). Denied when no agreement applies or none of the clinical resources is
 * covered. A message with no clinical resource at all (demographics only) needs the
 * demographics category. A resource in a sensitivity class (`sensitivity[i]`, from
 * message_sensitivity; empty: none) never goes: a legal exclusion, whatever the agreement.
 */
[[nodiscard]] DeliveryDecision check_delivery(
    const policy::PolicyIndex& index, const OdsCode& sender, const OdsCode& recipient,
    const TranslatedMessage& msg, policy::TimePoint now,
    std::span<const policy::SensitivitySet> sensitivity = {});

}  // namespace gw::ingest
