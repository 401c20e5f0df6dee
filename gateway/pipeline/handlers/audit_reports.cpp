// GET /audit/access-report, /audit/denied, /audit/unusual and /audit/export: the IG reports and
// export over HTTP. They call the same report functions and renderings as `caregw audit ...`
// (gateway/audit/reports.hpp, report_render.hpp); each request is audited before it is answered.
#include <cctype>
#include <charconv>
#include <limits>

#include "gateway/audit/export.hpp"
#include "gateway/audit/people_source.hpp"
#include "gateway/audit/query.hpp"
#include "gateway/audit/report_render.hpp"
#include "gateway/audit/reports.hpp"
#include "gateway/config/staff_directory.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"
#include "gateway/policy/break_glass.hpp"
#include "gateway/policy/grants_report.hpp"

namespace gw::pipeline {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

/** wants_text: text/plain when _format=text, or Accept names text/plain before any JSON type. */
Result<bool> wants_text(const http::Request& req) {
  std::string format;
  if (http::query_param(req.query(), "_format", format)) {
    if (format == "text") {
      return true;
    }
    if (format == "json") {
      return false;
    }
    return make_error(Errc::kBadRequest, "_format must be json or text for the audit reports");
  }
  const std::string_view accept = req.headers.get("Accept");
  const auto text = accept.find("text/plain");
  const auto json = accept.find("json");
  return text != std::string_view::npos && (json == std::string_view::npos || text < json);
}

void set_body(http::Response& res, std::string body, bool text) {
  res.status = 200;
  res.headers.set("Content-Type", text ? "text/plain; charset=utf-8" : "application/json");
  res.body = std::move(body);
}

/** time_param: an instant or a date (audit::parse_time_utc), naming the parameter if bad. */
Result<std::int64_t> time_param(const std::string& name, std::string_view value) {
  auto t = audit::parse_time_utc(value);
  if (!t) {
    return make_error(Errc::kBadRequest, name + ": " + t.error().detail +
                                             " (give YYYY-MM-DD or an ISO 8601 UTC time)");
  }
  return *t;
}

/** nhs_param: an NHS number, plain or as <NHS number system>|<number>; never echoed back. */
Result<std::string> nhs_param(const std::string& name, std::string_view value) {
  if (const auto bar = value.find('|'); bar != std::string_view::npos) {
    if (value.substr(0, bar) != kNhsNumberSystem) {
      return make_error(Errc::kBadRequest, name + ": only the NHS number system is searchable");
    }
    value.remove_prefix(bar + 1);
  }
  auto n = NhsNumber::parse(value);
  if (!n) {
    return make_error(Errc::kBadRequest, name + ": " + n.error().detail);
  }
  return n->str();
}

/** Period: the from/to of a report; absent bounds are open. */
struct Period {
  std::optional<std::int64_t> from_us;
  std::optional<std::int64_t> to_us;
};

/** period_params: from and to only (plus _format); anything else is named and refused. */
Result<Period> period_params(const Params& params, std::string_view report) {
  Period p;
  for (const auto& [name, value] : params) {
    if (name == "from" || name == "to") {
      auto t = time_param(name, value);
      if (!t) {
        return t.error();
      }
      (name == "from" ? p.from_us : p.to_us) = *t;
    } else if (name != "_format") {
      return make_error(Errc::kBadRequest, "unknown parameter '" + name + "' (the " +
                                               std::string(report) + " report takes from and to)");
    }
  }
  if (p.from_us && p.to_us && *p.to_us <= *p.from_us) {
    return make_error(Errc::kBadRequest, "to must be later than from");
  }
  return p;
}

/** ReportQuery: whether the answer is the CLI's text, and the query's parameters. */
struct ReportQuery {
  bool text = false;
  Params params;
};

/** report_query: the answer format (_format, Accept) and the parameters of a report request. */
Result<ReportQuery> report_query(const http::Request& req) {
  auto text = wants_text(req);
  if (!text) {
    return text.error();
  }
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  return ReportQuery{*text, std::move(*params)};
}

/** PeriodRequest: a period report's from/to and whether the answer is the CLI's text. */
struct PeriodRequest : Period {
  bool text = false;
};

/** period_request: the answer format and the period of a from/to report request. */
Result<PeriodRequest> period_request(const http::Request& req, std::string_view report) {
  auto q = report_query(req);
  if (!q) {
    return q.error();
  }
  auto p = period_params(q->params, report);
  if (!p) {
    return p.error();
  }
  PeriodRequest out;
  static_cast<Period&>(out) = *p;
  out.text = q->text;
  return out;
}

std::string period_words(const Period& p) {
  std::string out = "from ";
  out.append(p.from_us ? audit::format_time_utc(*p.from_us) : std::string("the start"))
      .append(" to ")
      .append(p.to_us ? audit::format_time_utc(*p.to_us) : std::string("now"));
  return out;
}

/** ExportRequest: what /audit/export asks for. */
struct ExportRequest {
  bool csv = true;
  audit::QueryFilter filter;
  audit::PageRequest page;
};

Result<void> export_param(const std::string& name, const std::string& value, ExportRequest& x) {
  audit::QueryFilter& f = x.filter;
  if (name == "format") {
    if (value != "csv" && value != "bundle" && value != "fhir") {
      return make_error(Errc::kBadRequest, "format must be csv or bundle");
    }
    x.csv = value == "csv";
  } else if (name == "patient") {
    auto n = nhs_param(name, value);
    if (!n) {
      return n.error();
    }
    f.nhs_number = std::move(*n);
  } else if (name == "user") {
    f.user_id = value;
  } else if (name == "organization") {
    f.org_ods = value;
  } else if (name == "purpose") {
    f.purpose_of_use = value;
  } else if (name == "from" || name == "to") {
    auto t = time_param(name, value);
    if (!t) {
      return t.error();
    }
    (name == "from" ? f.from_us : f.to_us) = *t;
  } else if (name == "type") {
    auto t = audit::parse_event_type(value);
    if (!t) {
      return make_error(Errc::kBadRequest, "type: not a caregw audit event type");
    }
    f.types.push_back(*t);
  } else if (name == "outcome") {
    f.outcome = audit::parse_outcome(value);
    if (!f.outcome) {
      return make_error(Errc::kBadRequest,
                        "outcome must be 0, 4, 8, 12 or success, minor-failure, serious-failure, "
                        "major-failure");
    }
  } else if (name == "decision") {
    f.decision = audit::parse_decision(value);
    if (!f.decision || value.empty()) {
      return make_error(Errc::kBadRequest,
                        "decision must be permit, permit-redacted, deny or break-glass");
    }
  } else if (name == "break-glass") {
    if (value != "true" && value != "false") {
      return make_error(Errc::kBadRequest, "break-glass must be true or false");
    }
    f.break_glass_only = value == "true";
  } else if (name == "_count") {
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc{} || end != value.data() + value.size() || n == 0) {
      return make_error(Errc::kBadRequest, "_count must be a whole number from 1");
    }
    x.page.limit = std::min(n, audit::kMaxPageSize);
  } else if (name == "_cursor") {
    x.page.cursor = value;
  } else if (name == "_sort") {
    if (value != "date" && value != "-date") {
      return make_error(Errc::kBadRequest, "_sort must be date or -date");
    }
    x.page.newest_first = value == "-date";
  } else {
    return make_error(Errc::kBadRequest,
                      "unknown parameter '" + name +
                          "' (export takes format, patient, user, organization, purpose, from, "
                          "to, type, outcome, decision, break-glass, _count, _sort, _cursor)");
  }
  return {};
}

