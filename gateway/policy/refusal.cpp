// Refusals in words.
#include "gateway/policy/refusal.hpp"

namespace gw::policy {

std::string refusal_words(Rule r, std::string_view data) {
  switch (r) {
    case Rule::kNoAgreement:
      return "no data-sharing agreement covers your organisation for this purpose of use";
    case Rule::kAgreementNotValid:
      return "the data-sharing agreement is not in force";
    case Rule::kRoleNotAllowed:
      return "your role is not covered by the data-sharing agreement";
    case Rule::kOrganisationMismatch:
      return "the token's organisation is not the certificate's";
    case Rule::kCategoryNotInAgreement: {
      std::string words =
          "no data-sharing agreement for your organisation, purpose and role covers ";
      words.append(data);
      return words;
    }
    case Rule::kNoLegitimateRelationship:
      return "no legitimate relationship with this patient was found (registration, an open or "
             "recent admission or attendance, a care episode or case, an ambulance incident)";
    case Rule::kPatientObjection:
      return "withheld at the patient's request (the patient opted out of the shared record)";
    case Rule::kSourceNotInAgreement:
      return "no data-sharing agreement covers the organisation these details came from";
    default:
      return "the policy refused it";
  }
}

}  // namespace gw::policy
