// caregw-audit-bench: durable audit appends per second with group commit from 64 producer
// threads, against a baseline of one commit (one fsync) per record, in the same run and on the
// same disk; and the latency an append adds when 64 clients each wait for their record.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/core/clock.hpp"
#include "gateway/identity/nhs_number.hpp"

namespace {

using gw::audit::AuditLog;
using gw::audit::AuditLogOptions;
using gw::audit::AuditRecord;
using Clock = std::chrono::steady_clock;

std::vector<std::string> synthetic_nhs_numbers(int n) {
  std::vector<std::string> out;
  for (int stem = 999000000; static_cast<int>(out.size()) < n; ++stem) {
    const std::string nine = std::to_string(stem);
    const int check = gw::NhsNumber::check_digit(nine);
    if (check >= 0) {
      out.push_back(nine + std::to_string(check));
    }
  }
  return out;
}

/**
 * Disclosures: what each record says was disclosed: two inline items (the default), or, with
 * --prepared-items N, one list of N items prepared once per patient (prepare_disclosures), as the
 * record API's kept answers do, the same list on every read of that patient.
 */
struct Disclosures {
  std::size_t prepared_items = 0;
  std::size_t patients = 0;  // distinct prepared lists (one per patient), cycled through
  std::vector<std::shared_ptr<const gw::audit::PreparedDisclosures>> lists;
};

/** make_disclosures: `patients` prepared lists of `items` items each (none when items is 0). */
gw::Result<Disclosures> make_disclosures(std::size_t items, std::size_t patients) {
  Disclosures d;
  d.prepared_items = items;
  d.patients = patients;
  for (std::size_t p = 0; items > 0 && p < patients; ++p) {
    std::vector<gw::audit::DisclosedItem> list;
    for (std::size_t i = 0; i < items; ++i) {
      std::string id = "p";
      id.append(std::to_string(p)).append("-r").append(std::to_string(i));
      list.push_back({i == 0 ? "Patient" : "Observation", id, gw::audit::sha256_hex(id)});
    }
    auto prepared = gw::audit::prepare_disclosures(std::move(list));
    if (!prepared) {
      return prepared.error();
    }
    d.lists.push_back(std::move(*prepared));
  }
  return d;
}

AuditRecord record(const Disclosures& d, const std::string& nhs, int thread, std::size_t i) {
  AuditRecord r;
  r.type = gw::audit::EventType::kRecordRead;
  r.decision = gw::audit::Decision::kPermit;
  r.user_id = "bench-user-" + std::to_string(thread);
  r.user_name = "Bench User";
  r.user_role = "R8000";
  r.org_ods = "Z90001";
  r.client_system = "CN=Z90001,O=caregw dev";
  r.purpose_of_use = "TREAT";
  r.nhs_number = nhs;
  if (!d.lists.empty()) {
    r.prepared_disclosed = d.lists[i % d.lists.size()];
  } else {
    r.disclosed = {{"MedicationStatement", "ms-1", std::string(64, 'a')},
                   {"AllergyIntolerance", "al-1", std::string(64, 'b')}};
  }
  r.dsa_id = "dsa-borough-direct-care";
  r.dsa_version = "3";
  r.dsa_rule = "gp-read-all";
  r.request_id = "req-bench";
  r.source_address = "192.0.2.10";
  return r;
}

struct Run {
  std::uint64_t records = 0;
  std::uintmax_t file_bytes = 0;  // audit.db + its WAL after the run
  double seconds = 0;
  std::uint64_t batches = 0;
  std::vector<double> latency_us;  // closed-loop runs only
  double cpu_seconds = 0;          // the process's user + system CPU during the run
  [[nodiscard]] double cpu_us_per_record() const {
    return records > 0 ? cpu_seconds * 1e6 / static_cast<double>(records) : 0;
  }
  [[nodiscard]] double rate() const {
    return seconds > 0 ? static_cast<double>(records) / seconds : 0;
  }
};

/** process_cpu_seconds: user + system CPU of the whole process so far (a steadier measure than
 * the rate on a machine shared with other work: it counts what each append costs). */
double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) {
    return 0;
  }
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

