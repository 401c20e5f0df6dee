// libFuzzer target for the ITK3 adapter (adapters/itk/itk3_adapter.hpp): the ITK3 checks, STU3
// to R4 and the response message on every acknowledgement path. Whatever the input, the response
// must be JSON the gateway's own parser reads (a sender must always get a readable answer); a
// violation aborts so the fuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "adapters/itk/itk3_adapter.hpp"
#include "gateway/fhir/json.hpp"

namespace {

void check_reply(const std::string& reply, const char* what) {
  if (!gw::fhir::parse_json(reply)) {
    std::fprintf(stderr, "itk3_message_fuzz: the %s response is not JSON\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto adapter = gw::adapters::itk::make_itk3_adapter();
  static const gw::OdsCode sender = *gw::OdsCode::parse("Z9A01");
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const gw::mapping::Mapper mapper(nullptr, nullptr);
  (void)adapter->message_id(body);
  auto r = adapter->translate(sender, body, mapper);
  gw::ingest::AckRequest ack;
  ack.ack_id = "fuzz-ack";
  if (r) {
    check_reply(adapter->acknowledge(body, ack), "accepted");
  } else {
    ack.code = gw::ingest::AckRequest::Code::kRejected;
    ack.error = r.error();
    check_reply(adapter->acknowledge(body, ack), "rejected");
  }
  ack.code = gw::ingest::AckRequest::Code::kError;
  ack.error = gw::make_error(gw::Errc::kUnavailable, "store: busy");
  check_reply(adapter->acknowledge(body, ack), "temporary failure");
  return 0;
}