/** percent_encode: a query value as RFC 3986 unreserved characters and %XX escapes. */
std::string percent_encode(std::string_view v) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4U]);
      out.push_back(kHex[u & 0xFU]);
    }
  }
  return out;
}

/** audit_root: "https://<Host>" (base_url without "/fhir"). */
std::string audit_root(const http::Request& req) {
  std::string root = base_url(req);
  root.resize(root.size() - std::string_view("/fhir").size());
  return root;
}

}  // namespace

Result<void> audit_break_glass_grants(const http::Request& req, RequestContext& ctx,
                                      http::Response& res,
                                      const policy::BreakGlassRegistry* registry) {
  auto q = report_query(req);
  if (!q) {
    return q.error();
  }
  for (const auto& [name, value] : q->params) {
    if (name != "_format") {
      return make_error(Errc::kBadRequest, "unknown parameter '" + name +
                                               "' (the break-glass grants take only _format)");
    }
  }
  if (registry == nullptr) {
    return make_error(Errc::kUnavailable, "break-glass is not available on this gateway");
  }
  const auto now = std::chrono::system_clock::now();
  auto grants = registry->active_records();
  policy::sort_grants(grants);
  audit::AuditRecord& r = ctx.audit.emplace_back();
  r.type = audit::EventType::kAuditQuery;
  r.detail = "break-glass grants in force: " + std::to_string(grants.size());
  set_body(res, q->text ? policy::grants_text(grants, now) : policy::grants_json(grants, now),
           q->text);
  return {};
}

