// caregw-fhir-bench: FHIR format throughput of caregw against the libraries it is built on.
//
// Measured on a 100-resource FHIR R4 Bundle (type collection) assembled at start-up from the UK
// Core R4 examples in ../shared/reference/ukcore-r4/*.xml (every non-Bundle example that
// converts both ways, 100 of them picked evenly across the sorted file list, or cycled when fewer
// convert). Targets (see bench/fhir_bench.md):
//   JSON round trip (fhir::parse_json + fhir::to_json)  >= 0.5x raw RapidJSON Parse + Writer
//   FHIR XML -> JSON (fhir::xml_to_json, R4)            >= 0.3x raw libxml2 xmlReadMemory
// JSON -> XML and STU3 -> R4 (GP Connect meds_response.json) are measured for information.
// After the run, the caregw / ceiling ratios are printed. No timed assertions: it is a benchmark.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include "gateway/fhir/json.hpp"
#include "gateway/fhir/schema.hpp"
#include "gateway/fhir/stu3_to_r4.hpp"
#include "gateway/fhir/xml.hpp"

#ifndef CAREGW_SOURCE_DIR
#error "CAREGW_SOURCE_DIR must be defined (bench/CMakeLists.txt passes it)"
#endif

namespace {

namespace fs = std::filesystem;
namespace fhir = gw::fhir;

constexpr std::size_t kBundleEntries = 100;
constexpr const char* kUkCoreDir = CAREGW_SOURCE_DIR "/../shared/reference/ukcore-r4";
constexpr const char* kStu3File =
    CAREGW_SOURCE_DIR "/../shared/reference/gpconnect-structured/meds_response.json";

// The inputs, built once in main() before any benchmark runs.
struct Inputs {
  std::string bundle_json;  // compact JSON (as fhir::to_json writes it)
  std::string bundle_xml;   // FHIR XML (as fhir::json_to_xml writes it, indented)
  fhir::Json bundle_doc;    // the parsed Bundle, for json_to_xml
  std::int64_t resources = 0;
  std::vector<std::string> used_files;     // in entry order (repeats when cycling)
  std::vector<std::string> skipped_files;  // non-Bundle examples that did not convert
  std::size_t distinct_files = 0;
  std::size_t converted_files = 0;  // non-Bundle examples that convert both ways

  std::string stu3_json;
  fhir::Json stu3_doc;
  std::int64_t stu3_resources = 0;
};

Inputs& inputs() {
  static Inputs in;
  return in;
}

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) {
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::string_view string_member(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) {
    return {};
  }
  return {it->value.GetString(), it->value.GetStringLength()};
}

/** entry_id: a unique FHIR id (<= 64 chars of [A-Za-z0-9-.]) for entry n made from `base`. */
std::string entry_id(std::size_t n, std::string_view base) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "e%03zu-", n);
  std::string id = prefix;
  id.append(base.substr(0, 64 - id.size()));
  return id;
}

