// Route matching by path segments.
#include "gateway/http/route_table.hpp"

#include <algorithm>

namespace gw::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') {
    return out;
  }
  path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

std::string_view operation_name(Operation op) {
  switch (op) {
    case Operation::kHealth:
      return "healthz";
    case Operation::kReady:
      return "readyz";
    case Operation::kMetrics:
      return "metrics";
    case Operation::kCapabilities:
      return "fhir_metadata";
    case Operation::kPatientSearch:
      return "fhir_patient_search";
    case Operation::kPatientRead:
      return "fhir_patient_read";
    case Operation::kReviewList:
      return "mpi_review_list";
    case Operation::kReviewInspect:
      return "mpi_review_inspect";
    case Operation::kReviewDecide:
      return "mpi_review_decide";
    case Operation::kUnmerge:
      return "mpi_unmerge";
    case Operation::kAuditSearch:
      return "fhir_auditevent_search";
    case Operation::kProcessMessage:
      return "fhir_process_message";
    case Operation::kItkMessage:
      return "itk_message";
    case Operation::kAdapterPush:
      return "adapter_push";
    case Operation::kMailboxFetch:
      return "mailbox_fetch";
    case Operation::kMailboxAck:
      return "mailbox_ack";
    case Operation::kAdminQueues:
      return "admin_queues";
    case Operation::kAdminDeadLetters:
      return "admin_dead_letters";
    case Operation::kAdminOutboxEntry:
      return "admin_outbox_entry";
    case Operation::kAdminReplay:
      return "admin_replay";
    case Operation::kAdminDiscard:
      return "admin_discard";
    case Operation::kAdminJournal:
      return "admin_journal";
    case Operation::kAdminReprocess:
      return "admin_reprocess";
    case Operation::kRecordEverything:
      return "fhir_patient_everything";
    case Operation::kRecordSearch:
      return "fhir_record_search";
    case Operation::kBreakGlass:
      return "fhir_patient_break_glass";
    case Operation::kAuditBreakGlass:
      return "audit_break_glass";
    case Operation::kPolicyExplain:
      return "policy_explain";
    case Operation::kPolicyExplainQuery:
      return "policy_explain_query";
    case Operation::kPolicyDryRun:
      return "policy_dry_run";
    case Operation::kAuditAccessReport:
      return "audit_access_report";
    case Operation::kAuditDenied:
      return "audit_denied";
    case Operation::kAuditUnusual:
      return "audit_unusual";
    case Operation::kAuditExport:
      return "audit_export";
    case Operation::kBreakGlassClose:
      return "fhir_patient_break_glass_close";
    case Operation::kAuditBreakGlassReview:
      return "audit_break_glass_review";
    case Operation::kAuditBreakGlassGrants:
      return "audit_break_glass_grants";
    case Operation::kGpcRefresh:
      return "fhir_patient_gpc_refresh";
  }
  return "unknown";
}

void RouteTable::add(Method method, std::string_view pattern, Operation op,
                     std::optional<FhirInteraction> fhir) {
  Route r{method, {}, op, std::move(fhir)};
  for (auto seg : split_path(pattern)) {
    r.segments.emplace_back(seg.size() > 1 && seg.front() == '{' && seg.back() == '}' ? "{}" : seg);
  }
  routes_.push_back(std::move(r));
}

std::vector<FhirInteraction> RouteTable::fhir_interactions() const {
  std::vector<FhirInteraction> out;
  for (const Route& r : routes_) {
    if (r.fhir) {
      out.push_back(*r.fhir);
    }
  }
  return out;
}

MatchResult RouteTable::match(Method method, std::string_view path) const {
  const auto segs = split_path(path);
  MatchResult out;
  if (segs.empty()) {
    return out;
  }
  const Method want = method == Method::kHead ? Method::kGet : method;
  for (const Route& r : routes_) {
    if (r.segments.size() != segs.size()) {
      continue;
    }
    std::vector<std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < segs.size() && ok; ++i) {
      if (r.segments[i] == "{}") {
        ok = !segs[i].empty();
        params.emplace_back(segs[i]);
      } else {
        ok = r.segments[i] == segs[i];
      }
    }
    if (!ok) {
      continue;
    }
    if (r.method == want) {
      out.kind = MatchResult::Kind::kFound;
      out.match = RouteMatch{r.op, std::move(params)};
      out.allowed.clear();
      return out;
    }
    out.kind = MatchResult::Kind::kMethodNotAllowed;
    if (std::find(out.allowed.begin(), out.allowed.end(), r.method) == out.allowed.end()) {
      out.allowed.push_back(r.method);
      if (r.method == Method::kGet) {
        out.allowed.push_back(Method::kHead);
      }
    }
  }
  return out;
}

