// Dispatch: run the handler of the matched operation.
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/core/log.hpp"
#include "gateway/fhir/capability.hpp"
#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/format.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/operation_outcome.hpp"
#include "gateway/fhir/xml.hpp"
#include "gateway/pipeline/audit_async.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"
#include "gateway/pipeline/stages/stages.hpp"

namespace gw::pipeline {
namespace {

constexpr std::string_view kVersion = "0.1.0";

class Dispatch final : public Stage {
public:
  explicit Dispatch(const Services& s)
      : services_(s), interactions_(http::RouteTable::builtin().fhir_interactions()) {}
  [[nodiscard]] std::string_view name() const override { return "dispatch"; }

  boost::asio::awaitable<Result<void>> run(const http::Request& req, RequestContext& ctx,
                                           http::Response& res) override {
    if (ctx.route && is_system_op(ctx.route->op)) {
      co_return co_await run_system(req, ctx, res);
    }
    if (!ctx.route || !touches_store(ctx.route->op)) {
      co_return handle(req, ctx, res);
    }
    // Patient data: who is asking (bearer token), the handler off the I/O threads, then the
    // audit record on disk before the response leaves (issue 5: "durable before the answer").
    if (services_.backends.audit == nullptr) {
      co_return make_error(Errc::kUnavailable,
                           "the audit log is not available, so patient data cannot be served");
    }
    Result<void> result = identify_user(req, ctx);
    if (result) {
      result = co_await run_stored(req, ctx, res);
    }
    auto records = complete_audit(ctx, result);
    const auto wait_start = std::chrono::steady_clock::now();
    auto written = co_await async_audit_all(*services_.backends.audit, std::move(records),
                                            boost::asio::use_awaitable);
    services_.stats.audit_wait.with({http::operation_name(ctx.route->op)})
        .observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wait_start).count());
    if (ctx.opened_grant) {
      co_await settle_grant(ctx, written);
    }
    if (!written) {
      co_return make_error(Errc::kUnavailable,
                           "the audit log cannot record this access, so it was not served (" +
                               written.error().detail + ")");
    }
    co_return result;
  }

private:
  /** is_system_op: operations a provider system calls with its certificate alone. */
  static bool is_system_op(http::Operation op) {
    return op == http::Operation::kProcessMessage || op == http::Operation::kItkMessage ||
           op == http::Operation::kAdapterPush || op == http::Operation::kMailboxFetch ||
           op == http::Operation::kMailboxAck;
  }

  /**
   * run_system: message pushes (the ingest service journals and audits each movement itself)
   * and the mailbox (its disclosures are audited here, durably, before the response leaves).
   */
  boost::asio::awaitable<Result<void>> run_system(const http::Request& req, RequestContext& ctx,
                                                  http::Response& res) const {
    const auto op = ctx.route->op;
    const bool mailbox = op == http::Operation::kMailboxFetch || op == http::Operation::kMailboxAck;
    if (ctx.organisation == nullptr) {
      co_return make_error(Errc::kForbidden,
                           "this operation is for a configured organisation's system, "
                           "identified by its client certificate");
    }
    if (mailbox &&
        (services_.backends.messages == nullptr || services_.backends.audit == nullptr)) {
      co_return make_error(Errc::kUnavailable, "the mailbox is not available on this gateway");
    }
    auto work = [&]() -> Result<void> {
      switch (op) {
        case http::Operation::kMailboxFetch:
          return mailbox_fetch(req, ctx, res, *services_.backends.messages);
        case http::Operation::kMailboxAck:
          return mailbox_ack(req, ctx, res, *services_.backends.messages);
        default:
          return inbound_message(req, ctx, res, services_.backends);
      }
    };
    Result<void> result = make_error(Errc::kInternal, "not run");
    if (services_.blocking) {
      result = co_await boost::asio::co_spawn(
          services_.blocking, [&]() -> boost::asio::awaitable<Result<void>> { co_return work(); },
          boost::asio::use_awaitable);
    } else {
      result = work();
    }
    if (!mailbox || !result) {
      co_return result;
    }
    for (auto& r : ctx.audit) {
      r.node_id = ctx.config ? ctx.config->node_id : std::string();
      r.request_id = ctx.request_id;
      r.source_address = ctx.remote_address;
      r.client_system = ctx.peer.subject;
      r.org_ods = ctx.organisation->ods.str();
    }
    auto written = co_await async_audit_all(*services_.backends.audit, std::move(ctx.audit),
                                            boost::asio::use_awaitable);
    if (!written) {
      res = http::Response{};
      co_return make_error(Errc::kUnavailable,
                           "the audit log cannot record this hand-over, so nothing was released (" +
                               written.error().detail + ")");
    }
    co_return result;
  }

