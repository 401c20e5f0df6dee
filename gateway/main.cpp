// The `caregw` command: parses the command line and wires the parts together. No logic lives here.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "adapters/builtin.hpp"
#include "conformance/runner.hpp"
#include "gateway/audit/audit_log.hpp"
#include "gateway/audit/cli.hpp"
#include "gateway/auth/demo_issuer.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/core/heap.hpp"
#include "gateway/core/log.hpp"
#include "gateway/core/periodic.hpp"
#include "gateway/demo_config.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/validate.hpp"
#include "gateway/gpconnect/cli.hpp"
#include "gateway/gpconnect/client.hpp"
#include "gateway/http/server.hpp"
#include "gateway/identity/identity_json.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/ingest/adapter_set.hpp"
#include "gateway/ingest/fhir_message.hpp"
#include "gateway/ingest/ingest.hpp"
#include "gateway/mapping/loader.hpp"
#include "gateway/mapping/registry.hpp"
#include "gateway/mapping/unmapped_store.hpp"
#include "gateway/pipeline/reload.hpp"
#include "gateway/policy/embedded.hpp"
#include "gateway/policy/policy_cli.hpp"
#include "gateway/policy/policy_set.hpp"
#include "gateway/policy/recorder.hpp"
#include "gateway/policy/sqlite_grant_store.hpp"
#include "gateway/record/answer_cache.hpp"
#include "gateway/record/demo_records.hpp"
#include "gateway/routing/delivery_stats.hpp"
#include "gateway/routing/delivery_worker.hpp"
#include "gateway/routing/https_transport.hpp"
#include "gateway/routing/mllp_transport.hpp"
#include "gateway/store/sqlite/sqlite_message_store.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "gateway/store/sqlite/sqlite_record_store.hpp"
#include "gateway/tls/client_context.hpp"
#include "gateway/tls/context_factory.hpp"
#include "gateway/translate/translate.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;

void print_errors(const std::vector<gw::config::Diagnostic>& errors) {
  for (const auto& d : errors) {
    std::cerr << d.str() << '\n';
  }
}

/** load: the config for serve/check-config, from a file or the built-in demo text. */
gw::config::LoadResult load(const std::string& file, bool demo, const std::string& data_dir) {
  gw::config::LoadOptions opts;
  if (!data_dir.empty()) {
    opts.data_dir = data_dir;
  }
  if (demo) {
    // The demo's data files (the staff directory) are compiled in, as its agreements are.
    opts.read_file = gw::policy::read_demo_file;
    // Relative paths in the demo config are relative to where its file lives in the repository.
    return gw::config::load_text(gw::demo_config_yaml(), "<demo>",
                                 (std::filesystem::current_path() / "examples/demo").string(),
                                 opts);
  }
  return gw::config::load_file(file, opts);
}

/** check_policy: the agreements and token issuers a loaded config names (gateway/policy, auth). */
std::size_t check_policy(const gw::config::Config& cfg, bool demo,
                         std::vector<gw::config::Diagnostic>& errors) {
  const auto set = gw::policy::load_policy_set(
      cfg, demo ? gw::policy::read_demo_file : gw::policy::read_from_disk,
      std::chrono::system_clock::now(), errors);
  (void)gw::auth::load_verifier(cfg, errors);
  return set ? set->index->agreements().size() : 0;
}

/** config_mappings_dir: the config's mappings directory, or "" when it names none that exists. */
/** run_retention: one run of the message retention, counted and logged (no personal data). */
void run_retention(const gw::config::Config& cfg, gw::store::MessageStore& messages,
                   gw::store::TimePoint now, gw::metrics::CounterFamily& removed) {
  auto run = gw::store::apply_retention(messages, cfg.retention.journal_days,
                                        cfg.retention.delivered_days, now);
  if (!run) {
    gw::log::error("retention_failed", {{"error", run.error().detail}});
    return;
  }
  removed.with({"journal_body"}).inc(run->bodies_removed);
  removed.with({"outbound_finished"}).inc(run->finished_purged);
  if (run->bodies_removed > 0 || run->finished_purged > 0) {
    gw::log::info("retention_applied",
                  {{"journal_bodies_removed", static_cast<std::int64_t>(run->bodies_removed)},
                   {"outbound_messages_deleted", static_cast<std::int64_t>(run->finished_purged)}});
  }
}

/** check_delivery_identity: a reloaded config's `delivery:` certificate, key and CA load, or an
 * error naming the line (checked before anything of the reload goes in force). */
void check_delivery_identity(const gw::config::Config& cfg,
                             std::vector<gw::config::Diagnostic>& errors) {
  if (auto ctx = gw::tls::make_client_context(
          gw::routing::HttpsTransportOptions::from_config(cfg).identity());
      !ctx) {
    const auto& d = cfg.delivery;
    const int line = d.client_certificate.line > 0 ? d.client_certificate.line : d.ca.line;
    errors.push_back({cfg.source, line, "delivery: " + ctx.error().detail});
  }
}

