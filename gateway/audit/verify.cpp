// The chain walk behind `caregw audit verify`.
#include "gateway/audit/verify.hpp"

#include <map>

#include "gateway/store/sqlite/database.hpp"

namespace gw::audit {
namespace {

VerifyReport broken(VerifyReport r, std::uint64_t seq, std::string problem) {
  r.ok = false;
  r.bad_seq = seq;
  r.problem = std::move(problem);
  return r;
}

std::string cp_name(const Checkpoint& cp, bool lodged) {
  return std::string(lodged ? "lodged " : "") + std::string(checkpoint_kind_name(cp.kind)) +
         " checkpoint" + (lodged ? "" : " #" + std::to_string(cp.id)) + " (record " +
         std::to_string(cp.seq) + ")";
}

}  // namespace

Result<VerifyReport> verify_chain(AuditStore& store, const AuditKey& key,
                                  const std::vector<Checkpoint>& lodged) {
  // One read transaction: a snapshot, so a writer appending meanwhile cannot confuse the walk.
  auto tx =
      store::sqlite::Transaction::begin(store.db(), store::sqlite::TransactionMode::kDeferred);
  if (!tx) {
    return tx.error();
  }
  VerifyReport rep;
  auto cps = store.checkpoints();
  if (!cps) {
    return cps.error();
  }
  std::optional<Checkpoint> anchor;
  std::multimap<std::uint64_t, std::pair<Checkpoint, bool>> heads;  // seq -> (checkpoint, lodged)
  for (const auto& cp : *cps) {
    if (!checkpoint_signature_ok(key, cp)) {
      return broken(rep, cp.seq,
                    cp_name(cp, false) +
                        " does not carry a valid signature of the "
                        "audit key (forged or altered)");
    }
    if (cp.kind == CheckpointKind::kPurge) {
      anchor = cp;
    }
    heads.emplace(cp.seq, std::make_pair(cp, false));
  }
  for (const auto& cp : lodged) {
    if (!checkpoint_signature_ok(key, cp)) {
      return broken(rep, cp.seq,
                    cp_name(cp, true) +
                        " does not carry a valid signature of the "
                        "audit key");
    }
    heads.emplace(cp.seq, std::make_pair(cp, true));
  }
  const std::uint64_t start = anchor ? anchor->seq + 1 : 1;
  Hash prev = anchor ? anchor->head : kGenesisHash;
  std::uint64_t expected = start;
  std::optional<VerifyReport> bad;
  auto walked = store.scan(0, [&](const StoredRecord& s) {
    const std::uint64_t seq = s.record.seq;
    if (seq < start) {
      bad = broken(rep, seq,
                   "record " + std::to_string(seq) +
                       " is older than the purge checkpoint and should not be here "
                       "(inserted)");
      return false;
    }
    if (seq != expected) {
      bad = broken(rep, expected,
                   "record " + std::to_string(expected) +
                       " is missing (deleted); "
                       "the next record held is " +
                       std::to_string(seq));
      return false;
    }
    if (!s.unreadable.empty()) {
      bad = broken(rep, seq,
                   "record " + std::to_string(seq) + ": the stored " + s.unreadable +
                       " cannot be read (changed)");
      return false;
    }
    const Hash h = chain_hash(prev, canonical_bytes(s.record));
    if (h != s.hash) {
      bad = broken(rep, seq,
                   "record " + std::to_string(seq) +
                       " does not match its chain hash: its content or its place in "
                       "the chain was altered (changed, inserted or reordered)");
      return false;
    }
    auto [lo, hi] = heads.equal_range(seq);
    for (auto it = lo; it != hi; ++it) {
      if (it->second.first.head != h) {
        bad = broken(rep, seq,
                     "record " + std::to_string(seq) + " differs from the head that " +
                         cp_name(it->second.first, it->second.second) +
                         " signed (the chain was rewritten)");
        return false;
      }
      if (it->second.first.kind != CheckpointKind::kPurge) {
        ++rep.checkpoints;
      }
    }
    if (rep.count == 0) {
      rep.first_seq = seq;
    }
    rep.last_seq = seq;
    ++rep.count;
    prev = h;
    ++expected;
    return true;
  });
  if (!walked) {
    return walked.error();
  }
  if (bad) {
    return *bad;
  }
  const std::uint64_t last = expected - 1;
  for (const auto& [seq, entry] : heads) {
    if (seq > last) {
      return broken(rep, last + 1,
                    "the log ends at record " + std::to_string(last) + " but " +
                        cp_name(entry.first, entry.second) + " vouches for records up to " +
                        std::to_string(seq) + ": records " + std::to_string(last + 1) + ".." +
                        std::to_string(seq) + " are missing (truncated)");
    }
    if (seq >= start && seq <= last) {
      continue;
    }
    // At or before the purge anchor: only the anchor itself can be matched now.
    if (anchor && seq == anchor->seq && entry.first.head != anchor->head) {
      return broken(rep, seq,
                    cp_name(entry.first, entry.second) +
                        " disagrees with the purge checkpoint at the same record");
    }
  }
  return rep;
}

}  // namespace gw::audit
