// libFuzzer target for FHIR XML parsing (gateway/fhir/xml.hpp), both versions. Beyond "never
// crash", it checks a round-trip property: whatever xml_to_json accepts, json_to_xml must write
// and xml_to_json must read back to an equal JSON; a violation aborts so the fuzzer keeps it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gateway/fhir/json.hpp"
#include "gateway/fhir/xml.hpp"

namespace {

[[noreturn]] void fail(const char* what, gw::fhir::FhirVersion version, const std::string& detail) {
  std::fprintf(stderr, "fhir_xml_fuzz: %s (%s): %s\n", what,
               std::string(gw::fhir::version_name(version)).c_str(), detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (auto version : {gw::fhir::FhirVersion::kR4, gw::fhir::FhirVersion::kStu3}) {
    auto json = gw::fhir::xml_to_json(input, version);
    if (!json) {
      continue;  // refusing is fine; crashing, hanging or leaking is not
    }
    auto xml = gw::fhir::json_to_xml(*json, version);
    if (!xml) {
      fail("accepted XML could not be written back", version, xml.error().detail);
    }
    auto again = gw::fhir::xml_to_json(*xml, version);
    if (!again) {
      fail("written XML could not be read back", version, again.error().detail);
    }
    if (!gw::fhir::json_equal(*json, *again)) {
      fail("round trip changed the resource", version, gw::fhir::to_json(*json));
    }
  }
  return 0;
}