std::unique_ptr<AuditLog> open_log(const std::filesystem::path& dir, std::size_t max_batch) {
  static gw::SystemClock clock;
  AuditLogOptions o;
  o.data_dir = dir;
  o.node_id = "bench";
  o.max_batch = max_batch;
  o.queue_bound = 1 << 20;
  auto log = AuditLog::open(o, clock);
  if (!log) {
    std::cerr << "caregw-audit-bench: " << log.error().detail << '\n';
    std::exit(1);
  }
  return std::move(*log);
}

/** pipelined: each thread keeps up to `inflight` appends outstanding (as many coroutines would). */
Run pipelined(AuditLog& log, int threads, int inflight, double seconds,
              const std::vector<std::string>& nhs, const Disclosures& d) {
  std::atomic<std::uint64_t> done{0};
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> failed{0};
  const auto start = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      std::atomic<int> outstanding{0};
      std::mutex m;
      std::condition_variable cv;
      std::size_t i = static_cast<std::size_t>(t);
      while (!stop.load()) {
        {
          std::unique_lock lk(m);
          cv.wait(lk, [&] { return outstanding.load() < inflight; });
        }
        ++outstanding;
        const std::size_t k = i++;
        log.append(record(d, nhs[k % nhs.size()], t, k), [&](gw::Result<std::uint64_t> r) {
          if (r) {
            ++done;
          } else {
            ++failed;
          }
          std::lock_guard lk(m);
          --outstanding;
          cv.notify_one();
        });
      }
      std::unique_lock lk(m);
      cv.wait(lk, [&] { return outstanding.load() == 0; });
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) {
    t.join();
  }
  Run r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.records = done.load();
  if (failed.load() != 0) {
    std::cerr << "caregw-audit-bench: " << failed.load() << " appends failed\n";
  }
  return r;
}

