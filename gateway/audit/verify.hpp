// verify: proves the audit log was not altered. Walks the hash chain from the genesis (or the
// latest purge anchor) and checks every signed checkpoint, naming the first broken record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/audit/chain.hpp"
#include "gateway/audit/sqlite/audit_store.hpp"
#include "gateway/core/error.hpp"

namespace gw::audit {

/** VerifyReport: ok with the count, or the first bad record (or checkpoint) and what is wrong. */
struct VerifyReport {
  bool ok = true;
  std::uint64_t count = 0;        // records walked and found intact
  std::uint64_t first_seq = 0;    // the first record held (after any purge)
  std::uint64_t last_seq = 0;     // the last record held
  std::uint64_t checkpoints = 0;  // checkpoints whose signature and head were checked
  std::uint64_t bad_seq = 0;      // the first broken record, when !ok
  std::string problem;            // what is wrong, in words, when !ok
};

/**
 * verify_chain: walks every record in seq order and checks that (1) seq numbers run on without
 * a gap from the purge anchor (or 1), (2) each stored hash is SHA-256(previous hash || canonical
 * bytes), (3) every checkpoint is signed by `key` and its head equals the hash the walk computed
 * at its seq, and (4) no checkpoint vouches for a record past the end (a truncated tail).
 * `lodged` are checkpoints kept elsewhere (checkpoints_to_json), checked the same way.
 * Detects a changed, deleted, inserted or reordered record, a truncated tail, and a forged
 * checkpoint. @return the report; an Error only if the store cannot be read.
 * Thread safety: as `store` (run it on its own read connection).
 */
[[nodiscard]] Result<VerifyReport> verify_chain(AuditStore& store, const AuditKey& key,
                                                const std::vector<Checkpoint>& lodged = {});

}  // namespace gw::audit