RouteTable RouteTable::builtin() {
  RouteTable t;
  t.add(Method::kGet, "/healthz", Operation::kHealth);
  t.add(Method::kGet, "/readyz", Operation::kReady);
  t.add(Method::kGet, "/metrics", Operation::kMetrics);
  t.add(Method::kGet, "/fhir/metadata", Operation::kCapabilities);
  t.add(Method::kGet, "/fhir/Patient", Operation::kPatientSearch,
        FhirInteraction{"Patient",
                        "search-type",
                        "",
                        {"identifier", "family", "given", "birthdate", "gender",
                         "address-postalcode", "_count"}});
  t.add(Method::kGet, "/fhir/Patient/{id}", Operation::kPatientRead,
        FhirInteraction{"Patient", "read", "", {}});
  t.add(Method::kGet, "/mpi/review", Operation::kReviewList);
  t.add(Method::kGet, "/mpi/review/{id}", Operation::kReviewInspect);
  t.add(Method::kPost, "/mpi/review/{id}/decision", Operation::kReviewDecide);
  t.add(Method::kPost, "/mpi/unmerge", Operation::kUnmerge);
  t.add(Method::kPost, "/fhir/$process-message", Operation::kProcessMessage,
        FhirInteraction{"", "", "process-message", {}});
  t.add(Method::kPost, "/itk", Operation::kItkMessage);
  t.add(Method::kPost, "/adapters/{adapter}/messages", Operation::kAdapterPush);
  t.add(Method::kGet, "/mailbox", Operation::kMailboxFetch);
  t.add(Method::kPost, "/mailbox/ack", Operation::kMailboxAck);
  t.add(Method::kGet, "/admin/queues", Operation::kAdminQueues);
  t.add(Method::kGet, "/admin/dead-letters", Operation::kAdminDeadLetters);
  t.add(Method::kGet, "/admin/outbox/{id}", Operation::kAdminOutboxEntry);
  t.add(Method::kPost, "/admin/dead-letters/replay", Operation::kAdminReplay);
  t.add(Method::kPost, "/admin/dead-letters/discard", Operation::kAdminDiscard);
  t.add(Method::kGet, "/admin/journal", Operation::kAdminJournal);
  t.add(Method::kPost, "/admin/journal/reprocess", Operation::kAdminReprocess);
  t.add(Method::kGet, "/fhir/AuditEvent", Operation::kAuditSearch,
        FhirInteraction{"AuditEvent",
                        "search-type",
                        "",
                        {"patient", "agent", "organization", "purpose", "date", "subtype",
                         "outcome", "_count"}});
  // The shared care record (gateway/record): $everything, search by patient, break-glass.
  t.add(Method::kGet, "/fhir/Patient/{id}/$everything", Operation::kRecordEverything,
        FhirInteraction{"Patient", "", "everything", {}});
  t.add(Method::kPost, "/fhir/Patient/{id}/$break-glass", Operation::kBreakGlass);
  t.add(Method::kPost, "/fhir/Patient/{id}/$break-glass-close", Operation::kBreakGlassClose);
  // The GP record from the practice over GP Connect (gateway/gpconnect).
  t.add(Method::kPost, "/fhir/Patient/{id}/$gpc-refresh", Operation::kGpcRefresh);
  for (const char* type : {"Condition", "MedicationStatement", "AllergyIntolerance", "Encounter",
                           "Flag", "CarePlan", "DocumentReference"}) {
    t.add(Method::kGet, std::string("/fhir/") + type, Operation::kRecordSearch,
          FhirInteraction{type, "search-type", "", {"patient", "_count"}});
  }
  // Policy and audit: the IG lead's break-glass review queue and the decision explainer.
  t.add(Method::kGet, "/audit/break-glass", Operation::kAuditBreakGlass);
  t.add(Method::kPost, "/audit/break-glass/{seq}/review", Operation::kAuditBreakGlassReview);
  t.add(Method::kGet, "/audit/break-glass/grants", Operation::kAuditBreakGlassGrants);
  t.add(Method::kPost, "/policy/explain", Operation::kPolicyExplain);
  t.add(Method::kGet, "/policy/explain", Operation::kPolicyExplainQuery);
  t.add(Method::kPost, "/policy/dry-run", Operation::kPolicyDryRun);
  // The IG reports and export (the same report functions as `caregw audit ...`).
  t.add(Method::kGet, "/audit/access-report", Operation::kAuditAccessReport);
  t.add(Method::kGet, "/audit/denied", Operation::kAuditDenied);
  t.add(Method::kGet, "/audit/unusual", Operation::kAuditUnusual);
  t.add(Method::kGet, "/audit/export", Operation::kAuditExport);
  return t;
}

}  // namespace gw::http
