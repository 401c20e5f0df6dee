// Break-glass: the registry of active grants (user, patient, expiry). This is state, so it
// lives outside the pure decision function, which is handed the active grant. Grants may be kept
// on disk (GrantStore, e.g. policy/sqlite_grant_store.hpp) so a restart does not forget them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/clock.hpp"
#include "gateway/core/error.hpp"
#include "gateway/policy/engine.hpp"

namespace gw::policy {

/** BreakGlassRequest: what a user states when breaking the glass for one patient. */
struct BreakGlassRequest {
  std::string user_id;
  std::string nhs_number;
  std::string reason_code;    // emergency-treatment | patient-request | safeguarding-concern
  std::string justification;  // free text, required (10 to 1000 characters)
};

/** GrantOrigin: where a grant was asked for (kept with it; empty when not known). */
struct GrantOrigin {
  std::string organisation;  // the user's organisation (ODS code)
  std::string request_id;    // the HTTP request that opened it (its audit record carries it too)
  std::string role;          // the user's NHS RBAC job role code ("" for grants kept before it was)
};

/** GrantRecord: a grant with what is kept about it on disk. */
struct GrantRecord {
  BreakGlassGrant grant;
  GrantOrigin origin;
  std::uint64_t audit_seq = 0;         // the break-glass audit record, once written (0: not known)
  std::optional<TimePoint> closed_at;  // ended early, or replaced by a newer grant
};

/**
 * GrantStore: durable keeping of break-glass grants. Implementations must be thread-safe; the
 * registry serialises its writes, so each call sees the previous one's effect. Every call may
 * block on disk. Times are compared as given (the registry's clock).
 */
class GrantStore {
public:
  virtual ~GrantStore() = default;
  /** save: records a new grant, closing (closed_at = its granted_at) any open grant for the same
   * user and patient. Durable when it returns. */
  [[nodiscard]] virtual Result<void> save(const GrantRecord& record) = 0;
  /** close: sets closed_at on the open grant of this user and patient. @return whether one was
   * open. */
  [[nodiscard]] virtual Result<bool> close(const std::string& user_id,
                                           const std::string& nhs_number, TimePoint at) = 0;
  /** set_audit_seq: links the grant opened at `granted_at` to its audit record. */
  [[nodiscard]] virtual Result<void> set_audit_seq(const std::string& user_id,
                                                   const std::string& nhs_number,
                                                   TimePoint granted_at, std::uint64_t seq) = 0;
  /** load_open: the grants neither closed nor expired at `now`. */
  [[nodiscard]] virtual Result<std::vector<GrantRecord>> load_open(TimePoint now) = 0;
  /** purge_expired: deletes grants whose expiry is at or before `now`. @return how many. */
  [[nodiscard]] virtual Result<std::size_t> purge_expired(TimePoint now) = 0;
};

using GrantStorePtr = std::unique_ptr<GrantStore>;

/**
 * BreakGlassRegistry: active break-glass grants, one per (user, patient), each expiring after
 * a configured time (default 4 hours). In memory only when made with the constructor; durable
 * (every change written to a GrantStore before it takes effect) when made with durable().
 * Thread-safe: every member takes an internal lock; lookups (active) never wait for the disk.
 */
class BreakGlassRegistry {
public:
  /** In memory only (tests, tools). @param clock must outlive the registry. */
  explicit BreakGlassRegistry(const Clock& clock, std::chrono::seconds ttl = std::chrono::hours{4});

  /**
   * durable: a registry over `store`: purges the store's expired grants and loads the open ones
   * (a grant outlives a restart until it expires or is closed).
   * @return kUnavailable (or the store's error) if the store cannot be read.
   */
  [[nodiscard]] static Result<std::unique_ptr<BreakGlassRegistry>> durable(const Clock& clock,
                                                                           std::chrono::seconds ttl,
                                                                           GrantStorePtr store);

  /**
   * open: checks the request (known reason code; justification present) and records a grant
   * that expires ttl from now, replacing any grant for the same user and patient. A durable
   * registry writes it to disk first.
   * @return the grant, kBadRequest saying what is missing, or the store's error (kUnavailable:
   * nothing was opened)
   */
  [[nodiscard]] Result<BreakGlassGrant> open(const BreakGlassRequest& request,
                                             const GrantOrigin& origin = {});

  /** active: the unexpired grant for this user and patient, if any. */
  [[nodiscard]] std::optional<BreakGlassGrant> active(const std::string& user_id,
                                                      const std::string& nhs_number) const;

  /** close: ends a grant early; false if there was none (in memory only). */
  bool close(const std::string& user_id, const std::string& nhs_number);

  /**
   * end: ends the user's active grant for the patient early (on disk first when durable).
   * @return the grant that was ended; kNotFound if none is active; the store's error otherwise
   * (the grant then stays active).
   */
  [[nodiscard]] Result<GrantRecord> end(const std::string& user_id, const std::string& nhs_number);

  /**
   * note_audit_seq: links the grant opened at `granted_at` for this user and patient to its
   * audit record (kept with it; a durable registry writes it through). A grant since replaced
   * is left alone.
   */
  [[nodiscard]] Result<void> note_audit_seq(const std::string& user_id,
                                            const std::string& nhs_number, TimePoint granted_at,
                                            std::uint64_t seq);

  /** purge_expired: forgets expired grants (and deletes them from the store, best effort:
   * retried on the next call); returns how many were in memory. */
  std::size_t purge_expired();

  /** active_grants: every unexpired grant (for the IG review queue and metrics). */
  [[nodiscard]] std::vector<BreakGlassGrant> active_grants() const;

  /** active_records: every unexpired grant with its origin and audit link. */
  [[nodiscard]] std::vector<GrantRecord> active_records() const;

  /** active_count: how many grants are unexpired now (the caregw_break_glass_grants_active
   * gauge); cheaper than active_records(). */
  [[nodiscard]] std::size_t active_count() const;

  [[nodiscard]] bool is_durable() const { return store_ != nullptr; }

private:
  const Clock& clock_;
  std::chrono::seconds ttl_;
  GrantStorePtr store_;
  // Writers take write_mu_ then mu_: disk and memory change in the same order, and readers
  // (mu_ alone) never wait for a disk write.
  std::mutex write_mu_;
  mutable std::mutex mu_;
  std::vector<GrantRecord> grants_;
};

}  // namespace gw::policy
