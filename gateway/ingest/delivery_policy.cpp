#include "gateway/ingest/delivery_policy.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "gateway/fhir/json.hpp"
#include "gateway/policy/redact.hpp"
#include "gateway/record/facts.hpp"

namespace gw::ingest {

std::optional<policy::DataCategory> resource_category(std::string_view type) {
  static constexpr std::array<std::string_view, 6> kSupporting = {
      "Organization", "Practitioner", "PractitionerRole",
      "Location",     "Provenance",   "MessageHeader"};
  for (const auto s : kSupporting) {
    if (s == type) {
      return std::nullopt;
    }
  }
  if (type == "Flag") {
    return policy::DataCategory::kSafeguarding;
  }
  if (auto c = policy::category_for_resource_type(type)) {
    return c;
  }
  // Anything else (Bundle, Binary, QuestionnaireResponse, ...) is a document-like item.
  return policy::DataCategory::kDocuments;
}

namespace {

const policy::Agreement* find_agreement(const policy::PolicyIndex& index, const OdsCode& sender,
                                        const OdsCode& recipient, policy::TimePoint now,
                                        std::string& why) {
  const int r = index.org_index(recipient.str());
  const int s = index.org_index(sender.str());
  if (r < 0 || s < 0) {
    why = r < 0 ? "recipient " + recipient.str() + " is not a configured organisation"
                : "sender " + sender.str() + " is not a configured organisation";
    return nullptr;
  }
  bool expired = false;
  for (const auto a : index.candidates(r, policy::Purpose::kDirectCare)) {
    if (!index.party(a, s)) {
      continue;
    }
    const auto& agreement = index.agreements()[a];
    if (agreement.valid_at(now)) {
      return &agreement;
    }
    expired = true;
  }
  why = expired ? "the only agreements between " + sender.str() + " and " + recipient.str() +
                      " for direct care are not valid now"
                : "no agreement between " + sender.str() + " and " + recipient.str() +
                      " covers direct care";
  return nullptr;
}

}  // namespace

std::vector<policy::SensitivitySet> message_sensitivity(
    const TranslatedMessage& msg, const policy::SensitiveCodeClassifier* classifier) {
  std::vector<policy::SensitivitySet> out(msg.resources.size(), 0);
  for (std::size_t i = 0; i < msg.resources.size(); ++i) {
    const auto& r = msg.resources[i];
    if (r.deleted || r.json.empty() || !resource_category(r.resource_type)) {
      continue;
    }
    if (auto doc = fhir::parse_json(r.json)) {
      out[i] = record::sensitivity_of(*doc, classifier);
    }
  }
  return out;
}

void strip_withheld_references(const TranslatedMessage& msg, const DeliveryDecision& decision,
                               std::vector<TranslatedResource>& kept) {
  std::set<std::string, std::less<>> withheld;
  std::size_t next = 0;  // decision.resources is sorted
  for (std::size_t i = 0; i < msg.resources.size(); ++i) {
    if (next < decision.resources.size() && decision.resources[next] == i) {
      ++next;
      continue;
    }
    const auto& r = msg.resources[i];
    withheld.insert(r.resource_type + "/" + r.id);
  }
  if (withheld.empty()) {
    return;
  }
  for (auto& r : kept) {
    if (r.deleted || r.json.empty() ||
        std::none_of(withheld.begin(), withheld.end(),
                     [&](const std::string& w) { return r.json.find(w) != std::string::npos; })) {
      continue;
    }
    auto doc = fhir::parse_json(r.json);
    if (doc && policy::strip_references(*doc, withheld) > 0) {
      r.json = fhir::to_json(*doc);
    }
  }
}

DeliveryDecision check_delivery(const policy::PolicyIndex& index, const OdsCode& sender,
                                const OdsCode& recipient, const TranslatedMessage& msg,
                                policy::TimePoint now,
                                std::span<const policy::SensitivitySet> sensitivity) {
  DeliveryDecision d;
  d.agreement = find_agreement(index, sender, recipient, now, d.reason);
  if (d.agreement == nullptr) {
    return d;
  }
  std::vector<std::size_t> supporting;
  bool clinical = false;
  for (std::size_t i = 0; i < msg.resources.size(); ++i) {
    const auto c = resource_category(msg.resources[i].resource_type);
    if (!c) {
      supporting.push_back(i);
      continue;
    }
    if (*c != policy::DataCategory::kDemographics) {
      clinical = true;
    }
    if (i < sensitivity.size() && sensitivity[i] != 0) {
      d.withheld_classes |= sensitivity[i];  // a legal exclusion: never sent
    } else if ((d.agreement->categories & policy::category_bit(*c)) != 0) {
      d.resources.push_back(i);
    } else {
      d.withheld |= policy::category_bit(*c);
    }
  }
  const bool any_clinical_allowed = [&] {
    for (const auto i : d.resources) {
      const auto c = resource_category(msg.resources[i].resource_type);
      if (c && *c != policy::DataCategory::kDemographics) {
        return true;
      }
    }
    return false;
  }();
  const bool demographics_allowed =
      (d.agreement->categories & policy::category_bit(policy::DataCategory::kDemographics)) != 0;
  d.allowed = clinical ? any_clinical_allowed : demographics_allowed;
  const std::string legal =
      d.withheld_classes != 0
          ? "legal exclusion (" + policy::sensitivity_names(d.withheld_classes) + ")"
          : std::string();
  if (!d.allowed) {
    std::string what =
        d.withheld != 0 ? policy::category_names(d.withheld) : std::string("demographics");
    d.reason = d.withheld == 0 && !legal.empty()
                   ? "nothing left to send: " + legal
                   : "agreement " + d.agreement->id + " does not cover " + what +
                         (legal.empty() ? std::string() : "; " + legal);
    d.resources.clear();
    return d;
  }
  d.resources.insert(d.resources.end(), supporting.begin(), supporting.end());
  std::sort(d.resources.begin(), d.resources.end());
  if (d.withheld != 0 || !legal.empty()) {
    d.reason = "left out under agreement " + d.agreement->id + ": ";
    d.reason += d.withheld != 0 ? policy::category_names(d.withheld) : std::string();
    d.reason += d.withheld != 0 && !legal.empty() ? "; " : "";
    d.reason += legal;
  }
  return d;
}

}  // namespace gw::ingest
