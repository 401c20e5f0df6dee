// The EMIS adapter's two inbound translations with the UK Core checks (gateway/fhir/validate.hpp)
// run on every resource they yield, on the documents the adapter builds, so the resources are not
// parsed back from their JSON to be checked. The message is exactly what translate() gives.
#pragma once

#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/fhir/validate.hpp"
#include "gateway/ingest/adapter.hpp"
#include "gateway/mapping/unmapped.hpp"

namespace gw::adapters::emis {

/** CheckedTranslation: a translated message and the UK Core checks' findings on its resources. */
struct CheckedTranslation {
  ingest::TranslatedMessage message;
  /** issues[i]: check_uk_core() of message.resources[i] (empty when it passes). */
  std::vector<std::vector<fhir::Issue>> issues;
};

/**
 * translate_emis_xml_checked: what make_emis_xml_adapter()->translate(sender, body, mapper)
 * gives, plus the UK Core checks of each resource, found as check_uk_core(parse_json(json))
 * would find them. A number the adapter writes that JSON cannot hold as a double (e.g. a
 * Quantity of 1e400) is an error issue ("value") on the resource. Thread-safe.
 */
[[nodiscard]] Result<CheckedTranslation> translate_emis_xml_checked(const OdsCode& sender,
                                                                    std::string_view body,
                                                                    const mapping::Mapper& mapper);

/**
 * translate_gpconnect_checked: what make_gpconnect_adapter()->translate(sender, body, mapper)
 * gives, plus the UK Core checks of each resource, run on the converted R4 documents before
 * they are written out. Thread-safe.
 */
[[nodiscard]] Result<CheckedTranslation> translate_gpconnect_checked(const OdsCode& sender,
                                                                     std::string_view body,
                                                                     const mapping::Mapper& mapper);

}  // namespace gw::adapters::emis