Result<void> audit_access_report(const http::Request& req, RequestContext& ctx, http::Response& res,
                                 audit::AuditLog& log) {
  auto text = wants_text(req);
  if (!text) {
    return text.error();
  }
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  std::string nhs;
  for (const auto& [name, value] : *params) {
    if (name == "patient") {
      auto n = nhs_param(name, value);
      if (!n) {
        return n.error();
      }
      nhs = std::move(*n);
    } else if (name != "_format") {
      return make_error(Errc::kBadRequest,
                        "unknown parameter '" + name + "' (the access report takes patient)");
    }
  }
  if (nhs.empty()) {
    return make_error(Errc::kBadRequest, "patient: give the patient's NHS number");
  }
  audit::AuditRecord& r = ctx.audit.emplace_back();
  r.type = audit::EventType::kAuditQuery;
  r.nhs_number = nhs;
  // The organisations' names from the config this request runs under.
  const config::ConfigPtr cfg = ctx.config;
  audit::OrgName org_name = [cfg](std::string_view ods) -> std::string {
    if (cfg != nullptr) {
      for (const auto& o : cfg->organisations) {
        if (o.ods.str() == ods) {
          return o.name;
        }
      }
    }
    return {};
  };
  auto h = log.with_reader(
      [&](audit::AuditStore& st) { return audit::access_history(st, nhs, org_name); });
  if (!h) {
    return h.error();
  }
  r.detail = "who has accessed my record report: " + std::to_string(h->size()) + " entries";
  set_body(res, *text ? audit::access_report_text(*h) : audit::access_report_json(nhs, *h), *text);
  return {};
}

Result<void> audit_denied(const http::Request& req, RequestContext& ctx, http::Response& res,
                          audit::AuditLog& log) {
  auto p = period_request(req, "denied-access");
  if (!p) {
    return p.error();
  }
  const bool text = p->text;
  audit::AuditRecord& r = ctx.audit.emplace_back();
  r.type = audit::EventType::kAuditQuery;
  r.detail = "denied-access report: " + period_words(*p);
  const std::int64_t from = p->from_us.value_or(0);
  const std::int64_t to = p->to_us.value_or(std::numeric_limits<std::int64_t>::max());
  auto rows =
      log.with_reader([&](audit::AuditStore& st) { return audit::denied_summary(st, from, to); });
  if (!rows) {
    return rows.error();
  }
  set_body(res,
           text ? audit::denied_report_text(*rows)
                : audit::denied_report_json(*rows, p->from_us, p->to_us),
           text);
  return {};
}

