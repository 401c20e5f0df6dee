// GET /fhir/AuditEvent: the IG lead's view of the audit log as BALP-shaped AuditEvents; the
// break-glass review queue (GET /audit/break-glass) and reviews (POST .../{seq}/review).
#include <algorithm>
#include <charconv>

#include "gateway/audit/export.hpp"
#include "gateway/audit/query.hpp"
#include "gateway/audit/reports.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"

namespace gw::pipeline {
namespace {

/** date_bound: a FHIR date search value with its prefix (ge, gt, le, lt, eq or none). */
Result<void> date_bound(std::string_view value, audit::QueryFilter& f) {
  std::string_view prefix = "eq";
  if (value.size() > 2 && std::isalpha(static_cast<unsigned char>(value[0])) != 0) {
    prefix = value.substr(0, 2);
    value.remove_prefix(2);
  }
  auto t = audit::parse_time_utc(value);
  if (!t) {
    return make_error(Errc::kBadRequest, "date: " + t.error().detail);
  }
  // A bare date (no time) covers the whole day.
  const std::int64_t span = value.size() == 10 ? std::int64_t{86'400'000'000} : 1;
  if (prefix == "ge") {
    f.from_us = *t;
  } else if (prefix == "gt") {
    f.from_us = *t + span;
  } else if (prefix == "lt") {
    f.to_us = *t;
  } else if (prefix == "le") {
    f.to_us = *t + span;
  } else if (prefix == "eq") {
    f.from_us = *t;
    f.to_us = *t + span;
  } else {
    return make_error(Errc::kBadRequest, "date: the prefix must be eq, ge, gt, le or lt");
  }
  return {};
}

}  // namespace

Result<void> audit_search(const http::Request& req, RequestContext& ctx, http::Response& res,
                          audit::AuditLog& log) {
  auto fmt = negotiated_format(req);
  if (!fmt) {
    return fmt.error();
  }
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  audit::QueryFilter filter;
  audit::PageRequest page;
  page.limit = 50;
  for (const auto& [name, value] : *params) {
    if (name == "patient" || name == "patient.identifier" || name == "entity.identifier") {
      std::string_view v = value;
      if (const auto bar = v.find('|'); bar != std::string_view::npos) {
        if (v.substr(0, bar) != kNhsNumberSystem) {
          return make_error(Errc::kBadRequest, name + ": only the NHS number system is searchable");
        }
        v.remove_prefix(bar + 1);
      }
      auto n = NhsNumber::parse(v);
      if (!n) {
        return make_error(Errc::kBadRequest, name + ": " + n.error().detail);
      }
      filter.nhs_number = n->str();
    } else if (name == "agent" || name == "agent.identifier") {
      filter.user_id = value;
    } else if (name == "organization" || name == "agent.organization") {
      filter.org_ods = value;
    } else if (name == "purpose") {
      filter.purpose_of_use = value;
    } else if (name == "date") {
      if (auto d = date_bound(value, filter); !d) {
        return d.error();
      }
    } else if (name == "subtype") {
      auto t = audit::parse_event_type(value);
      if (!t) {
        return make_error(Errc::kBadRequest, "subtype: not a caregw audit event type");
      }
      filter.types.push_back(*t);
    } else if (name == "outcome") {
      auto o = audit::parse_outcome(value);
      if (!o) {
        return make_error(Errc::kBadRequest, "outcome must be 0, 4, 8 or 12");
      }
      filter.outcome = *o;
    } else if (name == "break-glass") {
      filter.break_glass_only = value == "true";
    } else if (name == "_count") {
      std::size_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || end != value.data() + value.size() || n == 0) {
        return make_error(Errc::kBadRequest, "_count must be a whole number from 1");
      }
      page.limit = std::min(n, audit::kMaxPageSize);
    } else if (name == "_cursor") {
      page.cursor = value;
    } else if (name == "_sort") {
      page.newest_first = value == "-date";
    } else if (name != "_format" && name != "_pretty") {
      return make_error(Errc::kBadRequest,
                        "unknown search parameter '" + name +
                            "' (AuditEvent takes patient, agent, organization, purpose, date, "
                            "subtype, outcome, break-glass, _count, _sort, _cursor)");
    }
  }
  // The query is itself audited (by the dispatch stage, before the answer leaves).
  audit::AuditRecord r;
  r.type = audit::EventType::kAuditQuery;
  r.nhs_number = filter.nhs_number;
  r.detail = filter.describe();
  ctx.audit.push_back(std::move(r));
  auto found = log.query(filter, page);
  if (!found) {
    return found.error();
  }
  // The self link without the cursor: audit_bundle_json appends the next page's.
  std::string self = base_url(req) + "/AuditEvent?";
  for (const auto& [name, value] : *params) {
    if (name != "_cursor") {
      self += name + "=" + value + "&";
    }
  }
  self.pop_back();
  return set_fhir_body(res, audit::audit_bundle_json(*found, self), *fmt);
}

Result<void> audit_break_glass(const http::Request& req, RequestContext& ctx, http::Response& res,
                               audit::AuditLog& log) {
  auto fmt = negotiated_format(req);
  if (!fmt) {
    return fmt.error();
  }
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  bool any = false;
  std::size_t limit = 100;
  for (const auto& [name, value] : *params) {
    if (name == "status") {
      if (value != "unreviewed" && value != "any") {
        return make_error(Errc::kBadRequest, "status must be unreviewed or any");
      }
      any = value == "any";
    } else if (name == "_count") {
      std::size_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || end != value.data() + value.size() || n == 0) {
        return make_error(Errc::kBadRequest, "_count must be a whole number from 1");
      }
      limit = std::min(n, audit::kMaxPageSize);
    } else if (name != "_format" && name != "_pretty") {
      return make_error(Errc::kBadRequest, "unknown parameter '" + name +
                                               "' (the break-glass queue takes status and _count)");
    }
  }
  audit::AuditRecord& r = ctx.audit.emplace_back();
  r.type = audit::EventType::kAuditQuery;
  // The same queue as `caregw audit break-glass`: unreviewed first (oldest first), then reviewed.
  auto queue = log.with_reader(
      [limit](audit::AuditStore& st) { return audit::break_glass_queue(st, limit); });
  if (!queue) {
    return queue.error();
  }
  audit::Page page;
  std::size_t events = 0;
  for (auto& item : *queue) {
    if (item.review && !any) {
      continue;  // reviewed: not asked for
    }
    ++events;
    page.records.push_back(std::move(item.event));
    if (item.review) {
      page.records.push_back(std::move(*item.review));  // its related-seq names the event
    }
  }
  r.detail = "break-glass review queue (" + std::string(any ? "any" : "unreviewed") +
             "): " + std::to_string(events) + " events";
  std::string self = base_url(req);  // "https://host/fhir"
  self.resize(self.size() - std::string_view("/fhir").size());
  self += "/audit/break-glass?status=" + std::string(any ? "any" : "unreviewed") +
          "&_count=" + std::to_string(limit);
  return set_fhir_body(res, audit::audit_bundle_json(page, self), *fmt);
}

