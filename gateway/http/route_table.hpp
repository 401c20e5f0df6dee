// The typed route table: method + path pattern -> Operation, matched once per request so that no
// later stage looks at the raw target again (STYLE.md 3.7, "stringly-typed routing").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/message.hpp"

namespace gw::http {

/** Operation: everything the gateway serves. Add one here and in the table in route_table.cpp. */
enum class Operation : std::uint8_t {
  kHealth,            // GET /healthz
  kReady,             // GET /readyz
  kMetrics,           // GET /metrics
  kCapabilities,      // GET /fhir/metadata
  kPatientSearch,     // GET /fhir/Patient?identifier=... | family=...&birthdate=...
  kPatientRead,       // GET /fhir/Patient/{id}
  kReviewList,        // GET /mpi/review
  kReviewInspect,     // GET /mpi/review/{id}
  kReviewDecide,      // POST /mpi/review/{id}/decision
  kUnmerge,           // POST /mpi/unmerge
  kAuditSearch,       // GET /fhir/AuditEvent
  kProcessMessage,    // POST /fhir/$process-message
  kItkMessage,        // POST /itk
  kAdapterPush,       // POST /adapters/{adapter}/messages
  kMailboxFetch,      // GET /mailbox
  kMailboxAck,        // POST /mailbox/ack
  kAdminQueues,       // GET /admin/queues
  kAdminDeadLetters,  // GET /admin/dead-letters
  kAdminOutboxEntry,  // GET /admin/outbox/{id}
  kAdminReplay,       // POST /admin/dead-letters/replay
  kAdminDiscard,      // POST /admin/dead-letters/discard
  kAdminJournal,      // GET /admin/journal
  kAdminReprocess,    // POST /admin/journal/reprocess
  // The shared care record (gateway/record):
  /** GET /fhir/Patient/{id}/$everything */
  kRecordEverything,
  /** GET /fhir/{Condition|MedicationStatement|AllergyIntolerance|...}?patient=... */
  kRecordSearch,
  /** POST /fhir/Patient/{id}/$break-glass */
  kBreakGlass,
  // Policy and audit (gateway/policy, gateway/audit):
  /** GET /audit/break-glass?status=unreviewed|any */
  kAuditBreakGlass,
  /** POST /policy/explain */
  kPolicyExplain,
  /** GET /policy/explain?organisation=&role=&purpose=&patient=&resource-type= */
  kPolicyExplainQuery,
  /** POST /policy/dry-run */
  kPolicyDryRun,
  /** GET /audit/access-report?patient=N: who has accessed a patient's record, in plain words */
  kAuditAccessReport,
  /** GET /audit/denied?from=&to=: refusals by user and organisation */
  kAuditDenied,
  /** GET /audit/unusual?from=&to=: unusual activity under the configured thresholds */
  kAuditUnusual,
  /** GET /audit/export?format=csv|bundle&...: one page of records as CSV or AuditEvents */
  kAuditExport,
  /** POST /fhir/Patient/{id}/$break-glass-close */
  kBreakGlassClose,
  /** POST /audit/break-glass/{seq}/review */
  kAuditBreakGlassReview,
  /** GET /audit/break-glass/grants: the break-glass grants in force */
  kAuditBreakGlassGrants,
  /** POST /fhir/Patient/{id}/$gpc-refresh: query the practice's GP Connect structured record */
  kGpcRefresh,
};

/** operation_name: a stable label for metrics and logs (e.g. "fhir_metadata"). */
[[nodiscard]] std::string_view operation_name(Operation op);

/** RouteMatch: the operation and the path parameters captured by `{name}` segments, in order. */
struct RouteMatch {
  Operation op{};
  std::vector<std::string> params;
};

/** MatchResult: found, or why not (no such path; path exists but not for this method). */
struct MatchResult {
  enum class Kind { kFound, kNotFound, kMethodNotAllowed } kind = Kind::kNotFound;
  RouteMatch match;
  std::vector<Method> allowed;  // for kMethodNotAllowed: the methods the path does take
};

/**
 * FhirInteraction: what a route offers in FHIR terms, for the CapabilityStatement. `resource`
 * empty means a system-level interaction; `operation` names a FHIR operation such as
 * "everything" (then `interaction` is empty).
 */
struct FhirInteraction {
  std::string resource;
  std::string interaction;  // read, vread, search-type, create, ... (FHIR TypeRestfulInteraction)
  std::string operation;
  std::vector<std::string> search_params;
};

/** RouteTable: immutable after construction; match() is thread-safe. */
class RouteTable {
public:
  /** add: `pattern` is a path of literal segments and `{name}` captures, e.g. "/fhir/Patient/{id}".
   */
  void add(Method method, std::string_view pattern, Operation op,
           std::optional<FhirInteraction> fhir = std::nullopt);

  /** fhir_interactions: what the table serves in FHIR terms, in the order routes were added. */
  [[nodiscard]] std::vector<FhirInteraction> fhir_interactions() const;

  /** match: the operation for a method and a path (no query). HEAD matches GET routes. */
  [[nodiscard]] MatchResult match(Method method, std::string_view path) const;

  /** builtin: the table of every operation the gateway serves. */
  [[nodiscard]] static RouteTable builtin();

private:
  struct Route {
    Method method;
    std::vector<std::string> segments;  // "{}" marks a capture
    Operation op;
    std::optional<FhirInteraction> fhir;
  };
  std::vector<Route> routes_;
};

}  // namespace gw::http