Result<void> audit_unusual(const http::Request& req, RequestContext& ctx, http::Response& res,
                           audit::AuditLog& log, identity::MpiService* mpi) {
  auto p = period_request(req, "unusual-activity");
  if (!p) {
    return p.error();
  }
  const bool text = p->text;
  audit::UnusualThresholds t;
  if (ctx.config != nullptr) {
    const auto& u = ctx.config->audit.unusual_activity;
    t.distinct_patients = u.distinct_patients;
    t.window_us = static_cast<std::int64_t>(u.window_minutes) * 60'000'000;
    t.match_surname = u.match_surname;
    t.match_address = u.match_address;
  }
  audit::AuditRecord& r = ctx.audit.emplace_back();
  r.type = audit::EventType::kAuditQuery;
  const std::int64_t from = p->from_us.value_or(0);
  const std::int64_t to = p->to_us.value_or(std::numeric_limits<std::int64_t>::max());
  // The surname/address checks need both sides: the staff directory the config in force for
  // this request names (swapped with it on reload) and the MPI (as `caregw audit unusual`).
  const config::StaffDirectory* staff =
      ctx.config != nullptr ? ctx.config->audit.staff_directory.get() : nullptr;
  std::optional<audit::DirectoryAndMpi> people;
  if (staff != nullptr && mpi != nullptr && (t.match_surname || t.match_address)) {
    people.emplace(*staff, *mpi);
  }
  auto found = log.with_reader([&](audit::AuditStore& st) {
    return audit::unusual_activity(st, from, to, t, people ? &*people : nullptr);
  });
  if (!found) {
    return found.error();
  }
  r.detail = "unusual-activity report: " + period_words(*p) + "; " + std::to_string(found->size()) +
             " findings";
  const std::string not_checked =
      audit::surname_address_not_checked(t, staff != nullptr, mpi != nullptr);
  set_body(res,
           text ? audit::unusual_report_text(*found, t, not_checked)
                : audit::unusual_report_json(*found, t, not_checked),
           text);
  return {};
}

Result<void> audit_export(const http::Request& req, RequestContext& ctx, http::Response& res,
                          audit::AuditLog& log) {
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  ExportRequest x;
  for (const auto& [name, value] : *params) {
    if (auto ok = export_param(name, value, x); !ok) {
      return ok.error();
    }
  }
  audit::AuditRecord& r = ctx.audit.emplace_back();
  r.type = audit::EventType::kAuditExport;
  r.nhs_number = x.filter.nhs_number;
  r.detail = "audit export (" + std::string(x.csv ? "csv" : "bundle") + "): " + x.filter.describe();
  auto page = log.query(x.filter, x.page);
  if (!page) {
    return page.error();
  }
  r.detail += "; " + std::to_string(page->records.size()) + " records";
  // The query without the cursor; the next page adds its own.
  std::string self = audit_root(req) + "/audit/export?";
  for (const auto& [name, value] : *params) {
    if (name != "_cursor") {
      self.append(name).append("=").append(percent_encode(value)).append("&");
    }
  }
  self.pop_back();
  if (!x.csv) {
    res.status = 200;
    res.headers.set("Content-Type", "application/fhir+json");
    res.body = audit::audit_bundle_json(*page, self);
    return {};
  }
  std::string body = audit::csv_header();
  for (const auto& s : page->records) {
    body.append(audit::csv_row(s));
  }
  res.status = 200;
  res.headers.set("Content-Type", "text/csv; charset=utf-8");
  res.headers.set("Content-Disposition", "attachment; filename=\"caregw-audit.csv\"");
  if (!page->next_cursor.empty()) {
    std::string next = "<";
    next.append(self).append("&_cursor=").append(page->next_cursor).append(">; rel=\"next\"");
    res.headers.set("Link", std::move(next));
  }
  res.body = std::move(body);
  return {};
}

}  // namespace gw::pipeline
