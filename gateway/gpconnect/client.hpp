// The GP Connect query client: asks a practice for a patient's structured GP record
// (request.hpp) over the gateway's mutual-TLS HTTPS client, checks the answer (answer.hpp) and
// files the Bundle through the same ingest path as a pushed GP Connect record (journalled with
// the practice as sender, MPI, record store, routing, audit).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/core/clock.hpp"
#include "gateway/core/error.hpp"
#include "gateway/gpconnect/request.hpp"
#include "gateway/ingest/adapter.hpp"
#include "gateway/ingest/ingest.hpp"
#include "gateway/routing/http_call.hpp"

namespace gw::gpconnect {

/** Caller: makes one HTTPS call (HttpsTransport::call in the gateway; a fake in unit tests).
 * Blocks; kUpstreamTimeout / kUpstreamUnavailable for transport failures. */
using Caller = std::function<Result<routing::HttpAnswer>(const routing::HttpCall&)>;

/** FetchRequest: whose record, from which practice, for whom. */
struct FetchRequest {
  NhsNumber nhs_number;
  OdsCode practice;
  Requester requester{};
  std::string request_id{};  // for the journal's receipt and the logs
};

/** FetchOutcome: what came of a fetch that the practice answered with a record. */
struct FetchOutcome {
  OdsCode practice;
  std::string trace_id;                       // the Ssp-TraceID sent
  std::optional<store::JournalId> journal{};  // the journal entry of the filed Bundle
  std::size_t filed = 0;                      // resources filed in the record store
  std::size_t queued = 0;                     // outbound messages routed from it
  bool duplicate = false;  // the same Bundle was received before (answered as then)
};

/** provider_for: the practice's configured GP Connect endpoint, or kUnprocessable naming the
 * practice when it is not a configured organisation or has no `gpconnect:` endpoint. */
[[nodiscard]] Result<Provider> provider_for(const config::Config& cfg, const OdsCode& practice);

/** consumer_of: the gateway as the consumer (`gpconnect:` section); kUnavailable without one. */
[[nodiscard]] Result<Consumer> consumer_of(const config::Config& cfg);

/**
 * Client: thread-safe (holds no per-call state); every fetch blocks on the network, the stores
 * and the audit log, so run it off the I/O threads.
 */
class Client {
public:
  /** @param adapter the `gpconnect` inbound adapter (adapters/emis); all must outlive the client */
  Client(Caller caller, ingest::Ingest& ingest, const ingest::InboundAdapter& adapter,
         const Clock& clock);

  /**
   * fetch: asks `r.practice` (its endpoint and ASID from `cfg`, the config in force) for the
   * record and files it. Errors: kUnprocessable (no endpoint for the practice), kUnavailable
   * (no `gpconnect:` section; the store or audit log cannot take it now), kUpstreamTimeout,
   * kUpstreamUnavailable (network, TLS, or the practice's error OperationOutcome: the detail
   * names the practice, the HTTP status and the Spine code), kUpstreamMalformed (an answer
   * that is not the patient's Bundle, or one the adapter refuses). Details carry no PHI.
   */
  [[nodiscard]] Result<FetchOutcome> fetch(const config::Config& cfg, const FetchRequest& r) const;

private:
  Caller caller_;
  ingest::Ingest& ingest_;
  const ingest::InboundAdapter& adapter_;
  const Clock& clock_;
};

}  // namespace gw::gpconnect
