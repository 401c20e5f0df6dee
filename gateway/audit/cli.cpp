// The `caregw audit` verbs. Each opens the audit log under the data directory (or the config's),
// does one job, and records what it did in the log itself when it read or exported records.
#include "gateway/audit/cli.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <pwd.h>
#include <unistd.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/audit/export.hpp"
#include "gateway/audit/people_source.hpp"
#include "gateway/audit/report_render.hpp"
#include "gateway/audit/reports.hpp"
#include "gateway/audit/verify.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/config/staff_directory.hpp"
#include "gateway/core/clock.hpp"
#include "gateway/policy/grants_report.hpp"
#include "gateway/policy/sqlite_grant_store.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"

namespace gw::audit {

/** CliOptions: everything the verbs parse into. */
struct CliOptions {
  CLI::App* audit = nullptr;
  CLI::App* verify = nullptr;
  CLI::App* query = nullptr;
  CLI::App* checkpoints = nullptr;
  CLI::App* purge = nullptr;
  CLI::App* public_key = nullptr;
  CLI::App* break_glass = nullptr;
  CLI::App* review = nullptr;
  CLI::App* grants = nullptr;
  CLI::App* access = nullptr;
  CLI::App* denied = nullptr;
  CLI::App* unusual = nullptr;

  std::string config_file;
  std::string data_dir;
  std::string actor;
  // verify
  std::string lodged;
  std::string archive_to_check;
  // query and reports
  std::string nhs_number, user, org, purpose, from, to, outcome, decision, format = "table", cursor;
  std::vector<std::string> types;
  bool break_glass_only = false;
  bool newest_first = false;
  std::size_t limit = 100;
  // checkpoints, purge
  std::string export_file;
  std::string before;
  std::string archive;
  // review
  std::uint64_t review_seq = 0;
  std::string review_outcome;
  std::string note;
  bool revise = false;
};

namespace {

constexpr int kOk = 0;
constexpr int kBad = 1;
constexpr int kUsage = 2;

/** Setup: where the log is and how to run it, from --config or --data-dir. */
struct Setup {
  AuditLogOptions log;
  config::AuditConfig audit;
};

void add_location(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("--data-dir", o.data_dir, "Data directory (default: var/demo)");
  cmd->add_option("--config", o.config_file, "Config file: its data_dir and audit: section");
}

void add_actor(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("--as", o.actor, "Who is asking, for the audit record (default: login name)");
}

std::string login_name(const std::string& given) {
  if (!given.empty()) {
    return given;
  }
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      pw.pw_name != nullptr) {
    return std::string("os:") + pw.pw_name;
  }
  return "os:uid-" + std::to_string(::geteuid());
}

bool setup(const CliOptions& o, Setup& s, const char* verb) {
  if (!o.config_file.empty()) {
    config::LoadOptions lo;
    lo.check_files = false;
    if (!o.data_dir.empty()) {
      lo.data_dir = o.data_dir;
    }
    auto lr = config::load_file(o.config_file, lo);
    if (!lr.errors.empty()) {
      for (const auto& d : lr.errors) {
        std::cerr << d.str() << '\n';
      }
      return false;
    }
    s.audit = lr.config->audit;
    s.log.data_dir = lr.config->data_dir;
    s.log.node_id = lr.config->node_id;
    s.log.key_file = s.audit.key_file;
  } else {
    s.log.data_dir = o.data_dir.empty() ? std::string("var/demo") : o.data_dir;
    s.log.key_file = default_key_file(s.log.data_dir);
    s.log.node_id = "caregw-cli";
  }
  s.log.checkpoint_every = s.audit.checkpoint_every;
  s.log.checkpoint_interval = std::chrono::seconds(s.audit.checkpoint_interval_s);
  s.log.queue_bound = s.audit.queue_bound;
  s.log.max_batch = s.audit.max_batch;
  (void)verb;
  return true;
}

std::unique_ptr<AuditLog> open_log(const Setup& s, const char* verb) {
  // Never make a new, empty log in a mistyped directory: only the gateway starts one.
  std::error_code ec;
  if (!std::filesystem::exists(audit_database_path(s.log.data_dir), ec)) {
    std::cerr << "caregw audit " << verb << ": no audit log at "
              << audit_database_path(s.log.data_dir).string() << '\n';
    return nullptr;
  }
  static SystemClock clock;
  auto log = AuditLog::open(s.log, clock);
  if (!log) {
    std::cerr << "caregw audit " << verb << ": " << log.error().detail << '\n';
    return nullptr;
  }
  return std::move(*log);
}

bool parse_time(const std::string& text, std::optional<std::int64_t>& out, const char* what) {
  if (text.empty()) {
    return true;
  }
  auto t = parse_time_utc(text);
  if (!t) {
    std::cerr << "caregw audit: " << what << ": " << t.error().detail << '\n';
    return false;
  }
  out = *t;
  return true;
}

/** build_filter: the query filter from the options; false (message printed) if one is bad. */
bool build_filter(const CliOptions& o, QueryFilter& f) {
  f.nhs_number = o.nhs_number;
  if (!f.nhs_number.empty()) {
    AuditRecord probe;
    probe.nhs_number = o.nhs_number;
    if (!validate_record(probe)) {
      std::cerr << "caregw audit: --nhs-number must be ten digits with a valid check digit\n";
      return false;
    }
  }
  f.user_id = o.user;
  f.org_ods = o.org;
  f.purpose_of_use = o.purpose;
  if (!parse_time(o.from, f.from_us, "--from") || !parse_time(o.to, f.to_us, "--to")) {
    return false;
  }
  for (const auto& t : o.types) {
    auto et = parse_event_type(t);
    if (!et) {
      std::cerr << "caregw audit: unknown --type '" << t << "'\n";
      return false;
    }
    f.types.push_back(*et);
  }
  if (!o.outcome.empty()) {
    f.outcome = parse_outcome(o.outcome);
    if (!f.outcome) {
      std::cerr << "caregw audit: --outcome must be success, minor-failure, serious-failure or "
                   "major-failure\n";
      return false;
    }
  }
  if (!o.decision.empty()) {
    f.decision = parse_decision(o.decision);
    if (!f.decision) {
      std::cerr << "caregw audit: --decision must be permit, permit-redacted, deny or "
                   "break-glass\n";
      return false;
    }
  }
  f.break_glass_only = o.break_glass_only;
  return true;
}

/** audit_self: records that the audit log was read or exported, before showing anything. */
bool audit_self(AuditLog& log, EventType type, const std::string& actor, std::string nhs,
                std::string detail, const char* verb) {
  AuditRecord r;
  r.type = type;
  r.user_id = actor;
  r.nhs_number = std::move(nhs);
  r.detail = std::move(detail);
  r.purpose_of_use = "HOPERAT";
  auto seq = log.append_sync(std::move(r));
  if (!seq) {
    std::cerr << "caregw audit " << verb << ": cannot record this in the audit log, so nothing "
              << "is shown: " << seq.error().detail << '\n';
    return false;
  }
  return true;
}

int run_verify(const CliOptions& o) {
  Setup s;
  if (!setup(o, s, "verify")) {
    return kBad;
  }
  if (!o.archive_to_check.empty()) {
    auto key = AuditKey::load(s.log.key_file);
    auto rep = verify_archive(o.archive_to_check, key ? &*key : nullptr);
    if (!rep) {
      std::cerr << "caregw audit verify: " << rep.error().detail << '\n';
      return kBad;
    }
    if (!rep->ok) {
      std::cout << "archive BROKEN at record " << rep->last_seq << ": " << rep->problem << '\n';
      return kBad;
    }
    std::cout << "archive intact: " << rep->count << " records (" << rep->first_seq << ".."
              << rep->last_seq << ")\n";
    return kOk;
  }
  store::sqlite::OpenOptions ro;
  ro.read_only = true;
  ro.create = false;
  const auto file = audit_database_path(s.log.data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    std::cerr << "caregw audit verify: no audit log at " << file.string() << '\n';
    return kBad;
  }
  auto st = AuditStore::open_file(file, ro);
  if (!st) {
    std::cerr << "caregw audit verify: " << st.error().detail << '\n';
    return kBad;
  }
  auto key = AuditKey::load(s.log.key_file);
  if (!key) {
    std::cerr << "caregw audit verify: " << key.error().detail << '\n';
    return kBad;
  }
  std::vector<Checkpoint> lodged;
  if (!o.lodged.empty()) {
    std::ifstream f(o.lodged, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    auto cps = checkpoints_from_json(ss.str());
    if (!f || !cps) {
      std::cerr << "caregw audit verify: cannot read the checkpoints in " << o.lodged << '\n';
      return kBad;
    }
    lodged = std::move(*cps);
  }
  auto rep = verify_chain(*st, *key, lodged);
  if (!rep) {
    std::cerr << "caregw audit verify: " << rep.error().detail << '\n';
    return kBad;
  }
  if (!rep->ok) {
    std::cout << "audit log BROKEN at record " << rep->bad_seq << ": " << rep->problem << '\n';
    return kBad;
  }
  std::cout << "audit log intact: " << rep->count << " records";
  if (rep->count > 0) {
    std::cout << " (" << rep->first_seq << ".." << rep->last_seq << ")";
  }
  std::cout << ", " << rep->checkpoints << " signed checkpoints checked (key " << key->key_id()
            << ")\n";
  return kOk;
}

int run_query(const CliOptions& o) {
  QueryFilter f;
  if (o.format != "table" && o.format != "csv" && o.format != "fhir") {
    std::cerr << "caregw audit query: --format must be table, csv or fhir\n";
    return kUsage;
  }
  if (!build_filter(o, f)) {
    return kUsage;
  }
  Setup s;
  if (!setup(o, s, "query")) {
    return kBad;
  }
  auto log = open_log(s, "query");
  if (!log) {
    return kBad;
  }
  PageRequest p;
  p.limit = o.limit;
  p.cursor = o.cursor;
  p.newest_first = o.newest_first;
  auto page = log->query(f, p);
  if (!page) {
    std::cerr << "caregw audit query: " << page.error().detail << '\n';
    return page.error().code == Errc::kBadRequest ? kUsage : kBad;
  }
  const bool is_export = o.format != "table";
  if (!audit_self(*log, is_export ? EventType::kAuditExport : EventType::kAuditQuery,
                  login_name(o.actor), f.nhs_number,
                  "audit " + std::string(is_export ? "export (" + o.format + ")" : "query") + ": " +
                      f.describe() + "; " + std::to_string(page->records.size()) + " records",
                  "query")) {
    return kBad;
  }
  if (o.format == "table") {
    std::cout << render_table(page->records);
  } else if (o.format == "csv") {
    std::cout << csv_header();
    for (const auto& r : page->records) {
      std::cout << csv_row(r);
    }
  } else {
    std::cout << audit_bundle_json(*page, "urn:caregw:audit:query?" + f.fingerprint(), true)
              << '\n';
  }
  if (!page->next_cursor.empty()) {
    std::cerr << "more records: add --cursor " << page->next_cursor << '\n';
  }
  return kOk;
}

int run_checkpoints(const CliOptions& o) {
  Setup s;
  if (!setup(o, s, "checkpoints")) {
    return kBad;
  }
  auto log = open_log(s, "checkpoints");
  if (!log) {
    return kBad;
  }
  auto cps = log->checkpoints();
  if (!cps) {
    std::cerr << "caregw audit checkpoints: " << cps.error().detail << '\n';
    return kBad;
  }
  if (o.export_file.empty()) {
    std::cout << "ID      KIND      RECORD     TIME (UTC)                   HEAD\n";
    for (const auto& cp : *cps) {
      std::ostringstream line;
      line << cp.id;
      std::string id = line.str();
      id.resize(7, ' ');
      std::string kind(checkpoint_kind_name(cp.kind));
      kind.resize(9, ' ');
      std::string seq = std::to_string(cp.seq);
      seq.resize(10, ' ');
      std::cout << id << " " << kind << " " << seq << " " << format_time_utc(cp.time_us) << "  "
                << to_hex(cp.head) << '\n';
    }
    return kOk;
  }
  if (!audit_self(*log, EventType::kAuditExport, login_name(o.actor), "",
                  "checkpoint export: " + std::to_string(cps->size()) + " checkpoints",
                  "checkpoints")) {
    return kBad;
  }
  std::ofstream f(o.export_file, std::ios::binary | std::ios::trunc);
  f << checkpoints_to_json(*cps, log->key());
  if (!f) {
    std::cerr << "caregw audit checkpoints: cannot write " << o.export_file << '\n';
    return kBad;
  }
  std::cout << "wrote " << cps->size() << " signed checkpoints and the public key (key "
            << log->key().key_id() << ") to " << o.export_file << '\n';
  return kOk;
}

int run_purge(const CliOptions& o) {
  Setup s;
  if (!setup(o, s, "purge")) {
    return kBad;
  }
  std::optional<std::int64_t> before;
  if (!parse_time(o.before, before, "--before")) {
    return kUsage;
  }
  if (!before) {
    const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    before = now - static_cast<std::int64_t>(s.audit.retention_days) * 86'400'000'000LL;
  }
  auto log = open_log(s, "purge");
  if (!log) {
    return kBad;
  }
  auto rep = log->purge(*before, o.archive, login_name(o.actor));
  if (!rep) {
    std::cerr << "caregw audit purge: " << rep.error().detail << '\n';
    return kBad;
  }
  if (rep->removed == 0) {
    std::cout << "nothing recorded before " << format_time_utc(*before) << " is left to purge\n";
    return kOk;
  }
  std::cout << "purged records " << rep->first_seq << ".." << rep->last_seq << " (" << rep->removed
            << ") recorded before " << format_time_utc(*before) << "\n"
            << "archive: " << rep->archive.string() << " and " << rep->archive_meta.string()
            << " (check with: caregw audit verify --archive " << rep->archive.string() << ")\n"
            << "the purge is audit record " << rep->audit_seq << '\n';
  return kOk;
}

int run_public_key(const CliOptions& o) {
  Setup s;
  if (!setup(o, s, "public-key")) {
    return kBad;
  }
  auto key = AuditKey::load(s.log.key_file);
  if (!key) {
    std::cerr << "caregw audit public-key: " << key.error().detail << '\n';
    return kBad;
  }
  std::cout << key->export_public_pem();
  return kOk;
}

int run_break_glass(const CliOptions& o) {
  Setup s;
  if (!setup(o, s, "break-glass")) {
    return kBad;
  }
  auto log = open_log(s, "break-glass");
  if (!log) {
    return kBad;
  }
  auto q = log->with_reader([&o](AuditStore& st) { return break_glass_queue(st, o.limit); });
  if (!q) {
    std::cerr << "caregw audit break-glass: " << q.error().detail << '\n';
    return kBad;
  }
  if (!audit_self(*log, EventType::kAuditQuery, login_name(o.actor), "",
                  "break-glass review queue: " + std::to_string(q->size()) + " events",
                  "break-glass")) {
    return kBad;
  }
  std::vector<StoredRecord> rows;
  for (const auto& item : *q) {
    StoredRecord r = item.event;
    r.record.detail = item.review
                          ? "REVIEWED #" + std::to_string(item.review->record.seq) + " by " +
                                item.review->record.user_id + ": " + item.review->record.detail
                          : "UNREVIEWED; reason: " + r.record.break_glass_reason;
    rows.push_back(std::move(r));
  }
  std::cout << render_table(rows);
  return kOk;
}

/**
 * run_grants: the break-glass grants in force, read from <data_dir>/db/break-glass.db (the file
 * `caregw serve` writes each grant to before it takes effect, so it shows what the running
 * gateway has in force); the look is audited first, as the other reports are.
 */
int run_grants(const CliOptions& o) {
  if (o.format != "table" && o.format != "json") {
    std::cerr << "caregw audit break-glass grants: --format must be table or json\n";
    return kUsage;
  }
  Setup s;
  if (!setup(o, s, "break-glass grants")) {
    return kBad;
  }
  std::error_code ec;
  const auto file = policy::SqliteGrantStore::path(s.log.data_dir);
  if (!std::filesystem::exists(file, ec)) {
    std::cerr << "caregw audit break-glass grants: no break-glass grants file at " << file.string()
              << " (`caregw serve` makes it at start)\n";
    return kBad;
  }
  auto log = open_log(s, "break-glass grants");
  if (!log) {
    return kBad;
  }
  auto store = policy::SqliteGrantStore::open(s.log.data_dir);
  if (!store) {
    std::cerr << "caregw audit break-glass grants: " << store.error().detail << '\n';
    return kBad;
  }
  const auto now = std::chrono::system_clock::now();
  auto grants = (*store)->load_open(now);
  if (!grants) {
    std::cerr << "caregw audit break-glass grants: " << grants.error().detail << '\n';
    return kBad;
  }
  policy::sort_grants(*grants);
  if (!audit_self(*log, EventType::kAuditQuery, login_name(o.actor), "",
                  "break-glass grants in force: " + std::to_string(grants->size()),
                  "break-glass grants")) {
    return kBad;
  }
  std::cout << (o.format == "json" ? policy::grants_json(*grants, now) + "\n"
                                   : policy::grants_text(*grants, now));
  return kOk;
}

int run_review(const CliOptions& o) {
  auto outcome = parse_review_outcome(o.review_outcome);
  if (!outcome) {
    std::cerr << "caregw audit break-glass review: --outcome must be appropriate, "
                 "inappropriate or follow-up\n";
    return kUsage;
  }
  Setup s;
  if (!setup(o, s, "break-glass review")) {
    return kBad;
  }
  auto log = open_log(s, "break-glass review");
  if (!log) {
    return kBad;
  }
  ReviewInput in;
  in.break_glass_seq = o.review_seq;
  in.reviewer_id = login_name(o.actor);
  in.outcome = *outcome;
  in.note = o.note;
  in.revise = o.revise;
  auto seq = record_break_glass_review(*log, in);
  if (!seq) {
    std::cerr << "caregw audit break-glass review: " << seq.error().detail << '\n';
    return kBad;
  }
  std::cout << "review of record " << o.review_seq << " recorded as audit record " << *seq << '\n';
  return kOk;
}

int run_access(const CliOptions& o) {
  QueryFilter f;
  if (!build_filter(o, f) || f.nhs_number.empty()) {
    std::cerr << "caregw audit access-report: give --nhs-number\n";
    return kUsage;
  }
  Setup s;
  if (!setup(o, s, "access-report")) {
    return kBad;
  }
  auto log = open_log(s, "access-report");
  if (!log) {
    return kBad;
  }
  auto h = log->with_reader([&f](AuditStore& st) { return access_history(st, f.nhs_number); });
  if (!h) {
    std::cerr << "caregw audit access-report: " << h.error().detail << '\n';
    return kBad;
  }
  if (!audit_self(*log, EventType::kAuditQuery, login_name(o.actor), f.nhs_number,
                  "who has accessed my record report: " + std::to_string(h->size()) + " entries",
                  "access-report")) {
    return kBad;
  }
  std::cout << access_report_text(*h);
  return kOk;
}

int run_denied(const CliOptions& o) {
  QueryFilter f;
  if (!build_filter(o, f)) {
    return kUsage;
  }
  Setup s;
  if (!setup(o, s, "denied")) {
    return kBad;
  }
  auto log = open_log(s, "denied");
  if (!log) {
    return kBad;
  }
  const std::int64_t from = f.from_us.value_or(0);
  const std::int64_t to = f.to_us.value_or(std::numeric_limits<std::int64_t>::max());
  auto rows = log->with_reader([&](AuditStore& st) { return denied_summary(st, from, to); });
  if (!rows) {
    std::cerr << "caregw audit denied: " << rows.error().detail << '\n';
    return kBad;
  }
  if (!audit_self(*log, EventType::kAuditQuery, login_name(o.actor), "",
                  "denied-access report: " + f.describe(), "denied")) {
    return kBad;
  }
  std::cout << denied_report_text(*rows);
  return kOk;
}

/** open_mpi: the MPI database of a data directory if there is one (nullptr otherwise). */
std::unique_ptr<store::sqlite::SqliteMpiRepository> open_mpi(const std::string& data_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(data_dir) / "db" / "caregw.db", ec)) {
    return nullptr;
  }
  static SystemClock clock;
  auto repo = store::sqlite::SqliteMpiRepository::open_in_data_dir(data_dir, clock);
  if (!repo) {
    std::cerr << "caregw audit unusual: cannot open the master patient index: "
              << repo.error().detail << '\n';
    return nullptr;
  }
  return std::move(*repo);
}

