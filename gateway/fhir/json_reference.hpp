// The reference JSON parse: parse_json's contract read by RapidJSON's iterative parser alone. It
// answers every refusal parse_json gives (with its byte offset), and tests and the fhir_json fuzz
// target compare parse_json's fast path against it.
#pragma once

#include <string_view>

#include "gateway/fhir/json.hpp"

namespace gw::fhir::detail {

/**
 * parse_json_reference: what parse_json answers, computed by RapidJSON's iterative SAX parser
 * with the same checks (UTF-8, depth, repeated keys, size, the inputs RapidJSON 1.1 mishandles),
 * without the simdjson fast path. Same result for every input; slower. Never throws.
 */
[[nodiscard]] Result<Json> parse_json_reference(std::string_view text,
                                                const ParseLimits& limits = {});

}  // namespace gw::fhir::detail