bool build_r4_bundle(std::string& problem) {
  Inputs& in = inputs();
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kUkCoreDir, ec)) {
    if (e.path().extension() == ".xml") {
      files.push_back(e.path());
    }
  }
  if (ec || files.empty()) {
    problem = std::string("no UK Core examples in ") + kUkCoreDir;
    return false;
  }
  std::sort(files.begin(), files.end());

  struct Example {
    std::string file;
    fhir::Json doc;
  };
  std::vector<Example> examples;
  for (const auto& p : files) {
    auto text = read_file(p);
    if (!text) {
      in.skipped_files.push_back(p.filename().string() + " (unreadable)");
      continue;
    }
    auto r = fhir::xml_to_json(*text, fhir::FhirVersion::kR4);
    if (!r) {
      in.skipped_files.push_back(p.filename().string() + " (xml_to_json: " + r.error().detail +
                                 ")");
      continue;
    }
    if (string_member(*r, "resourceType") == "Bundle") {
      continue;  // Bundles are not nested in the test Bundle
    }
    // Only examples that also convert back to XML, so the XML form of the Bundle exists.
    if (auto back = fhir::json_to_xml(*r, fhir::FhirVersion::kR4); !back) {
      in.skipped_files.push_back(p.filename().string() + " (json_to_xml: " + back.error().detail +
                                 ")");
      continue;
    }
    examples.push_back({p.filename().string(), std::move(*r)});
  }
  if (examples.empty()) {
    problem = "no UK Core example converted";
    return false;
  }
  in.distinct_files = std::min(examples.size(), kBundleEntries);
  in.converted_files = examples.size();

  fhir::Json& bundle = in.bundle_doc;
  auto& a = bundle.GetAllocator();
  bundle.SetObject();
  bundle.AddMember("resourceType", "Bundle", a);
  bundle.AddMember("id", "caregw-fhir-bench-r4", a);
  bundle.AddMember("type", "collection", a);
  rapidjson::Value entries(rapidjson::kArrayType);
  for (std::size_t n = 0; n < kBundleEntries; ++n) {
    // With at least 100 examples, pick 100 spread over the sorted list so that every resource
    // type is represented; with fewer, cycle through them.
    const std::size_t k = examples.size() >= kBundleEntries ? n * examples.size() / kBundleEntries
                                                            : n % examples.size();
    const Example& ex = examples[k];
    rapidjson::Value resource(ex.doc, a);  // deep copy into the Bundle's allocator
    const std::string type(string_member(resource, "resourceType"));
    const std::string id =
        entry_id(n, string_member(resource, "id").empty() ? std::string_view(type)
                                                          : string_member(resource, "id"));
    rapidjson::Value id_value(id.c_str(), static_cast<rapidjson::SizeType>(id.size()), a);
    if (auto it = resource.FindMember("id"); it != resource.MemberEnd()) {
      it->value = id_value;
    } else {
      resource.AddMember("id", id_value, a);
    }
    const std::string full_url = "https://fhir.caregw.example/R4/" + type + "/" + id;
    rapidjson::Value entry(rapidjson::kObjectType);
    entry.AddMember(
        "fullUrl",
        rapidjson::Value(full_url.c_str(), static_cast<rapidjson::SizeType>(full_url.size()), a),
        a);
    entry.AddMember("resource", resource, a);
    entries.PushBack(entry, a);
    in.used_files.push_back(ex.file);
  }
  bundle.AddMember("entry", entries, a);
  in.resources = static_cast<std::int64_t>(kBundleEntries);

  in.bundle_json = fhir::to_json(bundle);
  auto xml = fhir::json_to_xml(bundle, fhir::FhirVersion::kR4);
  if (!xml) {
    problem = "json_to_xml of the Bundle failed: " + xml.error().detail;
    return false;
  }
  in.bundle_xml = std::move(*xml);

  // The inputs must go through caregw's own path, or the timings mean nothing.
  auto parsed = fhir::parse_json(in.bundle_json);
  if (!parsed) {
    problem = "parse_json of the Bundle failed: " + parsed.error().detail;
    return false;
  }
  auto from_xml = fhir::xml_to_json(in.bundle_xml, fhir::FhirVersion::kR4);
  if (!from_xml) {
    problem = "xml_to_json of the Bundle failed: " + from_xml.error().detail;
    return false;
  }
  if (!fhir::json_equal(*from_xml, bundle)) {
    problem = "the Bundle does not survive JSON -> XML -> JSON";
    return false;
  }
  return true;
}

bool build_stu3_input(std::string& problem) {
  Inputs& in = inputs();
  auto text = read_file(kStu3File);
  if (!text) {
    problem = std::string("cannot read ") + kStu3File;
    return false;
  }
  auto doc = fhir::parse_json(*text);
  if (!doc) {
    problem = "meds_response.json: " + doc.error().detail;
    return false;
  }
  auto entries = doc->FindMember("entry");
  in.stu3_resources = entries != doc->MemberEnd() && entries->value.IsArray()
                          ? static_cast<std::int64_t>(entries->value.Size())
                          : 1;
  if (auto r = fhir::stu3_to_r4(*doc); !r) {
    problem = "stu3_to_r4 of meds_response.json failed: " + r.error().detail;
    return false;
  }
  in.stu3_json = std::move(*text);
  in.stu3_doc = std::move(*doc);
  return true;
}

