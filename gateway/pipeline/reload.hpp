// Config reload (SIGHUP): what a new config puts in force besides the config itself (the
// data-sharing agreements and the token issuers' JWKS), loaded and checked before anything is
// swapped, and the audit records that say what was reloaded and what is in force after (issue 5).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/audit/audit_log.hpp"
#include "gateway/audit/record.hpp"
#include "gateway/auth/token.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/policy/agreement.hpp"
#include "gateway/policy/policy_set.hpp"

namespace gw::pipeline {

/** StagedReload: what a reloaded config puts in force, loaded and checked but not yet in force. */
struct StagedReload {
  policy::PolicySet policy;
  std::shared_ptr<const auth::TokenVerifier> tokens;
};

/**
 * stage_reload: loads the agreements of `next` (through `read`, checked at `now`) and its token
 * issuers' JWKS files. Nothing is swapped: a reload is all or nothing, so the caller puts the
 * result in force (apply_reload) only once every other part of the new config is good too.
 * @return nullopt when anything failed; the problems are appended to `errors` as file:line
 */
[[nodiscard]] std::optional<StagedReload> stage_reload(const config::Config& next,
                                                       const policy::FileReader& read,
                                                       policy::TimePoint now,
                                                       std::vector<config::Diagnostic>& errors);

/**
 * apply_reload: puts a staged reload in force: requests that start from now on decide under the
 * new agreements and verify tokens with the new keys; requests already running keep theirs.
 */
void apply_reload(StagedReload&& staged, policy::PolicyHolder& policy,
                  auth::TokenVerifierHolder& tokens);

/** ReloadOutcome: what a reload did, for the audit log. */
struct ReloadOutcome {
  bool applied = false;
  /** errors: why it was rejected (operator-safe file:line messages; empty when applied). */
  std::vector<config::Diagnostic> errors;
  /** in_force: the agreements in force after the reload (the old ones when it was rejected). */
  const policy::PolicyIndex* in_force = nullptr;
  std::string node_id;
  /** trigger: what asked for it, e.g. "SIGHUP"; recorded as the acting user. */
  std::string trigger = "SIGHUP";
};

/**
 * reload_audit_records: one `config-reload` and one `dsa-reload` record, each with the outcome
 * (success, or minor failure when rejected), the operator-safe reason, and the agreement ids
 * and versions in force after it. Pure; the caller appends them to the audit log.
 */
[[nodiscard]] std::vector<audit::AuditRecord> reload_audit_records(const ReloadOutcome& outcome);

/**
 * audit_reload: appends reload_audit_records(outcome) to `log` without waiting (the reload runs
 * on a server thread); a record the log refuses is reported in the ordinary log by event name.
 */
void audit_reload(audit::AuditLog& log, const ReloadOutcome& outcome);

}  // namespace gw::pipeline