  /**
   * settle_grant: a break-glass grant this request opened is linked to its audit record once
   * that is on disk (the grant store keeps the seq), or ended if the record could not be
   * written: no grant is left in force without its audit record. Off the I/O threads.
   */
  boost::asio::awaitable<void> settle_grant(const RequestContext& ctx,
                                            const Result<std::uint64_t>& written) const {
    policy::BreakGlassRegistry* registry = services_.backends.break_glass;
    if (registry == nullptr || !ctx.opened_grant) {
      co_return;
    }
    const policy::BreakGlassGrant& g = *ctx.opened_grant;
    auto work = [&]() {
      if (written) {
        if (auto linked = registry->note_audit_seq(g.user_id, g.nhs_number, g.granted_at, *written);
            !linked) {
          log::warn("break_glass_audit_link_failed",
                    {{"error", linked.error().detail}, {"request_id", ctx.request_id}});
        }
      } else if (auto ended = registry->end(g.user_id, g.nhs_number); !ended) {
        log::error("break_glass_unaudited_grant_not_ended",
                   {{"error", ended.error().detail}, {"request_id", ctx.request_id}});
      }
    };
    if (services_.blocking) {
      co_await boost::asio::co_spawn(
          services_.blocking,
          [&]() -> boost::asio::awaitable<void> {
            work();
            co_return;
          },
          boost::asio::use_awaitable);
    } else {
      work();
    }
  }

  static bool touches_store(http::Operation op) {
    switch (op) {
      case http::Operation::kPatientSearch:
      case http::Operation::kPatientRead:
      case http::Operation::kReviewList:
      case http::Operation::kReviewInspect:
      case http::Operation::kReviewDecide:
      case http::Operation::kUnmerge:
      case http::Operation::kAuditSearch:
      case http::Operation::kRecordEverything:
      case http::Operation::kRecordSearch:
      case http::Operation::kBreakGlass:
      case http::Operation::kAuditBreakGlass:
      case http::Operation::kPolicyExplain:
      case http::Operation::kPolicyExplainQuery:
      case http::Operation::kPolicyDryRun:
      case http::Operation::kBreakGlassClose:
      case http::Operation::kAuditBreakGlassReview:
      case http::Operation::kAuditBreakGlassGrants:
      case http::Operation::kGpcRefresh:
        return true;
      default:
        return is_admin_op(op) || is_audit_report(op);
    }
  }

  static bool is_admin_op(http::Operation op) {
    return op == http::Operation::kAdminQueues || op == http::Operation::kAdminDeadLetters ||
           op == http::Operation::kAdminOutboxEntry || op == http::Operation::kAdminReplay ||
           op == http::Operation::kAdminDiscard || op == http::Operation::kAdminJournal ||
           op == http::Operation::kAdminReprocess;
  }

  /** is_audit_report: the IG reports and export under /audit/ (handlers/audit_reports.cpp). */
  static bool is_audit_report(http::Operation op) {
    return op == http::Operation::kAuditAccessReport || op == http::Operation::kAuditDenied ||
           op == http::Operation::kAuditUnusual || op == http::Operation::kAuditExport;
  }

