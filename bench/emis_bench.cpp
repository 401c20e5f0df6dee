// caregw-emis-bench: GP records/s through the emis adapter (parse + map + validate) for a
// 200-entry record, as an EMIS XML extract and as a GP Connect structured record, against a
// baseline measured in the same run: the bare parse of the same bytes (libxml2's tree for the
// XML, as a well-known parser's cost; for the JSON parse_json, and RapidJSON's own plain parse,
// which does not move when parse_json does). For the XML the extract's own reader alone
// (adapters/emis/xml_reader.hpp) is measured too. Rates are per core: runs per second of this
// thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other work on the machine does not count
// against them; the wall-clock rate is printed beside. Inputs: bench/emis_inputs.hpp
// (synthetic). Usage: caregw-emis-bench [seconds-per-case] [emis-xml|gpconnect]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>

#include <libxml/parser.h>
#include <rapidjson/document.h>

#include "adapters/emis/checked.hpp"
#include "adapters/emis/xml_reader.hpp"
#include "bench/emis_inputs.hpp"
#include "gateway/core/heap.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/validate.hpp"
#include "gateway/mapping/loader.hpp"

namespace {

using gw::bench::emis::kEntries;

/** Rate: one measured case: runs, wall seconds and this thread's CPU seconds. */
struct Rate {
  long runs = 0;
  double wall = 0;
  double cpu = 0;
  [[nodiscard]] double per_wall_second() const { return static_cast<double>(runs) / wall; }
  /** per_cpu_second: runs per second of one core's time (other work on the machine excluded). */
  [[nodiscard]] double per_cpu_second() const { return static_cast<double>(runs) / cpu; }
  [[nodiscard]] double cpu_us_per_run() const { return cpu * 1e6 / static_cast<double>(runs); }
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/** measure: runs `f` for `seconds` of wall time (after a short warm-up); runs == 0 when a run
 * failed. */
Rate measure(const std::function<bool()>& f, double seconds) {
  for (int i = 0; i < 20; ++i) {
    if (!f()) {
      return {};
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_seconds();
  Rate r;
  do {
    if (!f()) {
      return {};
    }
    ++r.runs;
    r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (r.wall < seconds);
  r.cpu = thread_cpu_seconds() - cpu_start;
  return r;
}

/** report: one input's line: the full translation against the bare parse of the same bytes. */
void report(const char* name, std::size_t bytes, const Rate& full, const Rate& base) {
  std::printf(
      "  %-9s %7.0f records/s per core (%6.0f us CPU each; %7.0f/s wall), %zu bytes; bare parse "
      "%7.0f/s per core; ratio %.3f\n",
      name, full.per_cpu_second(), full.cpu_us_per_run(), full.per_wall_second(), bytes,
      base.per_cpu_second(), full.per_cpu_second() / base.per_cpu_second());
}

/** rapidjson_plain_parse: RapidJSON's own DOM parse of the text (full-precision numbers, no
 * checks of caregw's): a baseline that does not move when parse_json does. */
bool rapidjson_plain_parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  return !d.HasParseError();
}

/** report_plain: the GP Connect translation against RapidJSON's plain parse of the same bytes. */
void report_plain(const Rate& full, const Rate& plain) {
  std::printf("  %-9s RapidJSON's plain parse %7.0f/s per core; ratio %.3f\n", "",
              plain.per_cpu_second(), full.per_cpu_second() / plain.per_cpu_second());
}

}  // namespace

int main(int argc, char** argv) {
  // The heap settings caregw serve starts with (gateway/core/heap.hpp), so the figures are its.
  (void)gw::configure_heap();
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const std::string only = argc > 2 ? argv[2] : "";
  if (!(seconds > 0) || (!only.empty() && only != "emis-xml" && only != "gpconnect")) {
    std::fprintf(stderr, "usage: caregw-emis-bench [seconds-per-case] [emis-xml|gpconnect]\n");
    return 2;
  }
  auto loaded = gw::mapping::load_directory(std::string(CAREGW_SOURCE_DIR) + "/mappings");
  if (!loaded.set) {
    std::fprintf(stderr, "caregw-emis-bench: mappings/ did not load\n");
    return 1;
  }
  gw::mapping::UnmappedTracker tracker;
  const gw::mapping::Mapper mapper(loaded.set, &tracker);
  const auto sender = *gw::OdsCode::parse("Z90001");
  const std::string xml = gw::bench::emis::extract();
  const std::string json = gw::bench::emis::gpconnect();

  // parse + map + validate: the translation with the UK Core checks of every resource it yields
  // (adapters/emis/checked.hpp: run on the documents the adapter builds, with the findings
  // check_uk_core(parse_json(json)) would give, as tests/unit/adapters/emis/checked_test.cpp
  // asserts); a run fails if any resource has an error.
  using Translate = gw::Result<gw::adapters::emis::CheckedTranslation> (*)(
      const gw::OdsCode&, std::string_view, const gw::mapping::Mapper&);
  auto full = [&](Translate translate, const std::string& body) {
    auto m = translate(sender, body, mapper);
    if (!m || m->issues.size() != m->message.resources.size()) {
      return false;
    }
    return std::none_of(m->issues.begin(), m->issues.end(),
                        [](const auto& issues) { return gw::fhir::has_errors(issues); });
  };
  std::printf("caregw-emis-bench: %d-entry GP record, one thread, %.1f s per case\n", kEntries,
              seconds);
  Rate xml_full, xml_base, json_full, json_base, json_plain;
  if (only.empty() || only == "emis-xml") {
    xml_base = measure(
        [&] {
          xmlDocPtr d = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                                      XML_PARSE_NONET);
          xmlFreeDoc(d);
          return d != nullptr;
        },
        seconds);
    xml_full =
        measure([&] { return full(gw::adapters::emis::translate_emis_xml_checked, xml); }, seconds);
    const Rate reader = measure(
        [&] { return static_cast<bool>(gw::adapters::emis::xml::read_xml(xml, 32)); }, seconds);
    if (xml_base.runs == 0 || xml_full.runs == 0 || reader.runs == 0) {
      std::fprintf(stderr, "caregw-emis-bench: an emis-xml run failed\n");
      return 1;
    }
    report("emis-xml", xml.size(), xml_full, xml_base);
    std::printf("  %-9s %7.0f/s per core: the extract's own XML reader alone (read_xml)\n", "",
                reader.per_cpu_second());
  }
  if (only.empty() || only == "gpconnect") {
    json_base = measure([&] { return static_cast<bool>(gw::fhir::parse_json(json)); }, seconds);
    json_plain = measure([&] { return rapidjson_plain_parse(json); }, seconds);
    json_full = measure([&] { return full(gw::adapters::emis::translate_gpconnect_checked, json); },
                        seconds);
    if (json_base.runs == 0 || json_plain.runs == 0 || json_full.runs == 0) {
      std::fprintf(stderr, "caregw-emis-bench: a gpconnect run failed\n");
      return 1;
    }
    report("gpconnect", json.size(), json_full, json_base);
    report_plain(json_full, json_plain);
  }
  if (!only.empty()) {
    return 0;
  }
  const double xml_rps = xml_full.per_cpu_second();
  const double json_rps = json_full.per_cpu_second();
  std::printf("  (%d entries per record: %.0f and %.0f entries/s per core)\n", kEntries,
              xml_rps * kEntries, json_rps * kEntries);
  std::printf(
      "emis_xml_rps=%.0f gpconnect_rps=%.0f emis_xml_wall_rps=%.0f gpconnect_wall_rps=%.0f "
      "emis_xml_cpu_us=%.0f gpconnect_cpu_us=%.0f emis_xml_ratio=%.4f gpconnect_ratio=%.4f "
      "gpconnect_rapidjson_ratio=%.4f target_rps=2000 target_met=%s\n",
      xml_rps, json_rps, xml_full.per_wall_second(), json_full.per_wall_second(),
      xml_full.cpu_us_per_run(), json_full.cpu_us_per_run(), xml_rps / xml_base.per_cpu_second(),
      json_rps / json_base.per_cpu_second(), json_rps / json_plain.per_cpu_second(),
      xml_rps >= 2000 && json_rps >= 2000 ? "yes" : "no");
  return 0;
}
