// Offline translation of one message between the formats caregw speaks (`caregw translate` and
// the conformance suite). Today the FHIR formats; native formats arrive with their adapters.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/mapping/mapping_set.hpp"
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

/** Options: what native formats need besides the input. */
struct Options {
  /** mappings: the mapping set (as the server would use it); null: no mappings, codes as sent. */
  std::shared_ptr<const mapping::MappingSet> mappings{};
};

/**
 * translate: as above, with options. From hl7v2 (to fhir-r4 or fhir-r4-xml): a transaction
 * Bundle of the message's resources, Patient first (PUT per resource, DELETE for one the message
 * withdraws); the sender is MSH-4 when it is an ODS code. Refused with the error its ACK carries.
 */
[[nodiscard]] Result<Translation> translate(Kind from, Kind to, std::string_view input,
                                            const Options& options);

}  // namespace gw::translate
