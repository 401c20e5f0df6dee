// caregw-mpi-bench: the MPI store at scale. Inserts N synthetic persons (999 test-range NHS
// numbers, invented names) into a temporary SQLite file in batched transactions, then times
// lookups by NHS number, by local identifier, and blocking-key candidates (p50/p99/max).
#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include "gateway/core/clock.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"

namespace {

using gw::store::Demographics;
using gw::store::LocalId;
using gw::store::LocalIdType;
using gw::store::PersonId;
using Clock = std::chrono::steady_clock;

// Invented name parts: 30 x 30 = 900 surnames, 40 given names (no real-person data).
constexpr std::array<const char*, 30> kFamilyStart{
    "Ash", "Bram", "Cal", "Dun", "Elm", "Fen", "Gar",  "Hal", "Ire", "Jor",
    "Kel", "Lor",  "Mor", "Nor", "Orm", "Pen", "Quil", "Ros", "Sel", "Tor",
    "Ul",  "Ver",  "Wen", "Yar", "Zel", "Bel", "Cor",  "Dal", "Fal", "Gil"};
constexpr std::array<const char*, 30> kFamilyEnd{
    "by",   "croft", "dale", "field", "ford",  "gate",  "ham",  "holm", "ley",   "mere",
    "more", "ridge", "row",  "shaw",  "stead", "thorp", "ton",  "wick", "worth", "wood",
    "bank", "brook", "cott", "den",   "hurst", "lake",  "mont", "port", "stone", "well"};
constexpr std::array<const char*, 40> kGiven{
    "Aden", "Bryn", "Cade", "Dara", "Eilo", "Fenn", "Gale", "Hale", "Isla", "Jory",
    "Kael", "Lira", "Mael", "Nira", "Orin", "Pria", "Quin", "Rael", "Sela", "Tovi",
    "Ulla", "Vian", "Wren", "Xara", "Yoel", "Zuri", "Arlo", "Bela", "Cira", "Dov",
    "Esme", "Faro", "Gwyn", "Hani", "Ivo",  "Jada", "Kit",  "Luka", "Mira", "Noor"};
constexpr std::array<LocalIdType, 5> kTypes{
    LocalIdType::kEmisPatientGuid, LocalIdType::kHospitalMrn, LocalIdType::kMentalHealthId,
    LocalIdType::kLasPersonId, LocalIdType::kAmbulancePatientRef};
constexpr std::array<const char*, 5> kSources{"Y90001", "RZZ01", "RZY01", "Z90002", "RZX01"};

/** Synthetic: person i's identifiers and demographics, recomputable for lookups. */
struct Synthetic {
  static std::string nine_digits(std::int64_t i) { return std::to_string(999000000 + i); }

  /** nhs: the 999-range NHS number of person i, if its nine digits have a check digit. */
  static std::optional<gw::NhsNumber> nhs(std::int64_t i) {
    const auto nine = nine_digits(i);
    const int check = gw::NhsNumber::check_digit(nine);
    if (check < 0) {
      return std::nullopt;
    }
    auto n = gw::NhsNumber::parse(nine + std::to_string(check));
    if (!n) {
      return std::nullopt;  // e.g. ten identical digits
    }
    return *n;
  }

  static LocalId local_id(std::int64_t i) {
    const auto k = static_cast<std::size_t>(i % 5);
    char value[32];
    std::snprintf(value, sizeof(value), "L%09" PRId64, i);
    return LocalId{gw::OdsCode::parse(kSources[k]).value(), kTypes[k], value};
  }

  static std::string family(std::int64_t i) {
    const auto h = static_cast<std::size_t>((i * 2654435761LL) % 900);
    return std::string(kFamilyStart[h / 30]) + kFamilyEnd[h % 30];
  }