void set_counters(benchmark::State& state, std::int64_t resources, std::size_t bytes) {
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["resources/s"] =
      benchmark::Counter(iterations * static_cast<double>(resources), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations() * resources);
}

// ---- 1. JSON round trip -----------------------------------------------------------------------

void BM_JsonRoundTrip_Caregw(benchmark::State& state) {
  const Inputs& in = inputs();
  for (auto _ : state) {
    auto doc = fhir::parse_json(in.bundle_json);
    if (!doc) {
      state.SkipWithError("parse_json failed");
      break;
    }
    std::string out = fhir::to_json(*doc);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, in.resources, in.bundle_json.size());
}

template <unsigned kFlags>
void raw_rapidjson_round_trip(benchmark::State& state) {
  const Inputs& in = inputs();
  for (auto _ : state) {
    rapidjson::Document doc;
    doc.Parse<kFlags>(in.bundle_json.data(), in.bundle_json.size());
    if (doc.HasParseError()) {
      state.SkipWithError("RapidJSON parse failed");
      break;
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    doc.Accept(w);
    std::string out(buf.GetString(), buf.GetSize());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, in.resources, in.bundle_json.size());
}

// The ceiling: RapidJSON's DOM parse with its default flags, then Writer, no SAX pre-pass.
void BM_JsonRoundTrip_RawRapidJSON(benchmark::State& state) {
  raw_rapidjson_round_trip<rapidjson::kParseDefaultFlags>(state);
}

// For information: the same, with the flags fhir::parse_json uses (UTF-8 validation, iterative,
// full-precision numbers), which separates the cost of the flags from that of the pre-pass.
void BM_JsonRoundTrip_RawRapidJSON_CaregwFlags(benchmark::State& state) {
  raw_rapidjson_round_trip<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag |
                           rapidjson::kParseFullPrecisionFlag>(state);
}

// For information: parse only, to split the round trip.
void BM_JsonParse_Caregw(benchmark::State& state) {
  const Inputs& in = inputs();
  for (auto _ : state) {
    auto doc = fhir::parse_json(in.bundle_json);
    if (!doc) {
      state.SkipWithError("parse_json failed");
      break;
    }
    benchmark::DoNotOptimize(doc->MemberCount());
    benchmark::ClobberMemory();
  }
  set_counters(state, in.resources, in.bundle_json.size());
}

// ---- 2. FHIR XML -> JSON ------------------------------------------------------------------------

void BM_XmlToJson_Caregw(benchmark::State& state) {
  const Inputs& in = inputs();
  for (auto _ : state) {
    auto doc = fhir::xml_to_json(in.bundle_xml, fhir::FhirVersion::kR4);
    if (!doc) {
      state.SkipWithError("xml_to_json failed");
      break;
    }
    benchmark::DoNotOptimize(doc->MemberCount());
    benchmark::ClobberMemory();
  }
  set_counters(state, in.resources, in.bundle_xml.size());
}

void raw_libxml2_parse(benchmark::State& state, int options) {
  const Inputs& in = inputs();
  for (auto _ : state) {
    xmlDoc* doc = xmlReadMemory(in.bundle_xml.data(), static_cast<int>(in.bundle_xml.size()),
                                nullptr, nullptr, options);
    if (doc == nullptr) {
      state.SkipWithError("xmlReadMemory failed");
      break;
    }
    benchmark::DoNotOptimize(xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
  }
  set_counters(state, in.resources, in.bundle_xml.size());
}

// The ceiling: libxml2's tree parse of the same bytes, no conversion.
void BM_XmlParse_RawLibxml2(benchmark::State& state) { raw_libxml2_parse(state, XML_PARSE_NONET); }

// For information: with the options caregw's parse_document sets (XML_PARSE_COMPACT keeps short
// text in the node, which saves allocations).
void BM_XmlParse_RawLibxml2_CaregwOptions(benchmark::State& state) {
  int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | XML_PARSE_COMPACT |
                XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC;
#if LIBXML_VERSION >= 21300
  options |= XML_PARSE_NO_XXE;
#endif
  raw_libxml2_parse(state, options);
}

// ---- 3. For information: JSON -> XML, STU3 -> R4 ------------------------------------------------

void BM_JsonToXml_Caregw(benchmark::State& state) {
  const Inputs& in = inputs();
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto xml = fhir::json_to_xml(in.bundle_doc, fhir::FhirVersion::kR4);
    if (!xml) {
      state.SkipWithError("json_to_xml failed");
      break;
    }
    bytes = xml->size();
    benchmark::DoNotOptimize(xml->data());
    benchmark::ClobberMemory();
  }
  set_counters(state, in.resources, bytes);  // bytes of XML written
}

void BM_Stu3ToR4_Caregw_GPConnectMeds(benchmark::State& state) {
  const Inputs& in = inputs();
  for (auto _ : state) {
    auto r4 = fhir::stu3_to_r4(in.stu3_doc);
    if (!r4) {
      state.SkipWithError("stu3_to_r4 failed");
      break;
    }
    benchmark::DoNotOptimize(r4->resource.MemberCount());
    benchmark::ClobberMemory();
  }
  set_counters(state, in.stu3_resources, in.stu3_json.size());  // bytes of STU3 JSON
}

BENCHMARK(BM_JsonRoundTrip_Caregw)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_JsonRoundTrip_RawRapidJSON)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_JsonRoundTrip_RawRapidJSON_CaregwFlags)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_JsonParse_Caregw)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_XmlToJson_Caregw)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_XmlParse_RawLibxml2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_XmlParse_RawLibxml2_CaregwOptions)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_JsonToXml_Caregw)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Stu3ToR4_Caregw_GPConnectMeds)->Unit(benchmark::kMicrosecond);