  /** is_audit_op: the IG routes under /fhir/AuditEvent and /audit/ (the audit log's reports,
   * its break-glass review queue and reviews, and the break-glass grants in force). */
  static bool is_audit_op(http::Operation op) {
    return op == http::Operation::kAuditSearch || op == http::Operation::kAuditBreakGlass ||
           op == http::Operation::kAuditBreakGlassReview ||
           op == http::Operation::kAuditBreakGlassGrants || is_audit_report(op);
  }

  static bool for_ig_only(http::Operation op) {
    return op == http::Operation::kReviewList || op == http::Operation::kReviewInspect ||
           op == http::Operation::kReviewDecide || op == http::Operation::kUnmerge ||
           is_audit_op(op) || op == http::Operation::kPolicyDryRun;
  }

  /** event_type_of: the audit event a request of this operation records when it fails. */
  static audit::EventType event_type_of(http::Operation op) {
    if (op == http::Operation::kAuditExport) {
      return audit::EventType::kAuditExport;
    }
    if (is_audit_report(op)) {
      return audit::EventType::kAuditQuery;
    }
    switch (op) {
      case http::Operation::kPatientSearch:
      case http::Operation::kRecordSearch:
        return audit::EventType::kRecordSearch;
      case http::Operation::kBreakGlass:
        return audit::EventType::kBreakGlass;
      case http::Operation::kBreakGlassClose:
        return audit::EventType::kBreakGlassClose;
      case http::Operation::kAuditBreakGlassReview:
        return audit::EventType::kBreakGlassReview;
      case http::Operation::kAuditSearch:
      case http::Operation::kAuditBreakGlass:
      case http::Operation::kAuditBreakGlassGrants:
        return audit::EventType::kAuditQuery;
      case http::Operation::kPolicyExplain:
      case http::Operation::kPolicyExplainQuery:
      case http::Operation::kPolicyDryRun:
        return audit::EventType::kAccessDecision;
      case http::Operation::kReviewList:
      case http::Operation::kReviewInspect:
      case http::Operation::kReviewDecide:
      case http::Operation::kUnmerge:
        return audit::EventType::kMpiReview;
      case http::Operation::kAdminReplay:
        return audit::EventType::kMessageReplayed;
      case http::Operation::kAdminDiscard:
        return audit::EventType::kMessageDeadLettered;
      case http::Operation::kAdminQueues:
      case http::Operation::kAdminDeadLetters:
        return audit::EventType::kRecordSearch;
      default:
        return audit::EventType::kRecordRead;
    }
  }

