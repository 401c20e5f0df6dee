// libFuzzer target for the EMIS XML extract adapter (adapters/emis/emis_xml.hpp and the
// "emis-xml" InboundAdapter). Beyond "never crash": a refused extract names where
// ("/..." first, adapter.hpp's location convention), an accepted one yields resources that are
// JSON objects with a resourceType and an id, and acknowledge() answers for any input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "adapters/emis/emis.hpp"
#include "gateway/fhir/json.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "emis_xml_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto adapter = gw::adapters::emis::make_emis_xml_adapter();
  static const auto sender = *gw::OdsCode::parse("Z90001");
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const gw::mapping::Mapper mapper(nullptr, nullptr);
  auto m = adapter->translate(sender, input, mapper);
  gw::ingest::AckRequest ack;
  if (!m) {
    if (m.error().code != gw::Errc::kInternal && !m.error().detail.starts_with("/")) {
      fail("error without a location", m.error().detail);
    }
    ack.code = gw::ingest::AckRequest::Code::kRejected;
    ack.error = m.error();
  } else {
    for (const auto& r : m->resources) {
      auto j = gw::fhir::parse_json(r.json);
      if (!j || !j->IsObject() || !j->HasMember("resourceType") || !j->HasMember("id")) {
        fail("resource is not FHIR JSON", r.resource_type);
      }
    }
  }
  (void)adapter->message_id(input);
  if (!adapter->acknowledge(input, ack).starts_with("<?xml")) {
    fail("acknowledgement", "not XML");
  }
  return 0;
}