namespace {

constexpr std::size_t kMaxReviewNote = 2000;

/** review_seq: the {seq} path segment as a record number. */
Result<std::uint64_t> review_seq(std::string_view text) {
  std::uint64_t seq = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (ec != std::errc{} || end != text.data() + text.size() || seq == 0) {
    return make_error(Errc::kBadRequest,
                      "the break-glass record number in the path must be a whole number from 1");
  }
  return seq;
}

/** one_line: no control characters but tab (the audit log keeps notes on one line). */
bool one_line(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7F;
  });
}

/** parse_review_body: {"outcome": ..., "note": ...} into `in`; 400 naming the bad field. */
Result<void> parse_review_body(std::string_view body, audit::ReviewInput& in) {
  constexpr std::string_view kShape =
      R"(the body must be a JSON object: {"outcome": "appropriate" | "inappropriate" | )"
      R"("follow-up", "note": "..."})";
  auto doc = fhir::parse_json(body, fhir::ParseLimits{64 * 1024, 4});
  if (!doc || !doc->IsObject()) {
    return make_error(Errc::kBadRequest, std::string(kShape));
  }
  for (const auto& m : doc->GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name != "outcome" && name != "note") {
      return make_error(Errc::kBadRequest, "unknown field '" + std::string(name) +
                                               "' (a review takes outcome and note)");
    }
  }
  if (!doc->HasMember("outcome")) {
    return make_error(Errc::kBadRequest, "outcome is required: " + std::string(kShape));
  }
  const auto& outcome = (*doc)["outcome"];
  auto parsed = outcome.IsString() ? audit::parse_review_outcome(outcome.GetString())
                                   : std::optional<audit::ReviewOutcome>();
  if (!parsed) {
    return make_error(Errc::kBadRequest, "outcome must be appropriate, inappropriate or follow-up");
  }
  in.outcome = *parsed;
  if (doc->HasMember("note")) {
    const auto& note = (*doc)["note"];
    if (!note.IsString()) {
      return make_error(Errc::kBadRequest, "note must be a string");
    }
    in.note.assign(note.GetString(), note.GetStringLength());
    if (in.note.size() > kMaxReviewNote || !one_line(in.note)) {
      return make_error(Errc::kBadRequest,
                        "note must be one line of at most 2000 characters (no line breaks or "
                        "control characters)");
    }
  }
  return {};
}

}  // namespace

Result<void> audit_break_glass_review(const http::Request& req, RequestContext& ctx,
                                      http::Response& res, audit::AuditLog& log) {
  if (!ctx.route || ctx.route->params.empty() || !ctx.user) {
    return make_error(Errc::kInternal, "break-glass review without a record number or user");
  }
  auto fmt = negotiated_format(req);
  if (!fmt) {
    return fmt.error();
  }
  // A refused attempt is audited as this review, naming the record it was about (outcome 4:
  // the queue does not count it as a review).
  audit::AuditRecord& attempt = ctx.audit.emplace_back();
  attempt.type = audit::EventType::kBreakGlassReview;
  auto seq = review_seq(ctx.route->params.front());
  if (!seq) {
    return seq.error();
  }
  attempt.related_seq = *seq;
  audit::ReviewInput in;
  in.break_glass_seq = *seq;
  if (auto body = parse_review_body(req.body, in); !body) {
    return body.error();
  }
  const policy::User& who = ctx.user->user;
  in.reviewer_id = who.id;
  in.reviewer_name = who.name;
  in.reviewer_role = who.role_code;
  in.reviewer_org = who.ods;
  in.purpose_of_use = std::string(policy::purpose_name(who.purpose));
  in.client_system = ctx.peer.subject;
  in.source_address = ctx.remote_address;
  in.request_id = ctx.request_id;
  // One piece of code with the CLI: checks the event, refuses a second review, appends durably.
  auto recorded = audit::record_break_glass_review(log, in);
  if (!recorded) {
    return recorded.error();
  }
  ctx.audit.clear();  // the review record is this request's audit record, already on disk
  ctx.audit_written = true;
  auto review = log.get(*recorded);
  if (!review) {
    return review.error();
  }
  auto set = set_fhir_body(res, audit::audit_event_json(*review), *fmt);
  if (!set) {
    return set.error();
  }
  res.status = 201;
  return {};
}

}  // namespace gw::pipeline
