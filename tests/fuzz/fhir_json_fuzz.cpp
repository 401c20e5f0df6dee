// libFuzzer target for FHIR JSON (gateway/fhir/json.hpp) and what reads it next: the STU3 -> R4
// converter, the UK Core checks and JSON -> XML. Whatever parse_json accepts must serialise and
// parse back equal, and parse_json (simdjson fast path) must answer what the reference path
// (RapidJSON alone) answers; a violation aborts so the fuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gateway/fhir/json.hpp"
#include "gateway/fhir/json_reference.hpp"
#include "gateway/fhir/stu3_to_r4.hpp"
#include "gateway/fhir/validate.hpp"
#include "gateway/fhir/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto json = gw::fhir::parse_json(input);
  auto reference = gw::fhir::detail::parse_json_reference(input);
  const bool same = json ? reference && gw::fhir::to_json(*json) == gw::fhir::to_json(*reference)
                         : !reference && reference.error().detail == json.error().detail;
  if (!same) {
    std::fprintf(stderr, "fhir_json_fuzz: parse_json and the reference parse disagree\n");
    std::abort();
  }
  if (!json) {
    return 0;  // refusing is fine; crashing, hanging or leaking is not
  }
  auto again = gw::fhir::parse_json(gw::fhir::to_json(*json));
  if (!again || !gw::fhir::json_equal(*json, *again)) {
    std::fprintf(stderr, "fhir_json_fuzz: serialised JSON did not parse back equal\n");
    std::abort();
  }
  (void)gw::fhir::check_uk_core(*json);
  (void)gw::fhir::json_to_xml(*json, gw::fhir::FhirVersion::kR4);
  if (auto r4 = gw::fhir::stu3_to_r4(*json)) {
    (void)gw::fhir::check_uk_core(r4->resource);
    (void)gw::fhir::json_to_xml(r4->resource, gw::fhir::FhirVersion::kR4);
  }
  return 0;
}