/**
 * CapturingReporter: the usual console output, keeping each benchmark's resources/s so the
 * ratios can be printed at the end. With --benchmark_repetitions, the median aggregate is used.
 */
class CapturingReporter : public benchmark::ConsoleReporter {
public:
  explicit CapturingReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) {
        continue;
      }
      auto c = run.counters.find("resources/s");
      if (c == run.counters.end()) {
        continue;
      }
      const std::string name = run.run_name.function_name;
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") {
          median_[name] = c->second.value;
        }
      } else {
        last_[name] = c->second.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  /** rate: resources/s of a benchmark, or nullopt when it did not run (filtered or failed). */
  [[nodiscard]] std::optional<double> rate(const std::string& name) const {
    if (auto it = median_.find(name); it != median_.end()) {
      return it->second;
    }
    if (auto it = last_.find(name); it != last_.end()) {
      return it->second;
    }
    return std::nullopt;
  }

private:
  std::map<std::string, double> median_;
  std::map<std::string, double> last_;
};

/**
 * console_options: what --benchmark_color asks for (the library cannot tell a custom reporter):
 * colour for "true"/"yes"/"1"/"on", none for "false"/"no"/"0"/"off", and for "auto" (the default)
 * colour only when stdout is a terminal. Counters are always shown as columns.
 */
benchmark::ConsoleReporter::OutputOptions console_options(const std::vector<char*>& args) {
  std::string color = "auto";
  for (const char* a : args) {
    std::string_view arg = a == nullptr ? std::string_view() : std::string_view(a);
    if (arg.starts_with("--benchmark_color=")) {
      color = std::string(arg.substr(arg.find('=') + 1));
    }
  }
  const bool on = color == "auto"
                      ? isatty(STDOUT_FILENO) == 1
                      : (color == "true" || color == "yes" || color == "1" || color == "on");
  return on ? benchmark::ConsoleReporter::OO_ColorTabular : benchmark::ConsoleReporter::OO_Tabular;
}

void print_ratio(const CapturingReporter& rep, const char* label, const char* caregw,
                 const char* ceiling, double target) {
  auto a = rep.rate(caregw);
  auto b = rep.rate(ceiling);
  if (!a || !b || *b <= 0) {
    std::printf("ratio %s = n/a (needs %s and %s)\n", label, caregw, ceiling);
    return;
  }
  const double r = *a / *b;
  std::printf("ratio %s = %.2f (target >= %.1f) %s  [%s %.0f resources/s / %s %.0f resources/s]\n",
              label, r, target, r >= target ? "met" : "MISSED", caregw, *a, ceiling, *b);
}

