// Per-request state that flows through the pipeline's stages. Stages hold no per-request state.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gateway/audit/record.hpp"
#include "gateway/auth/token.hpp"
#include "gateway/config/config.hpp"
#include "gateway/http/message.hpp"
#include "gateway/http/route_table.hpp"
#include "gateway/policy/engine.hpp"
#include "gateway/tls/peer_identity.hpp"

namespace gw::pipeline {

struct RequestContext {
  // Set by the session before the pipeline runs.
  std::string request_id;
  std::string listener;
  config::ClientCert client_cert_mode = config::ClientCert::kRequired;
  tls::PeerIdentity peer;
  config::ConfigPtr config;  // the config snapshot this request runs under
  bool draining = false;     // the server is shutting down
  std::chrono::system_clock::time_point received;
  std::string remote_address;  // the peer's IP address (for the audit record)

  // Set by the stages.
  const config::Organisation* organisation = nullptr;  // authenticate: the calling organisation
  std::optional<http::RouteMatch> route;               // route
  std::vector<http::Method> allowed;                   // route: for a 405's Allow header
  bool xml = false;  // the client prefers FHIR XML (for OperationOutcomes and FHIR responses)
  std::optional<auth::VerifiedUser> user;  // dispatch: the person, from the bearer token
  /** Set by handlers that read patient data: what they disclosed, one record per patient (the
   * dispatch stage completes the common fields and writes them before the response leaves). */
  std::vector<audit::AuditRecord> audit;
  /** Set by a handler that wrote its own audit record durably before returning (the break-glass
   * review, recorded by the same function as the CLI's): on success nothing more is written. */
  bool audit_written = false;
  /** Set by the break-glass handler when it opened a grant: once the request's audit record is
   * written the dispatch stage links the grant to it, and ends the grant if it cannot be written
   * (no grant without its audit record). */
  std::optional<policy::BreakGlassGrant> opened_grant;
};

}  // namespace gw::pipeline
