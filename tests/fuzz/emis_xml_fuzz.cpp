// libFuzzer target for the EMIS XML extract adapter (adapters/emis/emis_xml.hpp and the
// "emis-xml" InboundAdapter) and its XML reader (adapters/emis/xml_reader.hpp). Beyond "never
// crash": a refused extract names where ("/..." first, adapter.hpp's location convention), an
// accepted one yields resources that are JSON objects with a resourceType and an id, and
// acknowledge() answers for any input; the reader's refusals name an element path and a line,
// and what it reads is within its depth bound, with names and text that are UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "adapters/emis/emis.hpp"
#include "adapters/emis/xml_reader.hpp"
#include "gateway/fhir/json.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "emis_xml_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

/** utf8: whether `s` is well-formed UTF-8 (RFC 3629). */
bool utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (len == 0 || b > 0xF4 || i + len > s.size()) {
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += len;
  }
  return true;
}

/** check_tree: every element under `n` (at `depth`) is within the bound and reads as UTF-8. */
void check_tree(const gw::adapters::emis::xml::XmlNode* n, std::size_t depth) {
  for (; n != nullptr; n = n->next) {
    if (depth > 32 || n->name.empty() || !utf8(n->name) || !utf8(n->text)) {
      fail("reader", "an element beyond the depth bound, unnamed, or not UTF-8");
    }
    check_tree(n->children, depth + 1);
  }
}

/** check_reader: the reader's own properties (xml_reader.hpp). */
void check_reader(std::string_view input) {
  auto doc = gw::adapters::emis::xml::read_xml(input, 32);
  if (!doc) {
    const std::string& d = doc.error().detail;
    if (!d.starts_with("/") || d.find("line ") == std::string::npos) {
      fail("reader refusal without an element path and a line", d);
    }
    return;
  }
  check_tree(doc->root(), 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto adapter = gw::adapters::emis::make_emis_xml_adapter();
  static const auto sender = *gw::OdsCode::parse("Z90001");
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_reader(input);
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
