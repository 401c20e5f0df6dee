// libFuzzer target for the HL7 v2 adapter: the parser, translate() (as one sender, without
// mappings), acknowledge() for every outcome, and the ADT renderer over what translated. Every
// ACK must parse back as HL7 with an MSA; every translated resource must be valid JSON; a
// rendered ADT must parse back. A violation aborts so the fuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "adapters/hl7v2/adapter.hpp"
#include "adapters/hl7v2/message.hpp"
#include "gateway/fhir/json.hpp"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "hl7v2_fuzz: %s\n", what);
    std::abort();
  }
}

void check_ack(const std::string& ack) {
  auto m = gw::adapters::hl7v2::Message::parse(ack);
  check(static_cast<bool>(m), "an ACK did not parse back");
  check(!m->get("MSA", 1).empty(), "an ACK has no MSA-1");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gw;  // NOLINT(google-build-using-namespace): a fuzz target's entry point
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const auto adapter = adapters::hl7v2::make_hl7v2_adapter();
  static const auto renderer = adapters::hl7v2::make_hl7v2_renderer();
  static const auto sender = *OdsCode::parse("Z9A01");
  const mapping::Mapper mapper(nullptr, nullptr);

  (void)adapter->message_id(input);
  auto t = adapter->translate(sender, input, mapper);
  ingest::AckRequest ack;
  ack.ack_id = "FUZZ-1";
  if (t) {
    for (const auto& r : t->resources) {
      check(r.deleted || static_cast<bool>(fhir::parse_json(r.json)),
            "a translated resource is not valid JSON");
    }
    ack.warnings = t->warnings;
    const ingest::RenderRequest req{&*t, sender, sender, "", "OUT-1", "2026-01-01T00:00:00Z"};
    if (auto out = renderer->render(req)) {
      check(static_cast<bool>(adapters::hl7v2::Message::parse(out->payload)),
            "a rendered ADT did not parse back");
    }
  } else {
    ack.code = ingest::AckRequest::Code::kRejected;
    ack.error = t.error();
  }
  check_ack(adapter->acknowledge(input, ack));
  ack.code = ingest::AckRequest::Code::kError;
  ack.error = make_error(Errc::kUnavailable, "PID-3.1: journal busy");
  check_ack(adapter->acknowledge(input, ack));
  return 0;
}
