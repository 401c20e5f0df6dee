// Assembling the shared care record's Bundle: the policy's decision for each entry, withheld
// entries and references to them removed, every kept entry marked with its source (meta.source
// and a Provenance per originating message), the same fact from several sources linked, and an
// OperationOutcome naming what was withheld and why (never what it was).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gateway/audit/record.hpp"
#include "gateway/config/config.hpp"
#include "gateway/policy/engine.hpp"
#include "gateway/policy/redact.hpp"
#include "gateway/record/facts.hpp"

namespace gw::record {

/** BundleOptions: what the Bundle says about itself. */
struct BundleOptions {
  std::string id;                   // Bundle.id (the request id)
  std::string timestamp;            // Bundle.timestamp (FHIR instant)
  std::string base;                 // "https://<host>/fhir": the Patient entry's fullUrl
  std::string self;                 // link self
  std::optional<std::string> next;  // link next, when there are more pages
  /** patient_json: the Patient resource to lead the Bundle ($everything), or empty (search). */
  std::string patient_json;
  /** patient_source: the organisation the Patient entry is decided as coming from. */
  std::string patient_source;
  /** notices: add the OperationOutcome of withheld items ($everything; never for a search,
   * where a notice would reveal that a hidden match exists). */
  bool notices = true;
  /** total: set Bundle.total (only when this is the only page: it counts kept entries). */
  bool total = false;
  const config::Config* config = nullptr;  // organisation names for Provenance (may be null)
};

/** Assembled: the Bundle and what the audit record must say about it. */
struct Assembled {
  std::string json;
  std::vector<audit::DisclosedItem> disclosed;
  policy::Decision summary;
  std::vector<policy::Notice> notices;
};

/**
 * full_url: the entry's fullUrl, "urn:uuid:<uuid>" derived from (source, type, id), so the same
 * resource keeps one fullUrl across pages and requests, and two sources' ids never collide.
 */
[[nodiscard]] std::string full_url(const store::ResourceKey& key);

/**
 * meta_source: "urn:caregw:ods:<ODS>" plus "#<message id>" when the originating message is
 * known (FHIR R4 meta.source: the source system, with the message as a fragment).
 */
[[nodiscard]] std::string meta_source(const store::StoredRecord& r);

/**
 * assemble: the searchset Bundle of `entries` (in order; order_entries first) under `grant`.
 * Every entry is decided (decide_all); withheld ones and every reference to them are removed
 * (policy::redact_bundle); each kept entry gets meta.source, and, where kept entries from other
 * sources have the same primary code (Entry::fact_key), one kSameFactUrl extension per other
 * source whose valueReference is the fullUrl of that source's first such entry; one Provenance per
 * originating message names the organisation (agent.who.identifier, ODS) and the message
 * (entity.what.identifier), with search.mode "include"; the OperationOutcome (search.mode
 * "outcome") comes last. The entries' documents are moved into the Bundle (not copied): afterwards
 * each Entry::doc is null, and the entries (and any pool their documents use) must outlive nothing
 * but this call.
 * @return kInternal only if the Bundle cannot be built (a bug)
 */
[[nodiscard]] Result<Assembled> assemble(const policy::AccessGrant& grant,
                                         std::vector<Entry>& entries, const BundleOptions& options);

/**
 * withheld_bundle: the Bundle for a patient who objected (or anything else that withholds the
 * whole record without an error): no entries but an OperationOutcome with one issue
 * (information, suppressed) coded with `rule` and saying `text`.
 */
[[nodiscard]] std::string withheld_bundle(policy::Rule rule, std::string_view text,
                                          const BundleOptions& options);

}  // namespace gw::record
