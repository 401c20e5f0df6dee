// libFuzzer target for the ITK 2.2 adapter (adapters/itk): envelope parse and checks, CDA
// translation and every acknowledgement path. Whatever the input, the reply must be well-formed
// XML (a sender must always be able to read our answer); a violation aborts so the fuzzer keeps
// the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "adapters/itk/itk_adapter.hpp"
#include "adapters/itk/xml_tree.hpp"

namespace {

const gw::ingest::InboundAdapter& adapter() {
  static const auto a = [] {
    gw::adapters::itk::ItkOptions o;
    o.check_expiry = false;  // reach the payload checks whatever the timestamps say
    return gw::adapters::itk::make_itk_adapter(o);
  }();
  return *a;
}

void check_reply(const std::string& reply, const char* what) {
  if (!gw::adapters::itk::XmlTree::parse(reply)) {
    std::fprintf(stderr, "itk_envelope_fuzz: the %s reply is not well-formed XML\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  static const gw::OdsCode sender = *gw::OdsCode::parse("Z9A01");
  const gw::mapping::Mapper mapper(nullptr, nullptr);
  (void)adapter().message_id(body);
  auto r = adapter().translate(sender, body, mapper);
  gw::ingest::AckRequest ack;
  ack.ack_id = "fuzz-ack";
  if (r) {
    check_reply(adapter().acknowledge(body, ack), "accepted");
  } else {
    ack.code = gw::ingest::AckRequest::Code::kRejected;
    ack.error = r.error();
    check_reply(adapter().acknowledge(body, ack), "rejected");
  }
  ack.code = gw::ingest::AckRequest::Code::kError;
  ack.error = gw::make_error(gw::Errc::kUnavailable, "store: busy");
  check_reply(adapter().acknowledge(body, ack), "temporary failure");
  return 0;
}