  /** identify_user: the bearer token's user, of the certificate's organisation. */
  Result<void> identify_user(const http::Request& req, RequestContext& ctx) const {
    // The verifier in force now (SIGHUP may replace it); this request keeps it to the end.
    const auto tokens =
        services_.backends.tokens != nullptr ? services_.backends.tokens->current() : nullptr;
    if (tokens == nullptr) {
      return make_error(Errc::kUnauthenticated,
                        "this gateway has no token issuer configured, so it cannot tell who is "
                        "asking (token_issuers in the config)");
    }
    auto raw = auth::bearer_token(req.headers.get("Authorization"));
    if (!raw) {
      return raw.error().to_error();
    }
    auto user = tokens->verify(*raw, std::chrono::system_clock::now());
    if (!user) {
      return user.error().to_error();
    }
    if (ctx.organisation == nullptr) {
      return make_error(Errc::kForbidden, "the calling organisation is not known");
    }
    if (auto same = auth::check_organisation(*user, ctx.organisation->ods.str()); !same) {
      return same.error().to_error();
    }
    ctx.user = std::move(*user);
    if (is_admin_op(ctx.route->op) && ctx.user->user.purpose != policy::Purpose::kOperations) {
      return make_error(Errc::kForbidden,
                        "the delivery queues are for the gateway's operators: the token's purpose "
                        "of use must be " +
                            std::string(policy::purpose_name(policy::Purpose::kOperations)));
    }
    if (ctx.route->op == http::Operation::kPolicyExplainQuery &&
        ctx.user->user.purpose != policy::Purpose::kIgAudit &&
        ctx.user->user.purpose != policy::Purpose::kIntegration) {
      return make_error(
          Errc::kForbidden,
          "explaining the policy for any requester and patient is for information "
          "governance staff and system integrators: the token's purpose of use must "
          "be " +
              std::string(policy::purpose_name(policy::Purpose::kIgAudit)) + " or " +
              std::string(policy::purpose_name(policy::Purpose::kIntegration)) +
              " (anyone may explain their own recorded request: POST /policy/explain)");
    }
    if (ctx.route->op == http::Operation::kGpcRefresh &&
        ctx.user->user.purpose != policy::Purpose::kDirectCare &&
        ctx.user->user.purpose != policy::Purpose::kIntegration) {
      return make_error(Errc::kForbidden,
                        "asking a practice for the GP record is a direct-care or integration "
                        "action: the token's purpose of use must be " +
                            std::string(policy::purpose_name(policy::Purpose::kDirectCare)) +
                            " or " +
                            std::string(policy::purpose_name(policy::Purpose::kIntegration)));
    }
    if (for_ig_only(ctx.route->op) && ctx.user->user.purpose != policy::Purpose::kIgAudit) {
      return make_error(Errc::kForbidden,
                        std::string(ctx.route->op == http::Operation::kAuditBreakGlassGrants
                                        ? "the list of break-glass grants in force"
                                    : is_audit_op(ctx.route->op) ? "the audit log"
                                    : ctx.route->op == http::Operation::kPolicyDryRun
                                        ? "the policy dry run (it replays recorded requests)"
                                        : "the identity review worklist") +
                            " is for information governance and records staff: the token's "
                            "purpose of use must be " +
                            std::string(policy::purpose_name(policy::Purpose::kIgAudit)));
    }
    return {};
  }

  boost::asio::awaitable<Result<void>> run_stored(const http::Request& req, RequestContext& ctx,
                                                  http::Response& res) const {
    if (services_.blocking) {
      // The store blocks on disk: run the handler on the blocking executor and come back.
      co_return co_await boost::asio::co_spawn(
          services_.blocking,
          [&]() -> boost::asio::awaitable<Result<void>> { co_return handle_stored(req, ctx, res); },
          boost::asio::use_awaitable);
    }
    co_return handle_stored(req, ctx, res);  // no blocking executor (tests): run here
  }

  Result<void> handle_stored(const http::Request& req, RequestContext& ctx,
                             http::Response& res) const {
    if (is_admin_op(ctx.route->op)) {
      return handle_admin(req, ctx, res);
    }
    if (ctx.route->op == http::Operation::kAuditBreakGlass) {
      return audit_break_glass(req, ctx, res, *services_.backends.audit);
    }
    if (is_audit_report(ctx.route->op)) {
      return handle_audit_report(req, ctx, res);
    }
    if (ctx.route->op == http::Operation::kAuditBreakGlassReview) {
      return audit_break_glass_review(req, ctx, res, *services_.backends.audit);
    }
    if (ctx.route->op == http::Operation::kAuditBreakGlassGrants) {
      return audit_break_glass_grants(req, ctx, res, services_.backends.break_glass);
    }
    if (ctx.route->op == http::Operation::kGpcRefresh) {
      return gpconnect_refresh(req, ctx, res, services_.backends);
    }
    if (ctx.route->op == http::Operation::kPolicyExplain) {
      if (services_.backends.policy == nullptr) {
        return make_error(Errc::kUnavailable, "no data-sharing agreements are loaded");
      }
      const auto set = services_.backends.policy->current();  // one snapshot for the request
      return policy_explain(req, ctx, res, *set->index);
    }
    if (ctx.route->op == http::Operation::kPolicyDryRun) {
      if (services_.backends.policy == nullptr) {
        return make_error(Errc::kUnavailable, "no data-sharing agreements are loaded");
      }
      const auto set = services_.backends.policy->current();
      return policy_dry_run(req, ctx, res, *set->index, services_.backends.recorder);
    }
    identity::MpiService* mpi = services_.backends.mpi;
    if (mpi == nullptr) {
      return make_error(Errc::kUnavailable, "the patient index is not available on this gateway");
    }
    if (ctx.route->op == http::Operation::kPatientSearch ||
        ctx.route->op == http::Operation::kPatientRead ||
        ctx.route->op == http::Operation::kPolicyExplainQuery) {
      return handle_decided(req, ctx, res, *mpi);
    }
    const std::string actor = ctx.user ? ctx.user->user.id : std::string();
    switch (ctx.route->op) {
      case http::Operation::kReviewList:
        return review_list(req, ctx, res, *mpi);
      case http::Operation::kReviewInspect:
        return review_inspect(ctx, res, *mpi, actor);
      case http::Operation::kReviewDecide:
        return review_decide(req, ctx, res, *mpi, actor);
      case http::Operation::kUnmerge:
        return review_unmerge(req, ctx, res, *mpi, actor);
      case http::Operation::kAuditSearch:
        return audit_search(req, ctx, res, *services_.backends.audit);
      case http::Operation::kRecordEverything:
      case http::Operation::kRecordSearch:
      case http::Operation::kBreakGlass:
      case http::Operation::kBreakGlassClose:
        return handle_record(req, ctx, res, *mpi);
      default:
        break;
    }
    return make_error(Errc::kInternal, "no stored handler for the matched operation");
  }

