// Offline translation of one message between the formats caregw speaks (`caregw translate` and
// the conformance suite). Today the FHIR formats; native formats arrive with their adapters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/mapping/unmapped.hpp"

namespace gw::translate {

enum class Kind {
  kHl7v2,
  kItk,
  kEmisXml,
  kMhJson,
  kLasJson,
  kAmbulanceJson,
  kFhirR4,
  kFhirR4Xml,
  kFhirStu3,
  kFhirStu3Xml,
  kGpConnect,  // a GP Connect Access Record: Structured bundle, read by the emis adapter
};

/** parse_kind: the command-line name ("fhir-r4", "hl7v2", ...) to a Kind. */
[[nodiscard]] std::optional<Kind> parse_kind(std::string_view name);
/** kind_name: the command-line name of a Kind. */
[[nodiscard]] std::string_view kind_name(Kind k);
/** kind_names: every name, comma-separated, for help and errors. */
[[nodiscard]] std::string kind_names();

/** Translation: the output text, and what the conversion could not carry over exactly. */
struct Translation {
  std::string output;
  std::vector<std::string> warnings;  // "path: message", never PHI
};

/**
 * translate: converts `input` from one format to another. Bad input is kBadRequest /
 * kUnprocessable with where it went wrong; a pair of formats that is not built yet is
 * kUnprocessable saying so. Never throws.
 */
[[nodiscard]] Result<Translation> translate(Kind from, Kind to, std::string_view input);

/**
 * translate: as above, with the mapping set native formats map their codes through (`emis-xml`
 * and `gpconnect` to `fhir-r4` print the adapter's resources as an R4 collection Bundle).
 */
[[nodiscard]] Result<Translation> translate(Kind from, Kind to, std::string_view input,
                                            const mapping::Mapper& mapper);

}  // namespace gw::translate
