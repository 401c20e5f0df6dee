// The demo's shared care records (examples/demo/records.json): FHIR R4 resources per patient
// per source organisation, and the merges the demo shows, loaded into the record store by
// `caregw serve --demo`. Idempotent: loading again stores nothing new.
#pragma once

#include <cstddef>
#include <string_view>

#include "gateway/core/error.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/store/record_store.hpp"

namespace gw::record {

/** DemoLoadSummary: what load_demo_records did. */
struct DemoLoadSummary {
  std::size_t records = 0;  // resources in the file
  std::size_t stored = 0;   // created or updated (0 on a restart)
  std::size_t merges = 0;   // merges applied (0 on a restart)
};

/**
 * load_demo_records: applies the file's "merges" (survivor and superseded local identifiers,
 * as MpiService::merge_local_ids; one already in place is skipped), then stores each of its
 * "records" ({"nhs_number", "source", "message_id", "resource"}) for the person holding the
 * NHS number, in one record store transaction.
 * @return kBadRequest naming the entry (by position) that is malformed or names an unknown
 * NHS number or identifier; the store's error if it cannot write
 */
[[nodiscard]] Result<DemoLoadSummary> load_demo_records(identity::MpiService& mpi,
                                                        store::RecordStore& records,
                                                        std::string_view json);

}  // namespace gw::record
