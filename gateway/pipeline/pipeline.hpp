// The request pipeline: authenticate -> route -> dispatch, each a small Stage. Pure with respect
// to I/O: it takes a parsed request and returns a response, so tests need no sockets.
#pragma once

#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "gateway/audit/audit_log.hpp"
#include "gateway/auth/token.hpp"
#include "gateway/gpconnect/client.hpp"
#include "gateway/http/message.hpp"
#include "gateway/http/route_table.hpp"
#include "gateway/http/server_stats.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/ingest/adapter_set.hpp"
#include "gateway/ingest/ingest.hpp"
#include "gateway/metrics/metrics.hpp"
#include "gateway/pipeline/request_context.hpp"
#include "gateway/pipeline/stage.hpp"
#include "gateway/policy/break_glass.hpp"
#include "gateway/policy/policy_set.hpp"
#include "gateway/policy/recorder.hpp"
#include "gateway/store/record_store.hpp"

namespace gw::record {
class AnswerCache;
}  // namespace gw::record

namespace gw::pipeline {

/** Backends: the stateful components handlers call, owned by the caller (main wires them). Each
 * may be absent; the routes that need an absent one answer 503. */
struct Backends {
  identity::MpiService* mpi = nullptr;
  /** tokens: verifies users' bearer JWTs (the verifier in force, replaced on reload); without
   * it, routes that need a user answer 401. */
  const auth::TokenVerifierHolder* tokens = nullptr;
  /** audit: the Caldicott audit log; without it, routes that disclose patient data answer 503. */
  audit::AuditLog* audit = nullptr;
  /** ingest: receives pushed messages (with the adapters that read them); without it, the
   * message routes answer 503. */
  ingest::Ingest* ingest = nullptr;
  const ingest::AdapterSet* adapters = nullptr;
  /** messages: the journal and outbox (the pull mailbox reads it). */
  store::MessageStore* messages = nullptr;
  /** records: the shared care record store; without it, the record routes answer 503. */
  store::RecordStore* records = nullptr;
  /** policy: the agreements and sensitive code lists in force (replaced on reload); without
   * them, record reads answer 503 (deny by default). */
  const policy::PolicyHolder* policy = nullptr;
  /** break_glass: active break-glass grants; without it, break-glass answers 503. */
  policy::BreakGlassRegistry* break_glass = nullptr;
  /** recorder: the decision inputs of record reads, for the dry run; without it, nothing is
   * recorded and POST /policy/dry-run needs "inputs". */
  policy::InputRecorder* recorder = nullptr;
  /** gpconnect: queries practices for the GP record (POST /fhir/Patient/{id}/$gpc-refresh);
   * without it, that route answers 503. */
  const gpconnect::Client* gpconnect = nullptr;
  /** record_cache: the shared record's answer cache (record/answer_cache.hpp, config
   * `record.cache_mb`); without it, every record read is assembled afresh. */
  record::AnswerCache* record_cache = nullptr;
};

/** Services: what the built-in handlers need from the rest of the gateway. Outlives the pipeline.
 */
struct Services {
  const metrics::Registry& registry;
  http::ServerStats& stats;
  /** blocking: where handlers that touch the store run, off the I/O threads (STYLE.md 3.7). */
  boost::asio::any_io_executor blocking{};
  Backends backends{};
};

class Pipeline {
public:
  explicit Pipeline(Services services);

  /** handle: runs every stage; on the first error renders it as an OperationOutcome. Thread-safe.
   */
  boost::asio::awaitable<http::Response> handle(const http::Request& req, RequestContext& ctx);

  /** render_error: an error as an OperationOutcome response (also used by the session). */
  [[nodiscard]] static http::Response render_error(const Error& e, const RequestContext& ctx);

private:
  std::vector<std::unique_ptr<Stage>> stages_;
};

}  // namespace gw::pipeline
