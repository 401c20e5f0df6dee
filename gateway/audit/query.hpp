// What the IG queries ask for: filters over the audit log, stable cursor paging by sequence
// number, and the page that comes back. The SQLite store answers them (sqlite/audit_store.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/audit/chain.hpp"
#include "gateway/audit/record.hpp"
#include "gateway/core/error.hpp"

namespace gw::audit {

/**
 * QueryFilter: every set field must match (AND). Empty strings and nullopt match anything.
 * Times are [from_us, to_us): from inclusive, to exclusive.
 */
struct QueryFilter {
  std::string nhs_number;
  std::string user_id;
  std::string org_ods;
  std::string purpose_of_use;
  std::optional<std::int64_t> from_us;
  std::optional<std::int64_t> to_us;
  std::vector<EventType> types;  // any of these
  std::optional<Outcome> outcome;
  std::optional<Decision> decision;
  bool break_glass_only = false;  // decision break-glass, or a break-glass event
  std::uint64_t related_seq = 0;  // records about this one (e.g. reviews of a break-glass)

  /** fingerprint: a short digest of the filter; cursors carry it so they fit only their query. */
  [[nodiscard]] std::string fingerprint() const;
  /** describe: the filter in words for the audit record of a query (carries no NHS number). */
  [[nodiscard]] std::string describe() const;
};

/** PageRequest: at most `limit` records (1..1000) after `cursor` ("" = from the start). */
struct PageRequest {
  std::size_t limit = 100;
  std::string cursor;
  bool newest_first = false;
};

/** StoredRecord: a record as stored, with the hash the chain holds for it. */
struct StoredRecord {
  AuditRecord record;
  Hash hash{};
  std::string unreadable;  // non-empty: a stored column could not be read back (names it)
};

/**
 * Page: the records of one page in seq order (descending when newest_first), and the cursor
 * for the next page ("" when this is the last). Paging is by seq, which only grows, so records
 * appended while a client pages never shift a page: no record is skipped or seen twice.
 */
struct Page {
  std::vector<StoredRecord> records;
  std::string next_cursor;
};

/** kMaxPageSize: the largest page a query returns. */
inline constexpr std::size_t kMaxPageSize = 1000;

/** Cursor: what an opaque cursor holds. */
struct Cursor {
  std::uint64_t after_seq = 0;
  bool newest_first = false;
  std::string fingerprint;
};

/** encode_cursor: an opaque URL-safe text for `c`. */
[[nodiscard]] std::string encode_cursor(const Cursor& c);
/**
 * decode_cursor: reads a cursor back. @return kBadRequest if it is malformed or was made for
 * another filter or order than `filter`/`newest_first`.
 */
[[nodiscard]] Result<Cursor> decode_cursor(std::string_view text, const QueryFilter& filter,
                                           bool newest_first);

}  // namespace gw::audit