void print_inputs() {
  const Inputs& in = inputs();
  std::printf("caregw-fhir-bench inputs\n");
  std::printf("  R4 Bundle (collection, %lld entries with fullUrls) from %s/*.xml:\n",
              static_cast<long long>(in.resources), kUkCoreDir);
  std::printf("    %zu distinct examples, %s the %zu non-Bundle examples that convert both ways\n",
              in.distinct_files,
              in.converted_files >= kBundleEntries ? "picked evenly over" : "cycling through",
              in.converted_files);
  std::printf("    JSON %zu bytes (compact), XML %zu bytes (indented)\n", in.bundle_json.size(),
              in.bundle_xml.size());
  std::map<std::string, int> counts;
  for (const auto& f : in.used_files) {
    ++counts[f];
  }
  std::printf("    entries from:");
  int col = 0;
  for (const auto& [f, n] : counts) {
    const std::string times = n > 1 ? " x" + std::to_string(n) : std::string();
    std::printf("%s%s%s", col++ % 2 == 0 ? "\n      " : "  ", f.c_str(), times.c_str());
  }
  std::printf("\n");
  if (!in.skipped_files.empty()) {
    std::printf("    skipped (did not convert):\n");
    for (const auto& s : in.skipped_files) {
      std::printf("      %s\n", s.c_str());
    }
  }
  std::printf("  STU3 Bundle (%lld entries, %zu bytes) for stu3_to_r4: %s\n",
              static_cast<long long>(in.stu3_resources), in.stu3_json.size(), kStu3File);
  std::printf("  libxml2 %s\n\n", LIBXML_DOTTED_VERSION);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  // The machine is shared, so by default each benchmark runs 5 times, interleaved at random
  // with the others (load from elsewhere then falls on all of them alike), the console shows
  // the aggregates only (--benchmark_out still gets every run), and the ratios use the medians.
  // Passing --benchmark_repetitions, --benchmark_enable_random_interleaving or
  // --benchmark_display_aggregates_only overrides the default.
  std::vector<char*> args(argv, argv + argc);
  auto given = [&](std::string_view flag) {
    return std::any_of(args.begin() + 1, args.end(),
                       [&](const char* a) { return std::string_view(a).starts_with(flag); });
  };
  std::string reps = "--benchmark_repetitions=5";
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  if (!given("--benchmark_repetitions")) {
    args.push_back(reps.data());
  }
  if (!given("--benchmark_enable_random_interleaving")) {
    args.push_back(interleave.data());
  }
  std::string aggregates = "--benchmark_display_aggregates_only=true";  // the console only
  if (!given("--benchmark_display_aggregates_only") && !given("--benchmark_report_aggregates")) {
    args.push_back(aggregates.data());
  }
  const auto options = console_options(args);
  args.push_back(nullptr);
  int count = static_cast<int>(args.size()) - 1;
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) {
    return 1;
  }
  xmlInitParser();
  std::string problem;
  if (!build_r4_bundle(problem) || !build_stu3_input(problem)) {
    std::fprintf(stderr, "caregw-fhir-bench: cannot build the inputs: %s\n", problem.c_str());
    return 1;
  }
  print_inputs();

  CapturingReporter reporter(options);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::printf(
      "\nratios (caregw / ceiling, resources/s; same bytes in, so bytes/s give the same)\n");
  print_ratio(reporter, "json_roundtrip", "BM_JsonRoundTrip_Caregw",
              "BM_JsonRoundTrip_RawRapidJSON", 0.5);
  print_ratio(reporter, "xml_to_json", "BM_XmlToJson_Caregw", "BM_XmlParse_RawLibxml2", 0.3);
  std::printf("for information:\n");
  print_ratio(reporter, "json_roundtrip_vs_same_flags", "BM_JsonRoundTrip_Caregw",
              "BM_JsonRoundTrip_RawRapidJSON_CaregwFlags", 0.5);
  print_ratio(reporter, "xml_to_json_vs_caregw_options", "BM_XmlToJson_Caregw",
              "BM_XmlParse_RawLibxml2_CaregwOptions", 0.3);
  xmlCleanupParser();
  return 0;
}