/** reload_endpoints: the delivery transports take a reloaded config's subscription endpoints,
 * and its client certificate, key and CA, read again (files replaced in place are picked up, as
 * the server's own certificates are). */
void reload_endpoints(const gw::config::Config& cfg, gw::routing::HttpsTransport* https,
                      gw::routing::MllpTransport* mllp) {
  const auto identity = gw::routing::HttpsTransportOptions::from_config(cfg).identity();
  for (auto r : {https != nullptr ? https->set_identity(identity) : gw::Result<void>{},
                 mllp != nullptr ? mllp->set_identity(identity) : gw::Result<void>{}}) {
    if (!r) {
      gw::log::error("delivery_identity_not_reloaded", {{"error", r.error().detail}});
    }
  }
  if (https != nullptr) {
    if (auto r =
            https->set_endpoints(gw::routing::HttpsTransportOptions::from_config(cfg).endpoints);
        !r) {
      gw::log::error("delivery_endpoints_not_reloaded", {{"error", r.error().detail}});
    }
  }
  if (mllp != nullptr) {
    if (auto r = mllp->set_endpoints(gw::routing::MllpTransportOptions::from_config(cfg).endpoints);
        !r) {
      gw::log::error("delivery_endpoints_not_reloaded", {{"error", r.error().detail}});
    }
  }
}

std::string config_mappings_dir(const gw::config::Config& cfg) {
  std::error_code ec;
  if (cfg.mappings.line > 0 || std::filesystem::is_directory(cfg.mappings.value, ec)) {
    return cfg.mappings.value;
  }
  return {};
}

/** load_mappings: loads and validates a mappings directory, checking senders against `cfg`. */
gw::mapping::LoadResult load_mappings(const std::string& dir, const gw::config::Config* cfg) {
  gw::mapping::LoadOptions opts;
  if (cfg != nullptr) {
    for (const auto& o : cfg->organisations) {
      opts.known_senders.push_back(o.ods.str());
    }
  }
  return gw::mapping::load_directory(dir, opts);
}

/** mappings_summary: "N value maps, N code table rows". */
std::string mappings_summary(const gw::mapping::MappingSet& set) {
  return std::to_string(set.value_map_count()) + " value maps, " + std::to_string(set.code_rows()) +
         " code table rows";
}

int check_config(const std::string& file) {
  auto lr = gw::config::load_file(file);
  std::size_t agreements = 0;
  if (lr.errors.empty()) {
    (void)gw::tls::make_server_contexts(*lr.config, lr.errors);
    agreements = check_policy(*lr.config, false, lr.errors);
  }
  std::string mappings;
  // The mappings are checked even when a certificate file is missing, so one run says it all.
  auto cfg = lr.config;
  if (!cfg) {
    gw::config::LoadOptions no_files;
    no_files.check_files = false;
    cfg = gw::config::load_file(file, no_files).config;
  }
  if (cfg) {
    std::error_code ec;
    const auto dir = config_mappings_dir(*cfg);
    if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
      lr.errors.push_back({file, cfg->mappings.line, "'mappings': no such directory " + dir});
    } else if (!dir.empty()) {
      auto ml = load_mappings(dir, cfg.get());
      lr.errors.insert(lr.errors.end(), ml.errors.begin(), ml.errors.end());
      if (ml.set) {
        mappings = dir + ": ok (" + mappings_summary(*ml.set) + ")\n";
      }
    }
  }
  if (!lr.errors.empty()) {
    print_errors(lr.errors);
    std::cerr << lr.errors.size() << (lr.errors.size() == 1 ? " problem" : " problems") << " in "
              << file << '\n';
    return kExitBadInput;
  }
  std::cout << file << ": ok (" << lr.config->listeners.size() << " listeners, "
            << lr.config->organisations.size() << " organisations";
  if (agreements > 0 || !lr.config->token_issuers.empty()) {
    std::cout << ", " << agreements << " agreements, " << lr.config->token_issuers.size()
              << " token issuers";
  }
  std::cout << ")\n";
  std::cout << mappings;
  return kExitOk;
}