  Result<void> handle_admin(const http::Request& req, RequestContext& ctx,
                            http::Response& res) const {
    store::MessageStore* messages = services_.backends.messages;
    if (messages == nullptr) {
      return make_error(Errc::kUnavailable, "the message store is not available on this gateway");
    }
    const std::string actor = ctx.user->user.id;
    switch (ctx.route->op) {
      case http::Operation::kAdminQueues:
        return admin_queues(ctx, res, *messages);
      case http::Operation::kAdminDeadLetters:
        return admin_dead_letters(req, ctx, res, *messages);
      case http::Operation::kAdminOutboxEntry:
        return admin_outbox_entry(ctx, res, *messages);
      case http::Operation::kAdminReplay:
        return admin_replay(req, ctx, res, *messages, actor);
      case http::Operation::kAdminDiscard:
        return admin_discard(req, ctx, res, *messages, actor);
      case http::Operation::kAdminJournal:
        return admin_journal(req, ctx, res, *messages);
      case http::Operation::kAdminReprocess:
        if (services_.backends.ingest == nullptr || services_.backends.adapters == nullptr) {
          return make_error(Errc::kUnavailable, "message processing is not available here");
        }
        return admin_reprocess(req, ctx, res, *services_.backends.ingest,
                               *services_.backends.adapters, *messages, actor);
      default:
        return make_error(Errc::kInternal, "not an operator action");
    }
  }

  /**
   * handle_decided: Patient search and read, and GET /policy/explain: each gathers the patient's
   * context from the record store and asks the policy engine (deny by default: without
   * agreements or a record store they answer 503).
   */
  Result<void> handle_decided(const http::Request& req, RequestContext& ctx, http::Response& res,
                              identity::MpiService& mpi) const {
    const Backends& b = services_.backends;
    if (b.records == nullptr || b.policy == nullptr) {
      return make_error(Errc::kUnavailable,
                        "patient details are decided by the data-sharing agreements, and this "
                        "gateway has no record store or no agreements loaded");
    }
    const auto set = b.policy->current();  // this request decides under one policy snapshot
    if (ctx.route->op == http::Operation::kPolicyExplainQuery) {
      return policy_explain_query(req, ctx, res, *set->index, mpi, *b.records);
    }
    const PatientPolicy pp{*set->index, *b.records, b.break_glass, b.recorder};
    if (ctx.route->op == http::Operation::kPatientSearch) {
      return patient_search(req, ctx, res, mpi, pp);
    }
    return patient_read(req, ctx, res, mpi, pp);
  }