/** closed_loop: each of `threads` clients appends and waits for durability, again and again. */
Run closed_loop(AuditLog& log, int threads, double seconds, const std::vector<std::string>& nhs,
                const Disclosures& d) {
  std::atomic<bool> stop{false};
  std::mutex m;
  Run r;
  const auto start = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      std::vector<double> lat;
      std::size_t i = static_cast<std::size_t>(t);
      while (!stop.load()) {
        const auto a = Clock::now();
        const std::size_t k = i++;
        auto res = log.append_sync(record(d, nhs[k % nhs.size()], t, k));
        if (res) {
          lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
        }
      }
      std::lock_guard lk(m);
      r.latency_us.insert(r.latency_us.end(), lat.begin(), lat.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) {
    t.join();
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.records = r.latency_us.size();
  return r;
}

/** database_bytes: the size of <data_dir>/db/audit.db and its WAL (0 for a missing file). */
std::uintmax_t database_bytes(const std::filesystem::path& data_dir) {
  std::uintmax_t total = 0;
  for (const char* name : {"audit.db", "audit.db-wal"}) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(data_dir / "db" / name, ec);
    total += ec ? 0 : n;
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"caregw-audit-bench: durable audit appends/s, group commit vs one commit each"};
  int threads = 64;
  int inflight = 64;
  double seconds = 5;
  std::string dir = (std::filesystem::temp_directory_path() / "caregw-audit-bench").string();
  bool keep = false;
  bool group_only = false;
  std::size_t prepared_items = 0;
  std::size_t prepared_lists = 64;
  app.add_option("--threads", threads, "Producer threads (default 64)");
  app.add_option("--inflight", inflight, "Outstanding appends per thread, pipelined run (64)");
  app.add_option("--seconds", seconds, "Seconds per run (default 5)");
  app.add_option("--dir", dir, "Scratch directory (removed unless --keep)");
  app.add_flag("--keep", keep, "Keep the scratch databases");
  app.add_flag("--group-only", group_only, "Only the group-commit run (for quick comparisons)");
  app.add_option("--prepared-items", prepared_items,
                 "Each record discloses a prepared list of this many items (0: two inline items)")
      ->check(CLI::Range(0, 1000));
  app.add_option("--prepared-lists", prepared_lists,
                 "Distinct prepared lists (patients) the records cycle through (default 64)")
      ->check(CLI::Range(1, 100000));
  CLI11_PARSE(app, argc, argv);
  const auto made = make_disclosures(prepared_items, prepared_lists);
  if (!made) {
    std::cerr << "caregw-audit-bench: " << made.error().detail << '\n';
    return 1;
  }
  const Disclosures& disclosures = *made;

  const auto nhs = synthetic_nhs_numbers(100000);
  std::filesystem::remove_all(dir);
  std::printf(
      "caregw-audit-bench: %d producer threads, %.1f s per run, SQLite WAL synchronous=FULL "
      "in %s\n",
      threads, seconds, dir.c_str());

  Run baseline;
  if (!group_only) {
    auto log = open_log(std::filesystem::path(dir) / "baseline", 1);
    baseline = closed_loop(*log, threads, seconds, nhs, disclosures);
    baseline.batches = log->stats().batches;
    log->close();
  }
  Run group;
  {
    auto log = open_log(std::filesystem::path(dir) / "group", 8192);
    const double cpu0 = process_cpu_seconds();
    group = pipelined(*log, threads, inflight, seconds, nhs, disclosures);
    group.cpu_seconds = process_cpu_seconds() - cpu0;
    group.batches = log->stats().batches;
    log->close();
    group.file_bytes = database_bytes(std::filesystem::path(dir) / "group");
    auto v = log->verify();
    if (!v || !v->ok) {
      std::cerr << "caregw-audit-bench: the chain does not verify after the run\n";
      return 1;
    }
  }
  Run latency;
  if (!group_only) {
    auto log = open_log(std::filesystem::path(dir) / "latency", 8192);
    latency = closed_loop(*log, threads, seconds, nhs, disclosures);
    latency.batches = log->stats().batches;
    log->close();
  }
  std::printf(
      "baseline, one commit per record (%d clients):  %9.0f appends/s  (%llu records, "
      "%llu commits)\n",
      threads, baseline.rate(), static_cast<unsigned long long>(baseline.records),
      static_cast<unsigned long long>(baseline.batches));
  std::printf(
      "group commit, %d threads x %d in flight:       %9.0f appends/s  (%llu records, "
      "%llu commits, %.0f records per commit, %.1f us CPU per append)\n",
      threads, inflight, group.rate(), static_cast<unsigned long long>(group.records),
      static_cast<unsigned long long>(group.batches),
      group.batches ? static_cast<double>(group.records) / static_cast<double>(group.batches) : 0,
      group.cpu_us_per_record());
  std::string lists = "two inline items";
  if (prepared_items > 0) {
    lists = std::to_string(prepared_items);
    lists.append("-item prepared lists, ")
        .append(std::to_string(prepared_lists))
        .append(" distinct");
  }
  std::printf("audit.db + WAL after the group-commit run:     %9.0f bytes per record (%s)\n",
              group.records
                  ? static_cast<double>(group.file_bytes) / static_cast<double>(group.records)
                  : 0,
              lists.c_str());
  std::printf("ratio group / baseline:                         %9.1fx\n",
              baseline.rate() > 0 ? group.rate() / baseline.rate() : 0);
  auto& l = latency.latency_us;
  const double p50 = percentile(l, 0.50), p99 = percentile(l, 0.99), mx = percentile(l, 1.0);
  auto& b = baseline.latency_us;
  const double bp50 = percentile(b, 0.50), bp99 = percentile(b, 0.99);
  std::printf(
      "latency of a durable append, %d clients each waiting: group commit p50 %.0f us, "
      "p99 %.0f us, max %.0f us (%.0f appends/s); one commit each: p50 %.0f us, p99 %.0f "
      "us\n",
      threads, p50, p99, mx, latency.rate(), bp50, bp99);
  if (!keep) {
    std::filesystem::remove_all(dir);
  }
  return 0;
}
