// The GP Connect query client (client.hpp): request, answer check, then the ingest path that a
// pushed GP Connect record takes, with the practice as the sender.
#include "gateway/gpconnect/client.hpp"

#include <utility>

#include "gateway/core/log.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/gpconnect/answer.hpp"
#include "gateway/store/message_store.hpp"

namespace gw::gpconnect {
namespace {

/** rejection_detail: the first error issue's diagnostics of the adapter's acknowledgement (an
 * OperationOutcome whose details are operator-safe by the adapter contract). */
std::string rejection_detail(std::string_view ack) {
  auto doc = fhir::parse_json(ack);
  if (!doc || !doc->IsObject()) {
    return "no detail";
  }
  const auto issues = doc->FindMember("issue");
  if (issues == doc->MemberEnd() || !issues->value.IsArray()) {
    return "no detail";
  }
  for (const auto& issue : issues->value.GetArray()) {
    if (!issue.IsObject()) {
      continue;
    }
    const auto sev = issue.FindMember("severity");
    const auto diag = issue.FindMember("diagnostics");
    if (sev != issue.MemberEnd() && sev->value.IsString() &&
        (std::string_view(sev->value.GetString()) == "error" ||
         std::string_view(sev->value.GetString()) == "fatal") &&
        diag != issue.MemberEnd() && diag->value.IsString()) {
      return diag->value.GetString();
    }
  }
  return "no detail";
}

/** file: the practice's Bundle through the ingest service, as a pushed record would go. */
Result<FetchOutcome> file(ingest::Ingest& ingest, const ingest::InboundAdapter& adapter,
                          const FetchRequest& r, std::string trace_id, std::string body) {
  const std::string who = "GP Connect practice " + r.practice.str();
  ingest::Receipt receipt{r.practice, "GP Connect query, Ssp-TraceID " + trace_id, "", r.request_id,
                          "application/fhir+json"};
  auto reply = ingest.receive(adapter, receipt, std::move(body));
  if (reply.status == 503) {
    return make_error(Errc::kUnavailable, "the record from " + who + " could not be filed now (" +
                                              rejection_detail(reply.body) + "); try again");
  }
  if (reply.code != ingest::AckRequest::Code::kAccepted) {
    return make_error(Errc::kUpstreamMalformed, "the record from " + who + " could not be read: " +
                                                    rejection_detail(reply.body));
  }
  FetchOutcome out{r.practice, std::move(trace_id)};
  out.journal = reply.journal;
  out.filed = reply.filed;
  out.queued = reply.queued;
  out.duplicate = reply.duplicate;
  return out;
}

}  // namespace

Result<Provider> provider_for(const config::Config& cfg, const OdsCode& practice) {
  const auto* org = cfg.find_organisation(practice);
  if (org == nullptr) {
    return make_error(Errc::kUnprocessable,
                      "practice " + practice.str() + " is not a configured organisation");
  }
  if (!org->gpconnect) {
    return make_error(Errc::kUnprocessable,
                      "practice " + practice.str() +
                          " has no GP Connect endpoint configured (organisations[].gpconnect)");
  }
  return Provider{practice, org->gpconnect->endpoint, org->gpconnect->asid};
}

Result<Consumer> consumer_of(const config::Config& cfg) {
  if (cfg.gpconnect.asid.empty() || cfg.gpconnect.ods.empty()) {
    return make_error(Errc::kUnavailable,
                      "this gateway is not configured as a GP Connect consumer (the 'gpconnect:' "
                      "section with its ASID and ODS code)");
  }
  return Consumer{cfg.gpconnect.asid, cfg.gpconnect.ods, cfg.gpconnect.name,
                  cfg.gpconnect.system_url, cfg.node_id};
}

Client::Client(Caller caller, ingest::Ingest& ingest, const ingest::InboundAdapter& adapter,
               const Clock& clock)
    : caller_(std::move(caller)), ingest_(ingest), adapter_(adapter), clock_(clock) {}

Result<FetchOutcome> Client::fetch(const config::Config& cfg, const FetchRequest& r) const {
  auto provider = provider_for(cfg, r.practice);
  if (!provider) {
    return provider.error();
  }
  auto consumer = consumer_of(cfg);
  if (!consumer) {
    return consumer.error();
  }
  auto trace_id = store::new_idempotency_key();
  if (!trace_id) {
    return trace_id.error();
  }
  const RequestInput in{r.nhs_number, std::move(*provider), std::move(*consumer),
                        r.requester,  clock_.now(),         *trace_id};
  auto answer = caller_(build_request(in));
  if (!answer) {
    Error e = answer.error();
    e.detail = "GP Connect practice " + r.practice.str() + ": " + e.detail;
    log::warn("gpconnect_fetch_failed", {{"practice", r.practice.str()},
                                         {"trace_id", *trace_id},
                                         {"error", e.detail},
                                         {"request_id", r.request_id}});
    return e;
  }
  if (auto ok = check_answer(*answer, r.practice, r.nhs_number); !ok) {
    log::warn("gpconnect_fetch_refused", {{"practice", r.practice.str()},
                                          {"trace_id", *trace_id},
                                          {"status", std::to_string(answer->status)},
                                          {"error", ok.error().detail},
                                          {"request_id", r.request_id}});
    return ok.error();
  }
  auto filed = file(ingest_, adapter_, r, *trace_id, std::move(answer->body));
  if (filed) {
    log::info("gpconnect_fetch", {{"practice", r.practice.str()},
                                  {"trace_id", *trace_id},
                                  {"filed", std::to_string(filed->filed)},
                                  {"request_id", r.request_id}});
  }
  return filed;
}

}  // namespace gw::gpconnect