int serve(const std::string& file, bool demo, const std::string& data_dir) {
  // Before any thread starts: the heap keeps what one message frees for the next (heap.hpp).
  const gw::HeapSettings heap = gw::configure_heap();
  auto lr = load(file, demo, data_dir);
  if (lr.errors.empty()) {
    (void)gw::tls::make_server_contexts(*lr.config, lr.errors);
  }
  if (lr.errors.empty() && demo) {
    // The demo issuer's key and JWKS are made on first start (gateway/auth/README.md).
    if (auto issuer = gw::auth::ensure_demo_issuer(lr.config->data_dir); !issuer) {
      lr.errors.push_back({"<demo>", 0, issuer.error().detail});
    }
  }
  if (lr.errors.empty()) {
    (void)check_policy(*lr.config, demo, lr.errors);
  }
  if (!lr.errors.empty()) {
    print_errors(lr.errors);
    if (demo) {
      std::cerr << "caregw: make the demo certificates with: certs/make-dev-certs --out "
                << (data_dir.empty() ? std::string("var/demo") : data_dir)
                << "/certs --config examples/demo/caregw.yaml\n";
    }
    return kExitBadInput;
  }
  auto cfg = lr.config;
  gw::log::Level level = gw::log::Level::kInfo;
  (void)gw::log::parse_level(cfg->log_level, level);
  gw::log::init(level);
  gw::log::info("heap_settings", {{"heap", gw::describe(heap)}});

  const gw::SystemClock clock;
  auto repo = gw::store::sqlite::SqliteMpiRepository::open_in_data_dir(cfg->data_dir, clock);
  if (!repo) {
    std::cerr << "caregw: cannot open the store in " << cfg->data_dir << ": " << repo.error().detail
              << '\n';
    return kExitBadInput;
  }
  gw::identity::MpiService mpi(**repo, gw::identity::MpiSettings{});
  if (demo) {
    // The synthetic patients, linked by the MPI as messages would be (idempotent on restart).
    auto ids = gw::identity::parse_identities_json(gw::demo_patients_json(), "patients.json");
    auto loaded = ids ? gw::identity::load_identities(mpi, *ids)
                      : gw::Result<gw::identity::LoadSummary>(ids.error());
    if (!loaded) {
      std::cerr << "caregw: demo patients: " << loaded.error().detail << '\n';
      return kExitBadInput;
    }
    std::cout << "caregw: demo patients: " << loaded->loaded << " identities from 5 organisations ("
              << loaded->held_for_review << " held for review)\n";
  }

  // The audit log: every disclosure is on disk before its response leaves (gateway/audit).
  gw::audit::AuditLogOptions audit_options;
  audit_options.data_dir = cfg->data_dir;
  audit_options.key_file = cfg->audit.key_file;
  audit_options.node_id = cfg->node_id;
  audit_options.queue_bound = cfg->audit.queue_bound;
  audit_options.max_batch = cfg->audit.max_batch;
  audit_options.checkpoint_every = cfg->audit.checkpoint_every;
  audit_options.checkpoint_interval = std::chrono::seconds(cfg->audit.checkpoint_interval_s);
#ifdef CAREGW_BENCH_AUDIT_OFF
  // bench/audit-run's baseline build (caregw-audit-off), never caregw itself: the same gateway
  // with the audit records discarded, to measure what the durable record adds to a request.
  audit_options.discard = true;
  std::cerr << "caregw: benchmark build: audit records are DISCARDED, not written\n";
#endif
  auto audit_log = gw::audit::AuditLog::open(audit_options, clock);
  if (!audit_log) {
    std::cerr << "caregw: cannot open the audit log in " << cfg->data_dir << ": "
              << audit_log.error().detail << '\n';
    return kExitBadInput;
  }

  // The record store, journal and outbox share caregw.db with the MPI (gateway/store).
  auto records = gw::store::sqlite::SqliteRecordStore::open_in_data_dir(cfg->data_dir, clock);
  auto messages = gw::store::sqlite::SqliteMessageStore::open_in_data_dir(cfg->data_dir, clock);
  if (!records || !messages) {
    std::cerr << "caregw: cannot open the record store in " << cfg->data_dir << ": "
              << (!records ? records.error().detail : messages.error().detail) << '\n';
    return kExitBadInput;
  }
  if (demo) {
    // The demo's shared care records (examples/demo/records.json; idempotent on restart).
    auto loaded = gw::record::load_demo_records(mpi, **records, gw::demo_records_json());
    if (!loaded) {
      std::cerr << "caregw: demo records: " << loaded.error().detail << '\n';
      return kExitBadInput;
    }
    std::cout << "caregw: demo records: " << loaded->records << " resources (" << loaded->stored
              << " stored now, " << loaded->merges << " merges applied)\n";
  }

  std::vector<gw::config::Diagnostic> errors;
  // The agreements in force, swapped with the config on SIGHUP (a reload whose agreements do
  // not load is refused, and the old ones stay): for ingest (snapshot) and for record reads
  // (policies, with the sensitive code lists), with the break-glass grants (gateway/policy).
  std::mutex snapshot_mu;
  gw::ingest::Snapshot snapshot{cfg, nullptr};
  std::optional<gw::policy::PolicyHolder> policies;
  if (auto set = gw::policy::load_policy_set(
          *cfg, demo ? gw::policy::read_demo_file : gw::policy::read_from_disk, clock.now(),
          errors)) {
    snapshot.policy = set->index;
    snapshot.classifier = set->classifier;
    policies.emplace(std::move(*set));
  }
  // Break-glass grants are kept in db/break-glass.db: a restart keeps the open ones in force
  // until they expire (expired ones are purged now).
  std::unique_ptr<gw::policy::BreakGlassRegistry> break_glass;
  {
    auto grant_store = gw::policy::SqliteGrantStore::open(cfg->data_dir);
    auto registry =
        grant_store
            ? gw::policy::BreakGlassRegistry::durable(
                  clock, std::chrono::hours(cfg->policy.break_glass_hours), std::move(*grant_store))
            : gw::Result<std::unique_ptr<gw::policy::BreakGlassRegistry>>(grant_store.error());
    if (!registry) {
      std::cerr << "caregw: cannot open the break-glass grants in " << cfg->data_dir << ": "
                << registry.error().detail << '\n';
      return kExitBadInput;
    }
    break_glass = std::move(*registry);
    if (const auto open = break_glass->active_records().size(); open > 0) {
      std::cout << "caregw: break-glass: " << open << " grants still in force\n";
    }
  }
  // The inputs of record-read decisions, for `caregw policy dry-run` (gateway/policy/recorder.hpp).
  std::optional<gw::policy::InputRecorder> recorder;
  if (cfg->policy.recorded_inputs_days > 0) {
    recorder.emplace(gw::policy::RecorderOptions{std::filesystem::path(cfg->data_dir) / "policy",
                                                 cfg->policy.recorded_inputs_days,
                                                 cfg->policy.recorded_inputs_per_request});
    if (auto r = recorder->open(clock.now()); !r) {
      std::cerr << "caregw: " << r.error().detail << '\n';
      return kExitBadInput;
    }
  }
  // The token issuers' keys, swapped with the config on SIGHUP (gateway/pipeline/reload.hpp).
  gw::auth::TokenVerifierHolder tokens(gw::auth::load_verifier(*cfg, errors));
  auto contexts = gw::tls::make_server_contexts(*cfg, errors);
  if (!errors.empty()) {
    print_errors(errors);
    return kExitBadInput;
  }
  // Mappings (gateway/mapping): loaded now, reloaded with the config on SIGHUP; a bad set is
  // refused with its errors (and the config reload with it) while the old set stays in use.
  std::unique_ptr<gw::mapping::UnmappedTracker> unmapped;
  std::unique_ptr<gw::mapping::MappingRegistry> mappings;
  // Inbound messages: the adapters this build has, and the ingest service behind the message
  // routes (gateway/ingest). The delivery worker is made once the metrics registry exists.
  gw::ingest::AdapterSet adapters;
  gw::adapters::add_builtin(adapters, clock);
  std::unique_ptr<gw::routing::DeliveryWorker> worker;
  // The delivery transports once made (below): a reload hands them the new endpoints.
  std::atomic<gw::routing::HttpsTransport*> https_now{nullptr};
  std::atomic<gw::routing::MllpTransport*> mllp_now{nullptr};
  gw::ingest::Ingest ingest(gw::ingest::IngestDeps{**messages, **records, mpi, clock,
                                                   [&] {
                                                     std::lock_guard lock(snapshot_mu);
                                                     return snapshot;
                                                   },
                                                   nullptr, audit_log->get(), adapters.renderers(),
                                                   [&worker] {
                                                     if (worker) {
                                                       worker->wake();
                                                     }
                                                   }});
  // GP Connect queries (gateway/gpconnect): their own HTTPS client with the delivery identity
  // (mutual TLS) and gpconnect.timeout_ms; each call reads the practice's endpoint and ASIDs from
  // the config in force, so a SIGHUP reload changes them for the next query.
  std::unique_ptr<gw::routing::HttpsTransport> gpc_https;
  std::optional<gw::gpconnect::Client> gpconnect;
  if (const auto* gpc_adapter = adapters.find("gpconnect"); gpc_adapter != nullptr) {
    auto options = gw::routing::HttpsTransportOptions::from_config(*cfg);
    options.endpoints.clear();
    options.timeout = cfg->gpconnect.timeout;
    auto made = gw::routing::HttpsTransport::create(std::move(options));
    if (!made) {
      std::cerr << "caregw: gpconnect: " << made.error().detail << '\n';
      return kExitBadInput;
    }
    gpc_https = std::move(*made);
    gpconnect.emplace([t = gpc_https.get()](const gw::routing::HttpCall& c) { return t->call(c); },
                      ingest, *gpc_adapter, clock);
  }
  // Assembled shared record answers (gateway/record/answer_cache.hpp); record.cache_mb 0: off.
  gw::record::AnswerCache record_cache(std::size_t{cfg->record.cache_mb} * 1024 * 1024);
  gw::http::Server server(
      cfg, std::move(contexts),
      [file, demo, data_dir, &mappings, &snapshot_mu, &snapshot, &policies, &tokens, &audit_log,
       node = cfg->node_id, &clock, &https_now, &mllp_now] {
        auto reloaded = load(file, demo, data_dir);
        std::optional<gw::pipeline::StagedReload> set;
        if (reloaded.errors.empty()) {
          set = gw::pipeline::stage_reload(
              *reloaded.config, demo ? gw::policy::read_demo_file : gw::policy::read_from_disk,
              clock.now(), reloaded.errors);
        }
        if (reloaded.errors.empty()) {
          // The server builds these again; checked first so nothing goes in force for a config
          // whose certificates it would then refuse.
          (void)gw::tls::make_server_contexts(*reloaded.config, reloaded.errors);
          check_delivery_identity(*reloaded.config, reloaded.errors);
        }
        if (reloaded.errors.empty() && mappings) {
          auto r = mappings->reload();
          reloaded.errors.insert(reloaded.errors.end(), r.errors.begin(), r.errors.end());
        }
        if (reloaded.errors.empty() && set) {
          std::lock_guard lock(snapshot_mu);
          snapshot =
              gw::ingest::Snapshot{reloaded.config, set->policy.index, set->policy.classifier};
          gw::pipeline::apply_reload(std::move(*set), *policies, tokens);
          reload_endpoints(*reloaded.config, https_now.load(), mllp_now.load());
        }
        // Every reload, applied or rejected, is audited with the agreements in force after it.
        const auto in_force = policies->current();
        gw::pipeline::audit_reload(
            **audit_log, gw::pipeline::ReloadOutcome{reloaded.errors.empty(), reloaded.errors,
                                                     in_force->index.get(), node});
        return reloaded;
      },
      gw::pipeline::Backends{&mpi, &tokens, audit_log->get(), &ingest, &adapters, messages->get(),
                             records->get(), policies ? &*policies : nullptr, break_glass.get(),
                             recorder ? &*recorder : nullptr, gpconnect ? &*gpconnect : nullptr,
                             &record_cache});
  record_cache.attach(gw::record::AnswerCache::make_metrics(server.registry()));
  if (const auto dir = config_mappings_dir(*cfg); !dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      std::cerr << "caregw: mappings directory " << dir << " does not exist"
                << (demo ? "; running without mappings\n" : "\n");
      if (!demo) {
        return kExitBadInput;
      }
    } else {
      gw::mapping::LoadOptions mopts;
      for (const auto& o : cfg->organisations) {
        mopts.known_senders.push_back(o.ods.str());
      }
      unmapped = std::make_unique<gw::mapping::UnmappedTracker>(&server.registry());
      mappings = std::make_unique<gw::mapping::MappingRegistry>(dir, mopts, unmapped.get(),
                                                                &server.registry());
      if (auto r = mappings->reload(); !r.swapped) {
        print_errors(r.errors);
        return kExitBadInput;
      }
    }
  }
  // Unmapped codes are counted in memory and flushed to db/mappings.db every 30 s and at the
  // end, so `caregw mappings unmapped --data-dir DIR` reads them from a running gateway.
  // Stopped and joined on every way out of serve (a failed start included); the last counts are
  // written on the way out.
  std::optional<gw::mapping::UnmappedStore> unmapped_store;
  std::optional<gw::Periodic> flusher;
  if (unmapped) {
    if (auto store = gw::mapping::UnmappedStore::open(cfg->data_dir); store) {
      unmapped_store.emplace(std::move(*store));
      flusher.emplace([] { return std::chrono::milliseconds(30'000); },
                      [&] { (void)gw::mapping::flush_unmapped(*unmapped, *unmapped_store); },
                      /*run_on_stop=*/true);
    }
  }
  // Message retention (`retention:`): the bytes of finished inbound messages and the delivered
  // outbound ones past their days are removed at every interval, with the config in force then.
  const auto current_config = [&snapshot_mu, &snapshot] {
    std::lock_guard lock(snapshot_mu);
    return snapshot.config;
  };
  gw::Periodic retention(
      [&current_config] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            current_config()->retention.interval);
      },
      [&current_config, &messages, &clock,
       &removed = server.registry().counter(
           "caregw_retention_removed_total",
           "Journal message bodies and finished outbound messages removed by the retention",
           {"kind"})] { run_retention(*current_config(), **messages, clock.now(), removed); });
  // Delivery: the HTTPS and MLLP transports and the worker threads over the durable outbox
  // (gateway/routing). Mailbox messages wait for their recipient to fetch them.
  gw::routing::DeliveryStats delivery_stats(server.registry());
  auto https =
      gw::routing::HttpsTransport::create(gw::routing::HttpsTransportOptions::from_config(*cfg));
  auto mllp =
      gw::routing::MllpTransport::create(gw::routing::MllpTransportOptions::from_config(*cfg));
  if (!https || !mllp) {
    std::cerr << "caregw: delivery: " << (!https ? https.error().detail : mllp.error().detail)
              << '\n';
    return kExitBadInput;
  }
  gw::routing::TransportByKind transports(https->get(), mllp->get());
  https_now.store(https->get());
  mllp_now.store(mllp->get());
  worker = std::make_unique<gw::routing::DeliveryWorker>(
      **messages, transports, clock, &delivery_stats,
      gw::routing::DeliveryOptions{
          .threads = cfg->delivery.workers,
          .retry = gw::routing::RetryPolicy::from_config(cfg->delivery),
          .on_recorded =
              [&audit_log, node = cfg->node_id](
                  const std::vector<gw::store::OutboxEntry>& sent,
                  const std::vector<gw::store::DeliveryOutcome>& done) {
                // Every delivery, retry and dead letter is an audited message movement.
                for (auto& r : gw::ingest::delivery_audit_records(sent, done, node)) {
                  (*audit_log)->append(std::move(r), [](gw::Result<std::uint64_t> res) {
                    if (!res) {
                      gw::log::error("delivery_audit_failed", {{"error", res.error().detail}});
                    }
                  });
                }
              },
          // A recipient's business answer (an ITK3 response) decides what its 2xx meant.
          .read_answer =
              [renderers = adapters.renderers()](const gw::store::OutboxEntry& m,
                                                 const gw::routing::SendResult& sent) {
                return gw::ingest::read_delivery_answer(renderers, m, sent);
              }});
  worker->start();
  // Messages journalled but not finished when the last run stopped are processed now.
  if (auto resumed =
          ingest.resume([&adapters](std::string_view name) { return adapters.find(name); });
      resumed && *resumed > 0) {
    std::cout << "caregw: resumed " << *resumed << " unfinished messages from the journal\n";
  }
  if (auto started = server.start(); !started) {
    std::cerr << "caregw: " << started.error().detail << '\n';
    return kExitBadInput;
  }
  for (const auto& b : server.bound()) {
    const std::string host =
        b.address == "0.0.0.0" || b.address == "127.0.0.1" ? "localhost" : b.address;
    const bool is_mllp = b.protocol == gw::config::ListenerProtocol::kMllp;
    std::cout << "caregw: listening " << b.name << (is_mllp ? " mllp+tls://" : " https://") << host
              << ":" << b.port << (is_mllp ? " (HL7 v2; " : "/ (")
              << (b.client_certificate == gw::config::ClientCert::kRequired
                      ? "client certificate required"
                      : "client certificate optional")
              << ")\n";
  }
  if (demo) {
    const auto certs = cfg->data_dir + "/certs";
    std::cout << "caregw: demo certificates in " << certs << " (CA ca.crt; one <ODS>.crt/.key per "
              << "organisation)\n"
              << "caregw: try: curl --cacert " << certs << "/ca.crt --cert " << certs
              << "/Z90001.crt --key " << certs << "/Z90001.key https://localhost:"
              << (server.bound().empty() ? 8443 : server.bound().front().port) << "/fhir/metadata\n"
              << "caregw: shared record: add -H \"Authorization: Bearer $(caregw demo-token "
              << "--data-dir " << cfg->data_dir << " --user gp)\" and ask for "
              << "/fhir/Patient/9991158383/$everything (README.md, \"Shared record\")\n";
  }
  std::cout.flush();
  server.run();
  https_now.store(nullptr);  // no reload reaches the transports once they are going
  mllp_now.store(nullptr);
  worker->stop();         // no delivery outlives the stores
  (*audit_log)->close();  // after the listeners drained: every queued record is written
  retention.stop();
  return kExitOk;  // the flusher writes the last unmapped counts as it stops
}