  /** handle_audit_report: the IG reports and export (handlers/audit_reports.cpp). */
  Result<void> handle_audit_report(const http::Request& req, RequestContext& ctx,
                                   http::Response& res) const {
    if (!ctx.route || services_.backends.audit == nullptr) {
      return make_error(Errc::kInternal, "audit report dispatched without a route or a log");
    }
    audit::AuditLog& log = *services_.backends.audit;
    switch (ctx.route->op) {
      case http::Operation::kAuditAccessReport:
        return audit_access_report(req, ctx, res, log);
      case http::Operation::kAuditDenied:
        return audit_denied(req, ctx, res, log);
      case http::Operation::kAuditUnusual:
        return audit_unusual(req, ctx, res, log, services_.backends.mpi);
      default:
        return audit_export(req, ctx, res, log);
    }
  }

  /** handle_record: the shared care record routes (handlers/record.cpp). */
  Result<void> handle_record(const http::Request& req, RequestContext& ctx, http::Response& res,
                             identity::MpiService& mpi) const {
    const Backends& b = services_.backends;
    if (b.records == nullptr || b.policy == nullptr) {
      return make_error(Errc::kUnavailable,
                        "the shared care record is not available on this gateway (no record "
                        "store or no data-sharing agreements)");
    }
    const auto set = b.policy->current();  // this request decides under one policy snapshot
    RecordServices rs{mpi,
                      *b.records,
                      *set->index,
                      set->classifier.get(),
                      b.break_glass,
                      &services_.stats.break_glass,
                      b.recorder,
                      b.record_cache,
                      set};
    switch (ctx.route->op) {
      case http::Operation::kRecordEverything:
        return record_everything(req, ctx, res, rs);
      case http::Operation::kRecordSearch:
        return record_search(req, ctx, res, rs);
      case http::Operation::kBreakGlassClose:
        return break_glass_close(req, ctx, res, rs);
      default:
        return break_glass_open(req, ctx, res, rs);
    }
  }

  /**
   * complete_audit: the records to write for this request: the handler's (one per patient
   * disclosed), or one for a refusal or failure, each completed with who, from where and why.
   */
  std::vector<audit::AuditRecord> complete_audit(RequestContext& ctx,
                                                 const Result<void>& result) const {
    std::vector<audit::AuditRecord> records = std::move(ctx.audit);
    if (result && ctx.audit_written && records.empty()) {
      return records;  // the handler's own record is already on disk
    }
    if (!result || records.empty()) {
      audit::AuditRecord r;
      r.type = event_type_of(ctx.route->op);
      if (!records.empty()) {
        r = records.front();  // keep the patient a failed request was about
        r.disclosed.clear();
        r.prepared_disclosed.reset();
      }
      records.assign(1, std::move(r));
    }
    for (auto& r : records) {
      r.node_id = ctx.config ? ctx.config->node_id : std::string();
      r.request_id = ctx.request_id;
      r.source_address = ctx.remote_address;
      r.client_system = ctx.peer.subject;
      if (ctx.user) {
        r.user_id = ctx.user->user.id;
        r.user_name = ctx.user->user.name;
        r.user_role = ctx.user->user.role_code;
        r.org_ods = ctx.user->user.ods;
        r.purpose_of_use = std::string(policy::purpose_name(ctx.user->user.purpose));
      } else if (ctx.organisation != nullptr) {
        r.org_ods = ctx.organisation->ods.str();
      }
      if (result) {
        r.outcome = audit::Outcome::kSuccess;
        if (r.decision == audit::Decision::kNone) {
          r.decision = audit::Decision::kPermit;  // handlers that decided say how
        }
      } else {
        const Errc code = result.error().code;
        const unsigned status = http_status(code);
        r.outcome = status >= 500 ? audit::Outcome::kSeriousFailure : audit::Outcome::kMinorFailure;
        r.decision = code == Errc::kUnauthenticated || code == Errc::kForbidden ||
                             code == Errc::kPolicyDenied
                         ? audit::Decision::kDeny
                         : audit::Decision::kNone;
        r.detail = (r.detail.empty() ? std::string() : r.detail + ": ") + "refused (" +
                   std::string(errc_name(code)) + ")";
      }
    }
    return records;
  }

