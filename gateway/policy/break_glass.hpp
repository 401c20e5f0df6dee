// Break-glass: the registry of active grants (user, patient, expiry). This is state, so it
// lives outside the pure decision function, which is handed the active grant.
#pragma once

#include <chrono>
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

/**
 * BreakGlassRegistry: active break-glass grants, one per (user, patient), each expiring after
 * a configured time (default 4 hours). Thread-safe: every member takes an internal lock.
 */
class BreakGlassRegistry {
public:
  /** @param clock must outlive the registry. */
  explicit BreakGlassRegistry(const Clock& clock, std::chrono::seconds ttl = std::chrono::hours{4});

  /**
   * open: checks the request (known reason code; justification present) and records a grant
   * that expires ttl from now, replacing any grant for the same user and patient.
   * @return the grant, or kBadRequest saying what is missing
   */
  [[nodiscard]] Result<BreakGlassGrant> open(const BreakGlassRequest& request);

  /** active: the unexpired grant for this user and patient, if any. */
  [[nodiscard]] std::optional<BreakGlassGrant> active(const std::string& user_id,
                                                      const std::string& nhs_number) const;

  /** close: ends a grant early; false if there was none. */
  bool close(const std::string& user_id, const std::string& nhs_number);

  /** purge_expired: forgets expired grants; returns how many. */
  std::size_t purge_expired();

  /** active_grants: every unexpired grant (for the IG review queue and metrics). */
  [[nodiscard]] std::vector<BreakGlassGrant> active_grants() const;

private:
  const Clock& clock_;
  std::chrono::seconds ttl_;
  mutable std::mutex mu_;
  std::vector<BreakGlassGrant> grants_;
};

}  // namespace gw::policy