int nhs_number_validate(const std::vector<std::string>& numbers) {
  int rc = kExitOk;
  for (const auto& n : numbers) {
    auto parsed = gw::NhsNumber::parse(n);
    if (parsed) {
      std::cout << n << ": valid (" << parsed->formatted() << ")\n";
    } else {
      std::cout << n << ": invalid: " << parsed.error().detail << "\n";
      rc = kExitBadInput;
    }
  }
  return rc;
}

/**
 * translate_mappings: the mapping set translate uses, the same one the server would: --mappings
 * DIR, else the config's (--config FILE), else ./mappings if it exists. False (errors printed)
 * when the set named does not load.
 */
bool translate_mappings(const std::string& mappings_dir, const std::string& config_file,
                        std::shared_ptr<const gw::mapping::MappingSet>& out) {
  std::string dir = mappings_dir;
  gw::config::ConfigPtr cfg;
  if (!config_file.empty()) {
    auto lr = gw::config::load_file(config_file);
    if (!lr.config) {
      print_errors(lr.errors);
      return false;
    }
    cfg = lr.config;
    if (dir.empty()) {
      dir = config_mappings_dir(*cfg);
    }
  }
  std::error_code ec;
  if (dir.empty() && config_file.empty() && std::filesystem::is_directory("mappings", ec)) {
    dir = "mappings";
  }
  if (dir.empty()) {
    return true;  // no mappings to use (FHIR-to-FHIR translations need none)
  }
  auto ml = load_mappings(dir, cfg.get());
  if (!ml.set) {
    print_errors(ml.errors);
    std::cerr << "caregw translate: the mappings in " << dir << " have " << ml.errors.size()
              << (ml.errors.size() == 1 ? " problem" : " problems") << '\n';
    return false;
  }
  out = ml.set;
  return true;
}

