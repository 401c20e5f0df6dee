// caregw-hl7v2-bench: HL7 v2 parse, and parse + map to FHIR R4 (the adapter's translate() with
// the shipped mappings, as Z9A01), messages/s on one thread for a typical ADT^A01, against a
// baseline measured in the same run: a memchr scan of the same bytes for segment and field
// separators (the least any parser must do). Target: >= 100,000 A01/s per core
// (bench/README.md, "caregw-hl7v2-bench").
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <time.h>

#include "adapters/hl7v2/adapter.hpp"
#include "adapters/hl7v2/message.hpp"
#include "gateway/core/heap.hpp"
#include "gateway/mapping/loader.hpp"

namespace {

/** kA01: an invented A01 in the shape of ../shared/reference/itk-hl7v2-adt-uk (EVN, PID with an
 * MRN and a test-range NHS number, PD1, NK1, PV1, PV2, ZU1), CR separated. */
const char* const kA01 =
    "MSH|^~\\&|PAS|Z9A01|CAREGW|Z9A00|20260301101500||ADT^A01^ADT_A01|CTL000001|P|2.4|1|"
    "20260301101500|||GBR|UNICODE|EN||iTKv1.0\r"
    "EVN||20260301101400|||C1234567^Consultant^Casey^^^Dr^^Z9A01|20260301101400\r"
    "PID|1||RZZ100200^^^RZZ^MR~9990000018^^^NHS^NH||TESTPATIENT^ALEX^B^^MX^^L|OTHERNAME^SAM|"
    "19800229|2|||1 Invented Row^Flat 2^Testtown^Testshire^ZZ99 3ZZ^GBR^H||020 7946 "
    "0000^PRN^PH||EN|"
    "M|C22|||||A|Testtown|||GBR||GBR|||||NSTS01\r"
    "PD1|||TEST PRACTICE^^Z90001|G9999998^Doctor^Demo^^^Dr^^^GMP\r"
    "NK1|1|TESTPATIENT^JO^^^MX^^L|1|1 Invented Row^Flat 2^Testtown^Testshire^ZZ99 3ZZ^GBR^H|"
    "020 7946 0001\r"
    "PV1|1|I|RZZ^AMU^B3^Z9A01|13|||C1234567^Consultant^Casey^^^Dr^^^GMC|G9999998^Doctor^Demo^^^Dr^^"
    "^"
    "GMP|C1234567^Consultant^Casey^^^Dr^^^GMC|GSURG||||19|||||V0042^^^VISITID||||||||||||||||||||||"
    "|"
    "||20260301100000\r"
    "PV2||||||||||||||||||||||||||||||||||||||C\r"
    "ZU1|20260301101200|1|C|20260301100000||500|||||||||20260301100000|20260301100000|02|Y|0\r";

volatile std::size_t g_sink = 0;

/** cpu_seconds: this thread's CPU time: a rate per core that other work on a shared machine
 * does not distort (wall-clock time would count the time the scheduler gave to others). */
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <class F>
double seconds_for(F&& f) {
  const double t0 = cpu_seconds();
  f();
  return cpu_seconds() - t0;
}

}  // namespace

int main(int argc, char** argv) {
  // The heap settings caregw serve starts with (gateway/core/heap.hpp), so the figures are its.
  (void)gw::configure_heap();
  const long n = argc > 1 ? std::atol(argv[1]) : 200'000;
  const std::string msg = kA01;
  auto loaded = gw::mapping::load_directory(std::string(CAREGW_SOURCE_DIR) + "/mappings", {});
  if (!loaded.set) {
    std::fprintf(stderr, "caregw-hl7v2-bench: the shipped mappings did not load\n");
    return 1;
  }
  const gw::mapping::Mapper mapper(loaded.set, nullptr);
  const auto adapter = gw::adapters::hl7v2::make_hl7v2_adapter();
  const auto sender = *gw::OdsCode::parse("Z9A01");
  if (auto t = adapter->translate(sender, msg, mapper); !t || t->resources.size() != 3) {
    std::fprintf(stderr, "caregw-hl7v2-bench: the A01 did not translate\n");
    return 1;
  }

  // Baseline: find every segment terminator and field separator with memchr.
  const double base = seconds_for([&] {
    for (long i = 0; i < n; ++i) {
      std::size_t count = 0;
      const char* p = msg.data();
      const char* end = p + msg.size();
      while ((p = static_cast<const char*>(
                  std::memchr(p, '|', static_cast<std::size_t>(end - p)))) != nullptr) {
        ++count;
        ++p;
      }
      p = msg.data();
      while ((p = static_cast<const char*>(
                  std::memchr(p, '\r', static_cast<std::size_t>(end - p)))) != nullptr) {
        ++count;
        ++p;
      }
      g_sink = g_sink + count;
    }
  });
  const double parse = seconds_for([&] {
    for (long i = 0; i < n; ++i) {
      auto m = gw::adapters::hl7v2::Message::parse(msg);
      g_sink = g_sink + m->segments().size();
    }
  });
  const double translate = seconds_for([&] {
    for (long i = 0; i < n; ++i) {
      auto t = adapter->translate(sender, msg, mapper);
      g_sink = g_sink + t->resources.size();
    }
  });
  const auto rate = [n](double s) { return static_cast<double>(n) / s; };
  std::printf("caregw-hl7v2-bench: %ld x ADT^A01 (%zu bytes, 3 resources), one thread, CPU time\n",
              n, msg.size());
  std::printf("baseline (memchr scan for | and CR) %12.0f messages/s\n", rate(base));
  std::printf("parse                               %12.0f messages/s  (%.1fx baseline time)\n",
              rate(parse), parse / base);
  std::printf("parse + map to FHIR R4 (translate)  %12.0f messages/s  (%.1fx baseline time)\n",
              rate(translate), translate / base);
  std::printf("target >= 100000 A01/s (parse + map): %s\n",
              rate(translate) >= 100000 ? "met" : "NOT met");
  return 0;
}