  Result<void> handle(const http::Request& req, RequestContext& ctx, http::Response& res) const {
    if (!ctx.route) {
      return make_error(Errc::kInternal, "dispatch ran without a matched route");
    }
    switch (ctx.route->op) {
      case http::Operation::kHealth:
        res.status = 200;
        res.headers.set("Content-Type", "application/health+json");
        res.body = R"({"status":"pass"})";
        return {};
      case http::Operation::kReady:
        res.headers.set("Content-Type", "application/health+json");
        if (ctx.draining) {
          res.status = 503;
          res.body = R"({"status":"fail","output":"shutting down"})";
        } else if (services_.backends.audit != nullptr && !services_.backends.audit->healthy()) {
          // Nothing that needs an audit record can be served: take this node out of rotation.
          res.status = 503;
          res.body = R"({"status":"fail","output":"the audit log cannot write"})";
        } else {
          res.status = 200;
          res.body = R"({"status":"pass"})";
        }
        return {};
      case http::Operation::kMetrics:
        if (services_.backends.break_glass != nullptr) {
          // Grants lapse by time, not by an event: count the unexpired ones at each scrape.
          services_.stats.break_glass_active.with({}).set(
              static_cast<std::int64_t>(services_.backends.break_glass->active_count()));
        }
        res.status = 200;
        res.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        res.body = services_.registry.render();
        return {};
      case http::Operation::kCapabilities: {
        auto fmt = negotiated_format(req);
        if (!fmt) {
          return fmt.error();
        }
        fhir::CapabilityInfo info{kVersion, fhir::format_instant(ctx.received), base_url(req),
                                  interactions_, true};
        return set_fhir_body(res, fhir::capability_statement_json(info), *fmt);
      }
      case http::Operation::kPatientSearch:
      case http::Operation::kPatientRead:
      case http::Operation::kReviewList:
      case http::Operation::kReviewInspect:
      case http::Operation::kReviewDecide:
      case http::Operation::kUnmerge:
      case http::Operation::kAuditSearch:
      case http::Operation::kProcessMessage:
      case http::Operation::kItkMessage:
      case http::Operation::kAdapterPush:
      case http::Operation::kMailboxFetch:
      case http::Operation::kMailboxAck:
      case http::Operation::kAdminQueues:
      case http::Operation::kAdminDeadLetters:
      case http::Operation::kAdminOutboxEntry:
      case http::Operation::kAdminReplay:
      case http::Operation::kAdminDiscard:
      case http::Operation::kAdminJournal:
      case http::Operation::kAdminReprocess:
        break;  // run(): handle_stored / run_system
      case http::Operation::kRecordEverything:
      case http::Operation::kRecordSearch:
      case http::Operation::kBreakGlass:
      case http::Operation::kAuditBreakGlass:
      case http::Operation::kPolicyExplain:
      case http::Operation::kPolicyExplainQuery:
      case http::Operation::kPolicyDryRun:
      case http::Operation::kAuditAccessReport:
      case http::Operation::kAuditDenied:
      case http::Operation::kAuditUnusual:
      case http::Operation::kAuditExport:
      case http::Operation::kBreakGlassClose:
      case http::Operation::kAuditBreakGlassReview:
      case http::Operation::kAuditBreakGlassGrants:
      case http::Operation::kGpcRefresh:
        break;  // run(): handle_stored
    }
    return make_error(Errc::kInternal, "no handler for the matched operation");
  }

  Services services_;
  std::vector<http::FhirInteraction> interactions_;
};

}  // namespace

std::unique_ptr<Stage> make_dispatch_stage(const Services& services) {
  return std::make_unique<Dispatch>(services);
}

}  // namespace gw::pipeline
