// caregw-mapping-bench: the cost of a mapping lookup against a plain std::map lookup of the same
// key, measured in the same run (bench/README.md, "caregw-mapping-bench").
//
// The shipped mappings/ are loaded once. Measured:
//   value map hit  (Mapper::value: snapshot + override check + base map)  vs  std::map::find
//   code table hit (Mapper::code: system aliases resolved, table key)     vs  std::map::find
//   unmapped code  (Mapper::value: native kept + counted under a mutex)
//   reload of the whole mappings/ directory (load_directory + validation)
// After the run, each lookup's CPU time over the baseline is printed. No timed assertions.
#include <cstdio>
#include <map>
#include <string>

#include <benchmark/benchmark.h>

#include "gateway/mapping/registry.hpp"

#ifndef CAREGW_SOURCE_DIR
#error "CAREGW_SOURCE_DIR must be defined (bench/CMakeLists.txt passes it)"
#endif

namespace {

using gw::mapping::Adapter;

const std::string kDir = std::string(CAREGW_SOURCE_DIR) + "/mappings";

struct Fixture {
  gw::mapping::UnmappedTracker tracker;
  gw::mapping::MappingRegistry registry{kDir, {}, &tracker};
  std::map<std::string, std::string, std::less<>> baseline{
      {"M", "male"}, {"F", "female"}, {"O", "other"}, {"U", "unknown"}, {"A", "other"}};
  Fixture() {
    if (!registry.reload().swapped) {
      std::fprintf(stderr, "caregw-mapping-bench: %s does not load\n", kDir.c_str());
      std::abort();
    }
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_BaselineStdMapFind(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    auto it = f.baseline.find(std::string_view("F"));
    benchmark::DoNotOptimize(it->second);
  }
}
BENCHMARK(BM_BaselineStdMapFind);

void BM_ValueMapHit(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    const auto m = f.registry.mapper();
    auto r = m.value(Adapter::kAcute, "Z9A99", "sex", "F");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ValueMapHit);

void BM_ValueMapHitWithOverride(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    const auto m = f.registry.mapper();
    auto r = m.value(Adapter::kAcute, "Z9A01", "sex", "2");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ValueMapHitWithOverride);

void BM_CodeTableHit(benchmark::State& state) {
  auto& f = fixture();
  const gw::mapping::Coding read{"read-v2", "G33..00", "Angina pectoris"};
  for (auto _ : state) {
    const auto m = f.registry.mapper();
    auto r = m.code(Adapter::kEmis, read, "snomed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_CodeTableHit);

void BM_UnmappedCodeKeptAndCounted(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    const auto m = f.registry.mapper();
    auto r = m.value(Adapter::kAcute, "Z9A99", "sex", "Q", "Not a v2 sex code");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_UnmappedCodeKeptAndCounted);

void BM_ReloadShippedMappings(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    auto r = f.registry.reload();
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ReloadShippedMappings)->Unit(benchmark::kMillisecond);

/** Ratios: collects each benchmark's real time per iteration and prints them over the baseline. */
class Ratios : public benchmark::ConsoleReporter {
public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      ns_[r.benchmark_name()] =
          r.GetAdjustedRealTime() * (r.time_unit == benchmark::kMillisecond ? 1e6 : 1.0);
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const double base = ns_["BM_BaselineStdMapFind"];
    if (base <= 0) {
      return;
    }
    std::printf("\nCPU time over the std::map::find baseline (%.1f ns):\n", base);
    for (const auto& [name, ns] : ns_) {
      if (name.find("Reload") != std::string::npos) {
        std::printf("  %-36s %10.2f ms\n", name.c_str(), ns / 1e6);
      } else if (name != "BM_BaselineStdMapFind") {
        std::printf("  %-36s %10.1f ns  %8.1fx\n", name.c_str(), ns, ns / base);
      }
    }
  }

private:
  std::map<std::string, double> ns_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Ratios reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
