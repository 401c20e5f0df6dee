// Renderings of audit records for people and other systems: a text table, CSV (RFC 4180, with
// a reader for the round trip and for purge archives), and FHIR R4 AuditEvent (IHE BALP shaped)
// with a searchset Bundle (and a reader for the round trip).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/audit/query.hpp"
#include "gateway/core/error.hpp"

namespace gw::audit {

/** csv_header: the CSV header line (with CRLF). Columns are listed in gateway/audit/README.md. */
[[nodiscard]] std::string csv_header();
/**
 * csv_row: one record as a CSV line (CRLF). Cells that a spreadsheet would run as a formula
 * (starting = + - @ or ') are prefixed with ' and read_csv() strips it, so the round trip is
 * exact. Disclosed items and withheld categories are JSON arrays inside their cells.
 */
[[nodiscard]] std::string csv_row(const StoredRecord& s);
/** read_csv: reads csv_header() + csv_row() lines back. kBadRequest naming the line if not. */
[[nodiscard]] Result<std::vector<StoredRecord>> read_csv(std::string_view text);

/** render_table: a fixed-width text table for a terminal (one line per record). */
[[nodiscard]] std::string render_table(const std::vector<StoredRecord>& records);

/** kExtensionBase: the base URL of caregw's AuditEvent extensions. */
inline constexpr std::string_view kExtensionBase = "urn:caregw:audit:";

/**
 * audit_event_json: one record as a FHIR R4 AuditEvent after IHE BALP: type/subtype/action from
 * event_codes(); agents user (IRCP, requestor, role, purposeOfUse), client (DCM 110150, the
 * certificate subject, network address), organisation (v3-RoleClass PROV, ODS code) and server
 * (DCM 110153, the node); entities patient (NHS number), data (one per disclosed item with its
 * SHA-256), X-Request-Id, the DSA (Consent) and withheld categories; seq, hash and the other
 * caregw fields as extensions.
 */
[[nodiscard]] std::string audit_event_json(const StoredRecord& s, bool pretty = false);

/**
 * audit_bundle_json: a FHIR searchset Bundle of a page; `self_url` is the query that made it,
 * and a `next` link (self_url + "&_cursor=...") is added when the page has a next cursor.
 */
[[nodiscard]] std::string audit_bundle_json(const Page& page, std::string_view self_url,
                                            bool pretty = false);

/** read_audit_event_bundle: the records in an audit_bundle_json() Bundle (the round trip). */
[[nodiscard]] Result<std::vector<StoredRecord>> read_audit_event_bundle(std::string_view json);

}  // namespace gw::audit
