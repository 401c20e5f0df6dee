// Identities as JSON: the format of examples/demo/patients.json (the demo's synthetic patients),
// which a site can also use to load an initial patient index. One object per identity as one
// organisation's system describes it (see README.md, "Loading identities").
#pragma once

#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/identity/mpi_service.hpp"

namespace gw::identity {

/**
 * parse_identities_json: {"identities": [{source, local_id_type, local_id, nhs_number,
 * nhs_verification, family, given[], previous_families[], birth_date, birth_year_tolerance,
 * gender, address[], postcode, telecom[{system, value, use}]}, ...]}.
 * @param name the file name, for errors
 * @return the identities (message_id "<name>#<index>"), or kBadRequest naming the file, the
 * entry and the field at fault ("patients.json: identities[3].nhs_number: the check digit is
 * wrong ...").
 */
[[nodiscard]] Result<std::vector<IncomingIdentity>> parse_identities_json(std::string_view text,
                                                                          std::string_view name);

/** LoadSummary: what identify() did with each loaded identity. */
struct LoadSummary {
  std::size_t loaded = 0;
  std::size_t held_for_review = 0;
};

/** load_identities: identify() each in order (idempotent: known local ids are the same person). */
[[nodiscard]] Result<LoadSummary> load_identities(MpiService& mpi,
                                                  const std::vector<IncomingIdentity>& ids);

}  // namespace gw::identity
