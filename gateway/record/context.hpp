// The patient context the policy engine and the router need, gathered from the record store.
#pragma once

#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/policy/engine.hpp"
#include "gateway/store/mpi_types.hpp"
#include "gateway/store/record_store.hpp"

namespace gw::record {

/**
 * gather_patient_context: what the policy engine needs about a patient (registered practice,
 * open or recent episodes and cases, objection), read from the MPI person and their Encounter,
 * EpisodeOfCare and Consent records (patient_context). The context's nhs_number is the
 * Patient's logical id (the break-glass registry's key). Blocks on the store.
 */
[[nodiscard]] Result<policy::PatientContext> gather_patient_context(
    const config::Config& config, store::RecordReader& records, const store::PersonView& person);

/**
 * open_cases: the organisations with an open case for the patient: an open social care case or
 * mental health episode (an active EpisodeOfCare they filed), each once; what `patients:
 * open-case` subscriptions are routed by.
 */
[[nodiscard]] std::vector<OdsCode> open_cases(const policy::PatientContext& patient);

}  // namespace gw::record