  static std::chrono::year_month_day born(std::int64_t i) {
    const auto days = static_cast<int>((i * 7919) % (std::int64_t{90} * 365));
    return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::year{1930} / 1 / 1} +
                                       std::chrono::days{days}};
  }

  static std::string postcode(std::int64_t i) {
    return "ZX" + std::to_string(i % 200) + " " + std::to_string(i % 10) + "AA";
  }

  static std::vector<std::string> keys(std::int64_t i) {
    const auto b = born(i);
    char date[16];
    std::snprintf(date, sizeof(date), "%04d-%02u-%02u", static_cast<int>(b.year()),
                  static_cast<unsigned>(b.month()), static_cast<unsigned>(b.day()));
    std::string family_upper = family(i);
    std::transform(family_upper.begin(), family_upper.end(), family_upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return {"fy:" + family_upper + "|" + std::to_string(static_cast<int>(b.year())),
            "pd:ZX" + std::to_string(i % 200) + "|" + date};
  }

  static Demographics demographics(std::int64_t i) {
    Demographics d;
    d.family = family(i);
    d.given = {kGiven[static_cast<std::size_t>(i % 40)]};
    d.birth_date = born(i);
    d.gender = i % 2 == 0 ? gw::store::Gender::kFemale : gw::store::Gender::kMale;
    d.address_lines = {std::to_string(i % 300 + 1) + " Example Road", "Testtown"};
    d.postcode = postcode(i);
    return d;
  }
};

struct Stats {
  double p50_us, p99_us, max_us, mean_us;
};

Stats summarise(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double v : us) {
    sum += v;
  }
  const auto at = [&](double q) {
    return us[std::min(us.size() - 1,
                       static_cast<std::size_t>(q * static_cast<double>(us.size())))];
  };
  return Stats{at(0.50), at(0.99), us.back(), sum / static_cast<double>(us.size())};
}

void print(const char* what, const Stats& s, std::size_t n) {
  std::printf("%-28s n=%zu  p50=%.1f us  p99=%.1f us  max=%.1f us  mean=%.1f us\n", what, n,
              s.p50_us, s.p99_us, s.max_us, s.mean_us);
}

template <class F>
std::vector<double> time_each(std::size_t n, F&& f) {
  std::vector<double> us;
  us.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    const auto t0 = Clock::now();
    f(k);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return us;
}

/** fail: ends the run (main reports it); a benchmark has no caller to hand the error to. */
[[noreturn]] void fail(const char* what, const gw::Error& e) {
  throw std::runtime_error(std::string(what) + ": " + e.detail);
}