int run_unusual(const CliOptions& o) {
  QueryFilter f;
  if (!build_filter(o, f)) {
    return kUsage;
  }
  Setup s;
  if (!setup(o, s, "unusual")) {
    return kBad;
  }
  auto log = open_log(s, "unusual");
  if (!log) {
    return kBad;
  }
  UnusualThresholds t;
  t.distinct_patients = s.audit.unusual_activity.distinct_patients;
  t.window_us = static_cast<std::int64_t>(s.audit.unusual_activity.window_minutes) * 60'000'000;
  t.match_surname = s.audit.unusual_activity.match_surname;
  t.match_address = s.audit.unusual_activity.match_address;
  const std::int64_t from = f.from_us.value_or(0);
  const std::int64_t to = f.to_us.value_or(std::numeric_limits<std::int64_t>::max());
  // The surname/address checks: users from the config's staff directory, patients from the MPI
  // in the same data directory (never created here: a missing caregw.db means "not checked").
  const config::StaffDirectory* staff = s.audit.staff_directory.get();
  const bool checks = t.match_surname || t.match_address;
  std::unique_ptr<store::sqlite::SqliteMpiRepository> repo;
  std::optional<identity::MpiService> mpi;
  std::optional<DirectoryAndMpi> people;
  if (checks && staff != nullptr) {
    repo = open_mpi(s.log.data_dir);
    if (repo) {
      mpi.emplace(*repo, identity::MpiSettings{});
      people.emplace(*staff, *mpi);
    }
  }
  auto found = log->with_reader([&](AuditStore& st) {
    return unusual_activity(st, from, to, t, people ? &*people : nullptr);
  });
  if (!found) {
    std::cerr << "caregw audit unusual: " << found.error().detail << '\n';
    return kBad;
  }
  if (!audit_self(*log, EventType::kAuditQuery, login_name(o.actor), "",
                  "unusual-activity report: " + std::to_string(found->size()) + " findings",
                  "unusual")) {
    return kBad;
  }
  std::cout << unusual_report_text(
      *found, t, surname_address_not_checked(t, staff != nullptr, mpi.has_value()));
  return kOk;
}

