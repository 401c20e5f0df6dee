// Refusals in words: what the person refused is told about why (no patient data).
#pragma once

#include <string>
#include <string_view>

#include "gateway/policy/engine.hpp"

namespace gw::policy {

/** refusal_words: why a refusing rule refused, in words for the person refused (no patient
 * data); for `kCategoryNotInAgreement`, `data` names the kind of data asked for. */
[[nodiscard]] std::string refusal_words(Rule r, std::string_view data = "this kind of data");

}  // namespace gw::policy
