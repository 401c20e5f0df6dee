// Each adapter's declared schema: the FHIR elements its value maps may target. A value map whose
// `target` is not in its adapter's list is an error, so a typo never silently maps nowhere.
#pragma once

#include <span>
#include <string_view>

#include "gateway/mapping/mapping_set.hpp"

namespace gw::mapping {

/** target_elements: the target elements `adapter`'s value maps may name, in a stable order. */
[[nodiscard]] std::span<const std::string_view> target_elements(Adapter adapter);

/** is_target_element: whether `element` is in `adapter`'s schema. */
[[nodiscard]] bool is_target_element(Adapter adapter, std::string_view element);

}  // namespace gw::mapping