void add_filters(CLI::App* cmd, CliOptions& o) {
  cmd->add_option("--nhs-number", o.nhs_number, "Patient's NHS number");
  cmd->add_option("--user", o.user, "User id");
  cmd->add_option("--org", o.org, "Organisation ODS code");
  cmd->add_option("--from", o.from, "From (inclusive): YYYY-MM-DD or an ISO 8601 UTC time");
  cmd->add_option("--to", o.to, "To (exclusive): YYYY-MM-DD or an ISO 8601 UTC time");
  cmd->add_option("--type", o.types, "Event type, e.g. record-read, break-glass (repeatable)");
  cmd->add_option("--outcome", o.outcome,
                  "success | minor-failure | serious-failure | "
                  "major-failure");
  cmd->add_option("--purpose", o.purpose, "Purpose of use code, e.g. TREAT, ETREAT");
  cmd->add_option("--decision", o.decision, "permit | permit-redacted | deny | break-glass");
  cmd->add_flag("--break-glass", o.break_glass_only, "Only break-glass accesses");
}

}  // namespace

AuditCommands::AuditCommands(CLI::App& app) : o_(std::make_unique<CliOptions>()) {
  CliOptions& o = *o_;
  o.audit = app.add_subcommand("audit", "The Caldicott audit log: verify, query, export, reports");
  o.audit->require_subcommand(1);

  o.verify = o.audit->add_subcommand(
      "verify",
      "Walk the hash chain and signed checkpoints; exit 0 with the count when intact, "
      "1 naming the first broken record");
  add_location(o.verify, o);
  o.verify->add_option("--checkpoints", o.lodged,
                       "Also check checkpoints lodged elsewhere (a `checkpoints --export` file)");
  o.verify->add_option("--archive", o.archive_to_check,
                       "Check a purge archive (FILE and FILE.json) instead of the log");

  o.query = o.audit->add_subcommand("query", "Query the audit log (the query is itself audited)");
  add_location(o.query, o);
  add_actor(o.query, o);
  add_filters(o.query, o);
  o.query->add_option("--format", o.format, "table | csv | fhir (an AuditEvent searchset Bundle)");
  o.query->add_option("--limit", o.limit, "Records per page (1-1000, default 100)")
      ->check(CLI::Range(1, 1000));
  o.query->add_option("--cursor", o.cursor, "Next page: the cursor the previous page printed");
  o.query->add_flag("--newest-first", o.newest_first, "Newest records first");

  o.checkpoints = o.audit->add_subcommand(
      "checkpoints", "List the signed checkpoints, or export them (JSON) to lodge elsewhere");
  add_location(o.checkpoints, o);
  add_actor(o.checkpoints, o);
  o.checkpoints->add_option("--export", o.export_file,
                            "Write the checkpoints and the public key to FILE (JSON)");

  o.purge = o.audit->add_subcommand(
      "purge",
      "Archive, then remove, records past retention; a signed checkpoint keeps the rest "
      "verifiable; the purge is audited");
  add_location(o.purge, o);
  add_actor(o.purge, o);
  o.purge->add_option("--before", o.before,
                      "Remove records recorded before this date (default: now minus "
                      "audit.retention_days)");
  o.purge->add_option("--archive", o.archive, "Archive file to write first (CSV; plus FILE.json)")
      ->required();

  o.public_key = o.audit->add_subcommand("public-key", "Print the audit key's public key (PEM)");
  add_location(o.public_key, o);

  o.break_glass = o.audit->add_subcommand(
      "break-glass", "The break-glass review queue (unreviewed first); `review` records a finding");
  add_location(o.break_glass, o);
  add_actor(o.break_glass, o);
  o.break_glass->add_option("--limit", o.limit, "At most this many events (default 100)");
  o.review = o.break_glass->add_subcommand("review", "Record a review of one break-glass event");
  add_location(o.review, o);
  add_actor(o.review, o);
  o.review->add_option("SEQ", o.review_seq, "The break-glass event's record number")->required();
  o.review->add_option("--outcome", o.review_outcome, "appropriate | inappropriate | follow-up")
      ->required();
  o.review->add_option("--note", o.note, "The reviewer's note");
  o.review->add_flag("--revise", o.revise,
                     "Record a further review of an event already reviewed (the queue shows the "
                     "latest); without it a second review is refused");
  o.grants = o.break_glass->add_subcommand(
      "grants", "The break-glass grants in force now (opened, not ended, not expired; audited)");
  add_location(o.grants, o);
  add_actor(o.grants, o);
  o.grants->add_option("--format", o.format,
                       "table | json (the shape GET /audit/break-glass/grants "
                       "answers)");

  o.access = o.audit->add_subcommand(
      "access-report", "Who has accessed a patient's record, in plain words (audited)");
  add_location(o.access, o);
  add_actor(o.access, o);
  o.access->add_option("--nhs-number", o.nhs_number, "The patient's NHS number")->required();

  o.denied = o.audit->add_subcommand("denied", "Refused accesses by user and organisation");
  add_location(o.denied, o);
  add_actor(o.denied, o);
  o.denied->add_option("--from", o.from, "From (inclusive)");
  o.denied->add_option("--to", o.to, "To (exclusive)");

  o.unusual = o.audit->add_subcommand(
      "unusual",
      "Users who opened many patients' records in a short time, or the record of a patient "
      "sharing their surname or address (thresholds and staff directory: --config)");
  add_location(o.unusual, o);
  add_actor(o.unusual, o);
  o.unusual->add_option("--from", o.from, "From (inclusive)");
  o.unusual->add_option("--to", o.to, "To (exclusive)");
}

AuditCommands::~AuditCommands() = default;

bool AuditCommands::selected() const { return o_->audit->parsed(); }

int AuditCommands::run() {
  const CliOptions& o = *o_;
  if (o.verify->parsed()) {
    return run_verify(o);
  }
  if (o.query->parsed()) {
    return run_query(o);
  }
  if (o.checkpoints->parsed()) {
    return run_checkpoints(o);
  }
  if (o.purge->parsed()) {
    return run_purge(o);
  }
  if (o.public_key->parsed()) {
    return run_public_key(o);
  }
  if (o.review->parsed()) {
    return run_review(o);
  }
  if (o.grants->parsed()) {
    return run_grants(o);
  }
  if (o.break_glass->parsed()) {
    return run_break_glass(o);
  }
  if (o.access->parsed()) {
    return run_access(o);
  }
  if (o.denied->parsed()) {
    return run_denied(o);
  }
  if (o.unusual->parsed()) {
    return run_unusual(o);
  }
  return kUsage;
}

}  // namespace gw::audit
