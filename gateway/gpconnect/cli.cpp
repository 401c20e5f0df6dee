// `caregw gpconnect fetch` (cli.hpp): the same Client::fetch as POST $gpc-refresh, wired to the
// data directory's stores as `serve` wires them, with the gateway's own system identity as the
// requesting practitioner.
#include "gateway/gpconnect/cli.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>

#include <CLI/CLI.hpp>

#include "gateway/audit/audit_log.hpp"
#include "gateway/audit/sqlite/audit_store.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/gpconnect/client.hpp"
#include "gateway/ingest/ingest.hpp"
#include "gateway/mapping/registry.hpp"
#include "gateway/policy/policy_set.hpp"
#include "gateway/record/context.hpp"
#include "gateway/routing/https_transport.hpp"
#include "gateway/store/sqlite/sqlite_message_store.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "gateway/store/sqlite/sqlite_record_store.hpp"

namespace gw::gpconnect {
namespace {

constexpr int kOk = 0;
constexpr int kBad = 1;
constexpr std::string_view kCliUser = "caregw-cli";

/** registered_practice: the practice the record shows for the patient, if any. */
Result<OdsCode> registered_practice(const config::Config& cfg, identity::MpiService& mpi,
                                    store::RecordStore& records, const NhsNumber& nhs) {
  auto person = mpi.find_by_nhs_number(nhs);
  if (!person) {
    return person.error();
  }
  if (!person->has_value()) {
    return make_error(Errc::kNotFound,
                      "this patient is not known to this gateway, so their registered practice "
                      "is not either: name it with --practice ODS");
  }
  auto context = record::gather_patient_context(cfg, records, **person);
  if (!context) {
    return context.error();
  }
  if (context->registered_practice.empty()) {
    return make_error(Errc::kNotFound,
                      "no registered practice is known for this patient: name it with --practice "
                      "ODS");
  }
  return OdsCode::parse(context->registered_practice);
}

/** audit_fetch: the CLI's own audit record for the query, durable before the summary. */
Result<std::uint64_t> audit_fetch(audit::AuditLog& log, const config::Config& cfg,
                                  const NhsNumber& nhs, const OdsCode& practice,
                                  const Result<FetchOutcome>& out) {
  audit::AuditRecord r;
  r.type = audit::EventType::kRecordRead;
  r.node_id = cfg.node_id;
  r.user_id = std::string(kCliUser);
  r.org_ods = cfg.gpconnect.ods;
  r.purpose_of_use = "integration";
  r.nhs_number = nhs.str();
  r.peer_ods = practice.str();
  r.detail = "GP Connect structured record requested from practice " + practice.str() + ": ";
  if (out) {
    r.outcome = audit::Outcome::kSuccess;
    r.decision = audit::Decision::kPermit;
    r.message_id = out->trace_id;
    r.detail.append(std::to_string(out->filed)).append(" resources filed (caregw gpconnect fetch)");
  } else {
    r.outcome = http_status(out.error().code) >= 500 ? audit::Outcome::kSeriousFailure
                                                     : audit::Outcome::kMinorFailure;
    r.detail.append(out.error().detail);
  }
  return log.append_sync(std::move(r));
}

/** Stores: the data directory opened as serve opens it. */
struct Stores {
  std::unique_ptr<store::sqlite::SqliteMpiRepository> repo;
  std::unique_ptr<identity::MpiService> mpi;
  std::unique_ptr<store::sqlite::SqliteRecordStore> records;
  std::unique_ptr<store::sqlite::SqliteMessageStore> messages;
  std::unique_ptr<audit::AuditLog> audit;
};

Result<Stores> open_stores(const config::Config& cfg, const Clock& clock) {
  std::error_code ec;
  if (!std::filesystem::exists(audit::audit_database_path(cfg.data_dir), ec)) {
    // Never start a new, empty gateway state in a mistyped directory: only serve makes one.
    return make_error(Errc::kNotFound,
                      "no gateway data in " + cfg.data_dir + " (start caregw serve there once)");
  }
  Stores s;
  auto repo = store::sqlite::SqliteMpiRepository::open_in_data_dir(cfg.data_dir, clock);
  if (!repo) {
    return repo.error();
  }
  s.repo = std::move(*repo);
  s.mpi = std::make_unique<identity::MpiService>(*s.repo, identity::MpiSettings{});
  auto records = store::sqlite::SqliteRecordStore::open_in_data_dir(cfg.data_dir, clock);
  if (!records) {
    return records.error();
  }
  s.records = std::move(*records);
  auto messages = store::sqlite::SqliteMessageStore::open_in_data_dir(cfg.data_dir, clock);
  if (!messages) {
    return messages.error();
  }
  s.messages = std::move(*messages);
  audit::AuditLogOptions ao;
  ao.data_dir = cfg.data_dir;
  ao.key_file = cfg.audit.key_file;
  ao.node_id = cfg.node_id;
  auto log = audit::AuditLog::open(ao, clock);
  if (!log) {
    return log.error();
  }
  s.audit = std::move(*log);
  return s;
}

/** fail: one error line, exit 1. */
int fail(std::ostream& err, const std::string& what) {
  err << "caregw gpconnect fetch: " << what << '\n';
  return kBad;
}

}  // namespace

CLI::App* add_gpconnect_command(CLI::App& app, FetchCliOptions& options) {
  auto* gpc = app.add_subcommand("gpconnect", "GP Connect: query a practice for the GP record");
  gpc->require_subcommand(1);
  auto* fetch = gpc->add_subcommand(
      "fetch", "Ask the practice for a patient's structured record and file it (as a push)");
  fetch->add_option("--config", options.config, "Config file (YAML)")->required();
  fetch->add_option("--data-dir", options.data_dir, "Data directory (default: the config's)");
  fetch->add_option("--nhs-number", options.nhs_number, "The patient's NHS number")->required();
  fetch->add_option("--practice", options.practice,
                    "The practice's ODS code (default: the registered practice on record)");
  return fetch;
}

int run_fetch_cli(const FetchCliOptions& options, const ingest::AdapterSet& adapters,
                  std::ostream& out, std::ostream& err) {
  auto nhs = NhsNumber::parse(options.nhs_number);
  if (!nhs) {
    return fail(err, "--nhs-number: " + nhs.error().detail);
  }
  std::optional<OdsCode> practice;
  if (!options.practice.empty()) {
    auto ods = OdsCode::parse(options.practice);
    if (!ods) {
      return fail(err, "--practice: " + ods.error().detail);
    }
    practice = *ods;
  }
  config::LoadOptions lo;
  if (!options.data_dir.empty()) {
    lo.data_dir = options.data_dir;
  }
  auto lr = config::load_file(options.config, lo);
  if (!lr.errors.empty()) {
    for (const auto& d : lr.errors) {
      err << d.str() << '\n';
    }
    return kBad;
  }
  const config::Config& cfg = *lr.config;
  if (auto consumer = consumer_of(cfg); !consumer) {
    return fail(err, consumer.error().detail);
  }
  const auto* adapter = adapters.find("gpconnect");
  if (adapter == nullptr) {
    return fail(err, "this build has no gpconnect adapter");
  }
  std::vector<config::Diagnostic> errors;
  const SystemClock clock;
  auto set = policy::load_policy_set(cfg, policy::read_from_disk, clock.now(), errors);
  if (!errors.empty()) {
    for (const auto& d : errors) {
      err << d.str() << '\n';
    }
    return kBad;
  }
  auto stores = open_stores(cfg, clock);
  if (!stores) {
    return fail(err, stores.error().detail);
  }
  std::unique_ptr<mapping::MappingRegistry> mappings;
  if (std::error_code ec; std::filesystem::is_directory(cfg.mappings.value, ec)) {
    mapping::LoadOptions mo;
    for (const auto& o : cfg.organisations) {
      mo.known_senders.push_back(o.ods.str());
    }
    mappings = std::make_unique<mapping::MappingRegistry>(cfg.mappings.value, mo);
    if (auto r = mappings->reload(); !r.swapped) {
      for (const auto& d : r.errors) {
        err << d.str() << '\n';
      }
      return kBad;
    }
  }
  if (!practice) {
    auto registered = registered_practice(cfg, *stores->mpi, *stores->records, *nhs);
    if (!registered) {
      return fail(err, registered.error().detail);
    }
    practice = *registered;
  }
  ingest::Snapshot snapshot{lr.config, set ? set->index : nullptr, set ? set->classifier : nullptr};
  ingest::Ingest ingest(ingest::IngestDeps{*stores->messages,
                                           *stores->records,
                                           *stores->mpi,
                                           clock,
                                           [&snapshot] { return snapshot; },
                                           mappings.get(),
                                           stores->audit.get(),
                                           adapters.renderers(),
                                           {}});
  auto options_https = routing::HttpsTransportOptions::from_config(cfg);
  options_https.endpoints.clear();
  options_https.timeout = cfg.gpconnect.timeout;
  auto https = routing::HttpsTransport::create(std::move(options_https));
  if (!https) {
    return fail(err, https.error().detail);
  }
  const Client client([t = https->get()](const routing::HttpCall& c) { return t->call(c); }, ingest,
                      *adapter, clock);
  const auto fetched = client.fetch(cfg, FetchRequest{*nhs, *practice, {}, "cli"});
  const auto audited = audit_fetch(*stores->audit, cfg, *nhs, *practice, fetched);
  stores->audit->close();
  if (!audited) {
    return fail(err, "the audit log cannot record this query (" + audited.error().detail + ")");
  }
  if (!fetched) {
    return fail(err, fetched.error().detail);
  }
  out << "practice " << fetched->practice.str() << ": " << fetched->filed << " resources filed, "
      << fetched->queued << " messages routed (journal "
      << (fetched->journal ? std::to_string(fetched->journal->value) : std::string("-"))
      << ", Ssp-TraceID " << fetched->trace_id << ")"
      << (fetched->duplicate ? " - already received, nothing new filed" : "") << '\n';
  return kOk;
}

}  // namespace gw::gpconnect