int translate_cmd(const std::string& from_name, const std::string& to_name, const std::string& in,
                  bool check, const gw::translate::Options& options) {
  auto from = gw::translate::parse_kind(from_name);
  auto to = gw::translate::parse_kind(to_name);
  if (!from || !to) {
    std::cerr << "caregw translate: unknown format '" << (from ? to_name : from_name)
              << "'; known: " << gw::translate::kind_names() << '\n';
    return kExitUsage;
  }
  std::string input;
  if (in.empty() || in == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    input = ss.str();
  } else {
    std::ifstream f(in, std::ios::binary);
    if (!f) {
      std::cerr << "caregw translate: cannot read " << in << '\n';
      return kExitBadInput;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    input = ss.str();
  }
  auto t = gw::translate::translate(*from, *to, input, options);
  if (!t) {
    std::cerr << "caregw translate: " << t.error().detail << '\n';
    return kExitBadInput;
  }
  for (const auto& w : t->warnings) {
    std::cerr << "warning: " << w << '\n';
  }
  if (check) {
    // The UK Core checks read R4 JSON; an XML output is read back for them.
    std::string json = t->output;
    if (*to == gw::translate::Kind::kFhirR4Xml) {
      auto back = gw::translate::translate(*to, gw::translate::Kind::kFhirR4, t->output);
      json = back ? back->output : std::string{};
    }
    auto doc = gw::fhir::parse_json(json);
    if (*to != gw::translate::Kind::kFhirR4 && *to != gw::translate::Kind::kFhirR4Xml) {
      std::cerr << "caregw translate: --check needs an R4 output (fhir-r4 or fhir-r4-xml)\n";
      return kExitUsage;
    }
    if (doc) {
      const auto issues = gw::fhir::check_uk_core(*doc);
      if (!issues.empty()) {
        std::cerr << gw::fhir::operation_outcome(issues) << '\n';
      }
      if (gw::fhir::has_errors(issues)) {
        return kExitBadInput;
      }
    }
  }
  std::cout << t->output;
  return kExitOk;
}

int mappings_check(const std::string& dir) {
  auto ml = load_mappings(dir, nullptr);
  if (!ml.set) {
    print_errors(ml.errors);
    std::cerr << ml.errors.size() << (ml.errors.size() == 1 ? " problem" : " problems") << " in "
              << dir << '\n';
    return kExitBadInput;
  }
  std::cout << dir << ": ok (" << mappings_summary(*ml.set) << ")\n";
  return kExitOk;
}

int mappings_unmapped(std::string data_dir, const std::string& config_file, std::size_t limit) {
  if (data_dir.empty()) {
    auto lr = gw::config::load_file(config_file);
    if (!lr.config) {
      print_errors(lr.errors);
      return kExitBadInput;
    }
    data_dir = lr.config->data_dir;
  }
  auto store = gw::mapping::UnmappedStore::open(data_dir, /*read_only=*/true);
  if (!store) {
    std::cerr << "caregw mappings unmapped: " << store.error().detail << '\n';
    return store.error().code == gw::Errc::kNotFound ? kExitOk : kExitBadInput;
  }
  auto top = store->top(limit);
  if (!top) {
    std::cerr << "caregw mappings unmapped: " << top.error().detail << '\n';
    return kExitBadInput;
  }
  std::cout << "count\tadapter\tsystem\tcode\tdisplay\n";
  for (const auto& e : *top) {
    std::cout << e.count << '\t' << e.adapter << '\t' << e.system << '\t' << e.code << '\t'
              << e.display << '\n';
  }
  return kExitOk;
}

int conformance_cmd(const std::string& dir, const std::string& filter) {
  gw::conformance::RunOptions opts;
  // Read once on the main thread before anything else runs.
  const char* update = std::getenv("GW_UPDATE_GOLDEN");  // NOLINT(concurrency-mt-unsafe)
  opts.update_golden = update != nullptr && std::string(update) == "1";
  opts.filter = filter;
  const auto results = gw::conformance::run_cases(dir, opts);
  int passed = 0;
  int failed = 0;
  for (const auto& r : results) {
    if (r.passed) {
      ++passed;
      std::cout << "PASS " << r.name << (r.detail.empty() ? "" : " (" + r.detail + ")") << '\n';
    } else {
      ++failed;
      std::cout << "FAIL " << r.name << ": " << r.detail << '\n';
    }
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed == 0 && passed > 0 ? kExitOk : kExitBadInput;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"caregw: interoperability gateway for health and social care records"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "caregw 0.1.0");

  std::string config_file, data_dir, check_file;
  bool demo = false;
  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway");
  auto* cfg_opt = serve_cmd->add_option("--config", config_file, "Config file (YAML)");
  auto* demo_opt = serve_cmd->add_flag(
      "--demo", demo, "Use the built-in demo config, certificates under the data directory");
  serve_cmd->add_option("--data-dir", data_dir, "Data directory (demo default: ./var/demo)");
  cfg_opt->excludes(demo_opt);

  auto* check_cmd =
      app.add_subcommand("check-config", "Validate a config file; errors as file:line: message");
  check_cmd->add_option("FILE", check_file, "Config file (YAML)")->required();

  std::vector<std::string> numbers;
  auto* nhs_cmd = app.add_subcommand("nhs-number", "NHS number tools");
  nhs_cmd->require_subcommand(1);
  auto* validate_cmd = nhs_cmd->add_subcommand(
      "validate", "Check NHS numbers (Modulus 11); exit 1 if any is invalid");
  validate_cmd->add_option("N", numbers, "NHS numbers, e.g. 9434765919 or \"943 476 5919\"")
      ->required();

  std::string from_kind, to_kind, in_file, translate_mappings_dir, translate_config;
  bool check = false;
  auto* translate_sub = app.add_subcommand(
      "translate", "Translate one message offline (stdin by default); prints the result");
  translate_sub->add_option("--from", from_kind, "Input format: " + gw::translate::kind_names())
      ->required();
  translate_sub->add_option("--to", to_kind, "Output format: " + gw::translate::kind_names())
      ->required();
  translate_sub->add_option("--in", in_file, "Input file (default: standard input)");
  translate_sub->add_flag(
      "--check", check,
      "Also run the UK Core checks on an R4 output; issues on stderr, exit 1 on errors");
  translate_sub->add_option(
      "--mappings", translate_mappings_dir,
      "Mappings directory (default: the config's with --config, else ./mappings if present)");
  translate_sub->add_option("--config", translate_config,
                            "Config file whose mappings directory to use");

  std::string mappings_dir_arg = "mappings", unmapped_data_dir, unmapped_config;
  std::size_t unmapped_limit = 20;
  auto* mappings_sub = app.add_subcommand("mappings", "Mapping and terminology tools");
  mappings_sub->require_subcommand(1);
  auto* mappings_check_sub = mappings_sub->add_subcommand(
      "check", "Validate a mappings directory; errors as file:line: message");
  mappings_check_sub->add_option("DIR", mappings_dir_arg, "Mappings directory (default: mappings)");
  auto* unmapped_sub = mappings_sub->add_subcommand(
      "unmapped", "The most frequent codes that had no mapping (from the data directory)");
  auto* unmapped_dd =
      unmapped_sub->add_option("--data-dir", unmapped_data_dir, "Data directory of the gateway");
  auto* unmapped_cfg =
      unmapped_sub->add_option("--config", unmapped_config, "Config file naming the data_dir");
  unmapped_dd->excludes(unmapped_cfg);
  unmapped_sub->add_option("--limit", unmapped_limit, "How many codes to list (default 20)")
      ->check(CLI::Range(1, 100000));

  std::string cases_dir = "conformance/cases", case_filter;
  auto* conformance_sub =
      app.add_subcommand("conformance", "Run conformance cases; last line 'N passed, N failed'");
  conformance_sub->add_option("--cases", cases_dir, "Cases directory (default: conformance/cases)");
  conformance_sub->add_option("--filter", case_filter, "Only cases whose name contains this");

  gw::auth::DemoTokenOptions demo_token;
  auto* demo_token_cmd = gw::auth::add_demo_token_command(app, demo_token);
  gw::policy::PolicyCliOptions policy_opts;
  (void)gw::policy::add_policy_command(app, policy_opts);
  gw::audit::AuditCommands audit_commands(app);
  gw::gpconnect::FetchCliOptions gpconnect_fetch;
  auto* gpconnect_fetch_cmd = gw::gpconnect::add_gpconnect_command(app, gpconnect_fetch);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  try {
    if (*serve_cmd) {
      if (!demo && config_file.empty()) {
        std::cerr << "caregw serve: give --config FILE or --demo\n";
        return kExitUsage;
      }
      if (demo && data_dir.empty()) {
        data_dir = "var/demo";
      }
      return serve(config_file, demo, data_dir);
    }
    if (*check_cmd) {
      return check_config(check_file);
    }
    if (*validate_cmd) {
      return nhs_number_validate(numbers);
    }
    if (*translate_sub) {
      gw::translate::Options options;
      if (!translate_mappings(translate_mappings_dir, translate_config, options.mappings)) {
        return kExitBadInput;
      }
      return translate_cmd(from_kind, to_kind, in_file, check, options);
    }
    if (*mappings_check_sub) {
      return mappings_check(mappings_dir_arg);
    }
    if (*unmapped_sub) {
      if (unmapped_data_dir.empty() && unmapped_config.empty()) {
        std::cerr << "caregw mappings unmapped: give --data-dir DIR or --config FILE\n";
        return kExitUsage;
      }
      return mappings_unmapped(unmapped_data_dir, unmapped_config, unmapped_limit);
    }
    if (*conformance_sub) {
      return conformance_cmd(cases_dir, case_filter);
    }
    if (*demo_token_cmd) {
      return gw::auth::run_demo_token(demo_token, std::cout, std::cerr);
    }
    if (*policy_opts.dry_run) {
      return gw::policy::run_policy_command(policy_opts, std::cout, std::cerr);
    }
    if (audit_commands.selected()) {
      return audit_commands.run();
    }
    if (*gpconnect_fetch_cmd) {
      const gw::SystemClock clock;
      gw::ingest::AdapterSet adapters;
      gw::adapters::add_builtin(adapters, clock);
      return gw::gpconnect::run_fetch_cli(gpconnect_fetch, adapters, std::cout, std::cerr);
    }
  } catch (const std::exception& e) {
    // Startup only: the data plane never throws (STYLE.md 3.3).
    std::cerr << "caregw: " << e.what() << '\n';
    return kExitBadInput;
  }
  return kExitUsage;
}

int main(int argc, char** argv) {
  // Startup only: anything thrown while wiring is reported and ends the process (STYLE.md 3.3).
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "caregw: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "caregw: unexpected error\n";
  }
  return kExitBadInput;
}
