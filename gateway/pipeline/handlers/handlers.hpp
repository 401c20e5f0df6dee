// Handlers for the operations that read or write the gateway's state. Plain functions (no Asio):
// the dispatch stage runs them on the blocking executor, off the I/O threads.
#pragma once

#include <string>

#include "gateway/audit/audit_log.hpp"
#include "gateway/core/error.hpp"
#include "gateway/fhir/format.hpp"
#include "gateway/http/message.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/identity/patient_resource.hpp"
#include "gateway/pipeline/pipeline.hpp"
#include "gateway/pipeline/request_context.hpp"
#include "gateway/policy/break_glass.hpp"
#include "gateway/policy/engine.hpp"
#include "gateway/policy/sensitive_codes.hpp"
#include "gateway/store/message_store.hpp"
#include "gateway/store/record_store.hpp"

namespace gw::pipeline {

/**
 * set_fhir_body: a FHIR resource (as JSON text) as the response body in the negotiated format,
 * with the matching Content-Type and status 200.
 */
[[nodiscard]] Result<void> set_fhir_body(http::Response& res, std::string json, fhir::Format fmt);

/** negotiated_format: the response format from _format and Accept (406 when none fits). */
[[nodiscard]] Result<fhir::Format> negotiated_format(const http::Request& req);

/** base_url: "https://<Host>/fhir" for fullUrls and links. */
[[nodiscard]] std::string base_url(const http::Request& req);

/** PatientPolicy: what the Patient routes need for the demographics decision. */
struct PatientPolicy {
  const policy::PolicyIndex& index;
  store::RecordStore& records;
  const policy::BreakGlassRegistry* break_glass = nullptr;  // null: no break-glass
  policy::InputRecorder* recorder = nullptr;  // keeps each decision's inputs; null: off
};

/**
 * patient_search: GET /fhir/Patient. identifier=<system>|<value> (the NHS number system or a
 * caregw local identifier system) answers exactly; family/given/birthdate/gender/
 * address-postalcode answer with scored candidates (search.score, match-grade). _count (1..50,
 * default 10). Unknown parameters are refused (400) rather than ignored. Demographics are a
 * data category: 403 before any lookup when no agreement lets the requester see demographics;
 * each candidate is then decided by the policy engine (relationship, objection) and left out
 * when denied (audited as a denial; the Bundle does not hint at it).
 */
[[nodiscard]] Result<void> patient_search(const http::Request& req, RequestContext& ctx,
                                          http::Response& res, identity::MpiService& mpi,
                                          const PatientPolicy& policy);

/** patient_read: GET /fhir/Patient/{id}: by NHS number or mpi-<n>; a merged id answers with the
 * survivor. 403 before the lookup when no agreement lets the requester see demographics; 404
 * when unknown; 403 when the engine denies this patient's demographics (the rule and what was
 * missing in the OperationOutcome). Audited with the decision. */
[[nodiscard]] Result<void> patient_read(const http::Request& req, RequestContext& ctx,
                                        http::Response& res, identity::MpiService& mpi,
                                        const PatientPolicy& policy);

/**
 * review_list: GET /mpi/review?status=open|linked|not-duplicate|new-person|any&kind=&after=&_count=
 * One page of the worklist, oldest first, with a "next" cursor (after=<id>).
 */
[[nodiscard]] Result<void> review_list(const http::Request& req, RequestContext& ctx,
                                       http::Response& res, identity::MpiService& mpi);

/** review_inspect: GET /mpi/review/{id}: the item and each candidate as a Patient; records that
 * `actor` looked. */
[[nodiscard]] Result<void> review_inspect(RequestContext& ctx, http::Response& res,
                                          identity::MpiService& mpi, const std::string& actor);

/**
 * review_decide: POST /mpi/review/{id}/decision with {"decision": "link"|"not-duplicate"|
 * "new-person", "person": "<Patient id>" (for link), "note": "..."}: applies it (MpiService::
 * resolve) and answers with the patient the identity now belongs to.
 */
[[nodiscard]] Result<void> review_decide(const http::Request& req, RequestContext& ctx,
                                         http::Response& res, identity::MpiService& mpi,
                                         const std::string& actor);

/** review_unmerge: POST /mpi/unmerge with {"person": "mpi-<n>", "reason": "..."}: undoes the
 * merge of that record (MpiService::unmerge) and answers with it as a Patient again. */
[[nodiscard]] Result<void> review_unmerge(const http::Request& req, RequestContext& ctx,
                                          http::Response& res, identity::MpiService& mpi,
                                          const std::string& actor);

/**
 * audit_search: GET /fhir/AuditEvent (IG purpose only): patient (NHS number), agent (user id),
 * organization, purpose, date (eq/ge/gt/le/lt, repeatable), subtype (event type), outcome,
 * break-glass, _count (to 1000), _sort=-date, _cursor (from the next link). The query itself is
 * audited.
 */
[[nodiscard]] Result<void> audit_search(const http::Request& req, RequestContext& ctx,
                                        http::Response& res, audit::AuditLog& log);

/**
 * audit_break_glass: GET /audit/break-glass?status=unreviewed|any&_count=N (IG purpose only):
 * the break-glass review queue as a searchset Bundle of AuditEvents, computed as `caregw audit
 * break-glass` does (audit::break_glass_queue): unreviewed events, oldest first (the default,
 * status=unreviewed), or with status=any also the reviewed ones, each followed by its latest
 * review. _count (1..1000, default 100) bounds the events considered. The query is audited.
 */
[[nodiscard]] Result<void> audit_break_glass(const http::Request& req, RequestContext& ctx,
                                             http::Response& res, audit::AuditLog& log);

// The IG reports and export (handlers/audit_reports.cpp; IG purpose only, checked by the dispatch
// stage). Each computes its answer with the function `caregw audit ...` uses and adds one audit
// record (audit-query, or audit-export for the export) that the dispatch stage writes first.

/**
 * audit_access_report: GET /audit/access-report?patient=<NHS number>: "who has accessed my
 * record" (audit::access_history, organisation names from the config), as JSON
 * (audit::access_report_json) or, with _format=text or Accept: text/plain, the CLI's text.
 * 400 naming the parameter for a missing or invalid NHS number (never echoing it).
 */
[[nodiscard]] Result<void> audit_access_report(const http::Request& req, RequestContext& ctx,
                                               http::Response& res, audit::AuditLog& log);

/** audit_denied: GET /audit/denied?from=&to=: refusals by user and organisation, most first
 * (audit::denied_summary); JSON or text as audit_access_report. 400 naming a bad time. */
[[nodiscard]] Result<void> audit_denied(const http::Request& req, RequestContext& ctx,
                                        http::Response& res, audit::AuditLog& log);

/** audit_unusual: GET /audit/unusual?from=&to=: unusual activity under the config's
 * audit.unusual_activity thresholds (audit::unusual_activity); JSON or text. The shared surname
 * and address checks run when the config has a staff directory and `mpi` is given (the patients'
 * side); otherwise the report's notChecked says why not. */
[[nodiscard]] Result<void> audit_unusual(const http::Request& req, RequestContext& ctx,
                                         http::Response& res, audit::AuditLog& log,
                                         identity::MpiService* mpi);

/**
 * audit_export: GET /audit/export?format=csv|bundle&patient=&user=&organization=&purpose=&from=
 * &to=&type=&outcome=&decision=&break-glass=&_count=&_sort=&_cursor=: one page (default 100,
 * at most 1000) as CSV (audit::csv_header + csv_row; the next page in a Link rel="next" header)
 * or as a searchset Bundle of AuditEvents (its next link), like `caregw audit query --format
 * csv|fhir`. Audited as an audit-export.
 */
[[nodiscard]] Result<void> audit_export(const http::Request& req, RequestContext& ctx,
                                        http::Response& res, audit::AuditLog& log);

/**
 * audit_break_glass_review: POST /audit/break-glass/{seq}/review with {"outcome": "appropriate"
 * | "inappropriate" | "follow-up", "note": "..." (optional, at most 2000 characters, one line)}
 * (IG purpose only). Records the reviewer's finding with audit::record_break_glass_review, the
 * function `caregw audit break-glass review` uses; the review record (reviewer from the token) is
 * the audit of the action and is durable before the answer: 201 with it as an AuditEvent. 400
 * naming the bad field, 404 if {seq} is not a granted break-glass record, 409 if already
 * reviewed. A refused attempt is audited as a break-glass-review with outcome 4.
 */
[[nodiscard]] Result<void> audit_break_glass_review(const http::Request& req, RequestContext& ctx,
                                                    http::Response& res, audit::AuditLog& log);

/**
 * audit_break_glass_grants: GET /audit/break-glass/grants (IG purpose only, checked by the
 * dispatch stage): the break-glass grants in force now (opened, not ended, not expired), oldest
 * first, as policy::grants_json (who, organisation, role, patient, reason code and text,
 * opened, expires, the break-glass audit record's seq) or, with _format=text or Accept:
 * text/plain, the table `caregw audit break-glass grants` prints. Only _format is understood
 * (400 naming anything else). One audit-query record (how many grants; no patient named).
 * @param registry the gateway's registry; null: 503 (break-glass is not available)
 */
[[nodiscard]] Result<void> audit_break_glass_grants(const http::Request& req, RequestContext& ctx,
                                                    http::Response& res,
                                                    const policy::BreakGlassRegistry* registry);

/**
 * policy_explain: POST /policy/explain with one recorded request as JSON (the shape `caregw
 * policy dry-run` reads, policy/recorded_input.hpp). Answers the decision at the recorded time
 * under the agreements in force, and one per resource, each with its chain of reasons
 * (policy::explanation_json): {"id", "at", "decision": {...}, "resources": [{"id",
 * "explanation": {...}}]}. For the IG purpose, or any user whose own request it is (requester
 * user and organisation are the token's); 403 otherwise. Audited as an access-decision.
 */
[[nodiscard]] Result<void> policy_explain(const http::Request& req, RequestContext& ctx,
                                          http::Response& res, const policy::PolicyIndex& index);

/**
 * policy_dry_run: POST /policy/dry-run (IG purpose; the dispatch stage checks) with
 * {"agreements": ["<one agreement as YAML>", ...], "inputs": [<recorded request>, ...],
 * "since": "<UTC instant>" (optional)}: each agreement replaces the one in force with its id (or
 * is added), the set is checked against the config as check-config would (400 listing each
 * problem as agreements[i]:line: message), and the inputs (the shape POST /policy/explain takes)
 * are replayed under both sets. Answers {"replayed": n, "changes": policy::dry_run_json(...)}.
 * At most 100 agreements and 10,000 inputs. Without "inputs", the most recent 10,000 inputs the
 * gateway recorded (`recorded`, policy/recorder.hpp) are replayed; 503 when none are recorded
 * here. Audited as one access-decision (no patient named).
 */
[[nodiscard]] Result<void> policy_dry_run(const http::Request& req, RequestContext& ctx,
                                          http::Response& res, const policy::PolicyIndex& index,
                                          const policy::InputRecorder* recorded = nullptr);

/**
 * policy_explain_query: GET /policy/explain?organisation=&role=&user=&purpose=&patient=&
 * resource-type=|category=&sensitivity=&source=&break-glass=&break-glass-reason= (parameters:
 * explain_query.hpp). Gathers the patient's context as a record read does (MPI, record store),
 * then answers the decision now for that requester and kind of data with its chain of reasons,
 * in the shape POST answers (policy::explain_answer_json; "resources" empty). For the ig-audit
 * and integration purposes (the dispatch stage checks). 400 naming the parameter, 404 for an
 * unknown patient. Audited as an access-decision naming the patient.
 */
[[nodiscard]] Result<void> policy_explain_query(const http::Request& req, RequestContext& ctx,
                                                http::Response& res,
                                                const policy::PolicyIndex& index,
                                                identity::MpiService& mpi,
                                                store::RecordStore& records);

/**
 * inbound_message: POST /fhir/$process-message (R4 messages; STU3 ITK3 Transfer of Care),
 * POST /itk (ITK 2.2 SOAP) and POST /adapters/{adapter}/messages (native formats): the body goes
 * to the adapter and the ingest service (journalled, filed, routed, audited); the response is the
 * adapter's acknowledgement with the status the ingest chose (200, 400/422, 503 + Retry-After).
 * Only from a configured organisation's client certificate.
 */
[[nodiscard]] Result<void> inbound_message(const http::Request& req, RequestContext& ctx,
                                           http::Response& res, const Backends& backends);

/**
 * mailbox_fetch: GET /mailbox?limit=N: the calling organisation's queued mailbox messages
 * (oldest first, at most N, default 50); each one handed over is audited as a disclosure.
 */
[[nodiscard]] Result<void> mailbox_fetch(const http::Request& req, RequestContext& ctx,
                                         http::Response& res, store::MessageStore& messages);

/** mailbox_ack: POST /mailbox/ack {"ids": [...]}: the caller has them; only its own messages
 * are touched (acknowledging twice is harmless). Answers {"acknowledged": n}. */
[[nodiscard]] Result<void> mailbox_ack(const http::Request& req, RequestContext& ctx,
                                       http::Response& res, store::MessageStore& messages);
/** RecordServices: what the shared care record handlers use (owned by the caller). */
struct RecordServices {
  identity::MpiService& mpi;
  store::RecordStore& records;
  const policy::PolicyIndex& policy;
  const policy::SensitiveCodeClassifier* sensitive = nullptr;  // may be null
  policy::BreakGlassRegistry* break_glass = nullptr;           // null: no break-glass
  /** break_glass_granted: caregw_break_glass_total{organisation, reason}; null: not counted. */
  metrics::CounterFamily* break_glass_granted = nullptr;
  /** recorder: keeps each decision's inputs for the dry run (policy/recorder.hpp); null: off. */
  policy::InputRecorder* recorder = nullptr;
  /** cache: assembled answers (record/answer_cache.hpp); null or 0 bytes: every read assembles. */
  record::AnswerCache* cache = nullptr;
  /** policy_pin: the policy snapshot `policy` belongs to (its address is part of cache keys;
   * held by cached entries so it is not reused). */
  std::shared_ptr<const void> policy_pin;
};

/**
 * record_everything: GET /fhir/Patient/{id}/$everything (id: NHS number or mpi-<n>; a merged
 * number answers for the survivor). _type (comma-separated types), _since (instant or date),
 * _count (1..1000, default 100), _cursor (from the next link), _format. The Patient, then one
 * page of the record store in Bundle order (record/facts.hpp, order_entries), each decided by
 * the policy engine; withheld entries are dropped and named in an OperationOutcome entry. 400
 * for an invalid NHS number or parameter, 404 for an unknown patient, 403 when no agreement or
 * relationship allows it (the detail names the reason and, where it applies, the break-glass
 * route). A patient's objection answers 200 with only the notice. One audit record (disclosed
 * and withheld) per request, written before the answer.
 */
[[nodiscard]] Result<void> record_everything(const http::Request& req, RequestContext& ctx,
                                             http::Response& res, const RecordServices& s);

/**
 * record_search: GET /fhir/{type}?patient=<NHS number | system|value | Patient/{id}> for
 * Condition, MedicationStatement, AllergyIntolerance, Encounter, Flag, CarePlan and
 * DocumentReference; _count, _cursor, _since, _format. The same policy and audit path as
 * record_everything; no notice (it would reveal a hidden match) and no total unless one page.
 */
[[nodiscard]] Result<void> record_search(const http::Request& req, RequestContext& ctx,
                                         http::Response& res, const RecordServices& s);

/**
 * break_glass_open: POST /fhir/Patient/{id}/$break-glass with {"reason": "emergency-treatment" |
 * "patient-request" | "safeguarding-concern", "justification": "10 to 1000 characters"}. Opens
 * a grant for this user and patient (policy::BreakGlassRegistry, config policy.break_glass_hours)
 * if an agreement lets the user's role break the glass; 403 otherwise. Audited as break-glass;
 * answers a Parameters resource with the reason and the expiry.
 */
[[nodiscard]] Result<void> break_glass_open(const http::Request& req, RequestContext& ctx,
                                            http::Response& res, const RecordServices& s);

/**
 * break_glass_close: POST /fhir/Patient/{id}/$break-glass-close (no body). Ends the calling
 * user's own active break-glass for this patient before it expires (another user's grant is
 * never touched: grants are per user). 404 when the user has none open. Audited as
 * break-glass-close (DCM 110138 Emergency Override Stopped), its related-seq naming the
 * break-glass record; answers a Parameters resource with the reason, opened and closed times.
 */
[[nodiscard]] Result<void> break_glass_close(const http::Request& req, RequestContext& ctx,
                                             http::Response& res, const RecordServices& s);

/**
 * gpconnect_refresh: POST /fhir/Patient/{id}/$gpc-refresh[?practice=<ODS>] (handlers/gpconnect.cpp;
 * purpose direct-care or integration, checked by the dispatch stage). {id} is an NHS number (or
 * mpi-<n> of a person who has one). Asks the practice (default: the registered practice the
 * record shows) for the GP Connect structured record on the user's behalf and files it as a
 * pushed record would be. Answers a Parameters resource: practice, trace-id, journal-id, filed,
 * routed, duplicate. 400 bad id or parameter; 404 unknown patient and no practice named, or no
 * registered practice known; 422 the practice has no GP Connect endpoint; 502 the practice
 * answered an error (its Spine code named) or something that is not the patient's record; 504
 * no answer in time; 503 not configured. One audit record (patient, practice) either way.
 */
[[nodiscard]] Result<void> gpconnect_refresh(const http::Request& req, RequestContext& ctx,
                                             http::Response& res, const Backends& backends);

// Operator actions (gateway/pipeline/handlers/admin.cpp): a user token with the `operations`
// purpose; each request audited.

/** admin_queues: GET /admin/queues: per recipient, messages queued, the oldest, dead letters. */
[[nodiscard]] Result<void> admin_queues(RequestContext& ctx, http::Response& res,
                                        store::MessageStore& messages);
/** admin_dead_letters: GET /admin/dead-letters?recipient=&after=&_count=: one page, by id, with
 * a "next" link; payloads left out. */
[[nodiscard]] Result<void> admin_dead_letters(const http::Request& req, RequestContext& ctx,
                                              http::Response& res, store::MessageStore& messages);
/** admin_outbox_entry: GET /admin/outbox/{id}: one outbound message with its payload (audited as
 * a read of the patient's record). */
[[nodiscard]] Result<void> admin_outbox_entry(RequestContext& ctx, http::Response& res,
                                              store::MessageStore& messages);
/** admin_replay: POST /admin/dead-letters/replay {"ids": [...]}: back in their queues (same
 * idempotency keys); answers {"replayed": n}. */
[[nodiscard]] Result<void> admin_replay(const http::Request& req, RequestContext& ctx,
                                        http::Response& res, store::MessageStore& messages,
                                        const std::string& actor);
/** admin_journal: GET /admin/journal?status=&sender=&after=&_count=: one page of inbound
 * messages as journalled (no bodies: sizes, hashes, status, errors, reprocess history). */
[[nodiscard]] Result<void> admin_journal(const http::Request& req, RequestContext& ctx,
                                         http::Response& res, store::MessageStore& messages);
/** admin_reprocess: POST /admin/journal/reprocess {"ids": [...]}: failed inbound messages sent
 * through again with the mappings now in force; one result per id (processed, failed, refused),
 * each audited. */
[[nodiscard]] Result<void> admin_reprocess(const http::Request& req, RequestContext& ctx,
                                           http::Response& res, ingest::Ingest& ingest,
                                           const ingest::AdapterSet& adapters,
                                           store::MessageStore& messages, const std::string& actor);
/** admin_discard: POST /admin/dead-letters/discard {"ids": [...], "reason": "..."}: given up,
 * with the reason and who; answers {"discarded": n}. */
[[nodiscard]] Result<void> admin_discard(const http::Request& req, RequestContext& ctx,
                                         http::Response& res, store::MessageStore& messages,
                                         const std::string& actor);

/** PatientLookup: a Patient logical id as given, and the person the MPI holds for it (if any). */
struct PatientLookup {
  identity::PatientRef ref;
  std::optional<store::PersonView> person;
};

/**
 * lookup_patient: a Patient logical id (NHS number or mpi-<n>) through the MPI, to the surviving
 * person. kBadRequest (naming no value) for an id that is neither; a store error as it came.
 */
[[nodiscard]] Result<PatientLookup> lookup_patient(identity::MpiService& mpi, std::string_view id);

}  // namespace gw::pipeline