int run(int argc, char** argv) {
  std::int64_t persons = 1'000'000;
  std::size_t lookups = 100'000;
  std::int64_t batch = 10'000;
  std::string dir;
  bool keep = false;
  CLI::App app{"caregw-mpi-bench: MPI store inserts and lookups on SQLite"};
  app.add_option("--persons", persons, "synthetic persons to insert (at most 1,000,000)")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--lookups", lookups, "lookups of each kind");
  app.add_option("--batch", batch, "persons per transaction")->check(CLI::Range(1, 1'000'000));
  app.add_option("--dir", dir, "where to put the database (default: a new temporary folder)");
  app.add_flag("--keep", keep, "keep the database afterwards");
  CLI11_PARSE(app, argc, argv);

  if (dir.empty()) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "caregw-mpi-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
  }
  gw::SystemClock clock;
  auto opened = gw::store::sqlite::SqliteMpiRepository::open_in_data_dir(dir, clock);
  if (!opened) {
    fail("open", opened.error());
  }
  auto& repo = **opened;
  std::printf("caregw-mpi-bench: SQLite %s, %" PRId64 " persons, batches of %" PRId64 ", in %s\n",
              std::string(gw::store::sqlite::sqlite_library_version()).c_str(), persons, batch,
              dir.c_str());

  // --- insert ---------------------------------------------------------------------------------
  std::int64_t with_nhs = 0;
  const auto insert_start = Clock::now();
  const auto ods = gw::OdsCode::parse("Y90001").value();
  for (std::int64_t first = 0; first < persons; first += batch) {
    auto tx = repo.begin();
    if (!tx) {
      fail("begin", tx.error());
    }
    for (std::int64_t i = first; i < std::min(persons, first + batch); ++i) {
      gw::store::NewPerson p{.source = ods, .message_id = "bench"};
      p.nhs_number = Synthetic::nhs(i);
      if (p.nhs_number) {
        p.verification = gw::VerificationStatus::kPresentVerified;
        ++with_nhs;
      }
      auto id = (*tx)->create_person(p);
      if (!id) {
        fail("create_person", id.error());
      }
      auto link = (*tx)->link_local_identifier(
          Synthetic::local_id(i), *id, gw::store::LinkProvenance::exact_identifier("bench"));
      if (!link) {
        fail("link_local_identifier", link.error());
      }
      auto demo = (*tx)->add_demographics(*id, Synthetic::demographics(i),
                                          gw::store::DemographicsSource{.source = ods});
      if (!demo) {
        fail("add_demographics", demo.error());
      }
      if (auto keys = (*tx)->add_blocking_keys(*id, Synthetic::keys(i)); !keys) {
        fail("add_blocking_keys", keys.error());
      }
    }
    if (auto c = (*tx)->commit(); !c) {
      fail("commit", c.error());
    }
  }
  const double insert_s = std::chrono::duration<double>(Clock::now() - insert_start).count();
  std::printf("insert: %" PRId64 " persons (%" PRId64
              " with an NHS number) in %.1f s = %.0f persons/s\n",
              persons, with_nhs, insert_s, static_cast<double>(persons) / insert_s);

  // --- lookups --------------------------------------------------------------------------------
  std::mt19937_64 rng(20240301);
  std::uniform_int_distribution<std::int64_t> pick(0, persons - 1);
  std::vector<std::int64_t> targets(lookups);
  std::vector<gw::NhsNumber> numbers;
  numbers.reserve(lookups);
  while (numbers.size() < lookups) {
    if (auto n = Synthetic::nhs(pick(rng))) {
      numbers.push_back(*n);
    }
  }
  for (auto& t : targets) {
    t = pick(rng);
  }
  std::size_t misses = 0;
  auto by_nhs = time_each(lookups, [&](std::size_t k) {
    auto r = repo.find_by_nhs_number(numbers[k]);
    if (!r || !*r) {
      ++misses;
    }
  });
  std::vector<LocalId> locals;
  locals.reserve(lookups);
  for (auto t : targets) {
    locals.push_back(Synthetic::local_id(t));
  }
  auto by_local = time_each(lookups, [&](std::size_t k) {
    auto r = repo.find_by_local_id(locals[k]);
    if (!r || !*r) {
      ++misses;
    }
  });
  std::vector<std::vector<std::string>> key_sets;
  key_sets.reserve(lookups);
  for (auto t : targets) {
    key_sets.push_back(Synthetic::keys(t));
  }
  std::size_t candidates_total = 0;
  auto by_keys = time_each(lookups, [&](std::size_t k) {
    auto r = repo.candidates(key_sets[k], 20);
    if (!r || r->empty()) {
      ++misses;
    } else {
      candidates_total += r->size();
    }
  });
  auto views = time_each(lookups / 10, [&](std::size_t k) {
    auto r = repo.person_view(PersonId{targets[k] + 1});
    if (!r || !*r) {
      ++misses;
    }
  });

  print("find_by_nhs_number", summarise(by_nhs), by_nhs.size());
  print("find_by_local_id", summarise(by_local), by_local.size());
  print("candidates (2 keys, <=20)", summarise(by_keys), by_keys.size());
  print("person_view", summarise(views), views.size());
  std::printf("candidates per call: %.1f on average; misses: %zu\n",
              static_cast<double>(candidates_total) / static_cast<double>(lookups), misses);

  std::uintmax_t bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(dir) / "db")) {
    bytes += e.file_size();
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("database: %.0f MiB on disk; peak RSS %.0f MiB; total %.1f s\n",
              static_cast<double>(bytes) / (1024.0 * 1024.0),
              static_cast<double>(usage.ru_maxrss) / 1024.0,
              std::chrono::duration<double>(Clock::now() - insert_start).count());

  opened->reset();
  if (!keep) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return misses == 0 ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "caregw-mpi-bench: %s\n", e.what());
    return 1;
  }
}
