// The InboundAdapter and OutboundRenderer implementations: thin shells over the parser, the
// translation, the ACK builder and the ADT renderer.
#include "adapters/hl7v2/adapter.hpp"

#include "adapters/hl7v2/ack.hpp"
#include "adapters/hl7v2/message.hpp"
#include "adapters/hl7v2/render.hpp"
#include "adapters/hl7v2/translate.hpp"

namespace gw::adapters::hl7v2 {
namespace {

class Hl7v2Adapter final : public ingest::InboundAdapter {
public:
  [[nodiscard]] std::string_view name() const override { return "hl7v2"; }
  [[nodiscard]] std::string_view ack_content_type() const override { return kContentType; }

  [[nodiscard]] std::string message_id(std::string_view body) const override {
    while (!body.empty() && (body.front() == '\x0b' || body.front() == '\r' ||
                             body.front() == '\n' || body.front() == ' ')) {
      body.remove_prefix(1);
    }
    const auto line = body.substr(0, body.find_first_of("\r\n"));
    if (line.size() < 9 || line.substr(0, 3) != "MSH") {
      return {};
    }
    const std::string_view enc = split(line, line[3], 2);
    const std::string_view id = split(line, line[3], 10);
    if (enc.size() < 3 || id.size() > 199 || id.find(enc[0]) != std::string_view::npos) {
      return {};
    }
    return std::string(id);
  }

  [[nodiscard]] Result<ingest::TranslatedMessage> translate(
      const OdsCode& sender, std::string_view body, const mapping::Mapper& mapper) const override {
    auto m = Message::parse(body);
    if (!m) {
      Error e = m.error();
      e.stage = kStage;
      return e;
    }
    return translate_message(*m, sender, mapper);
  }

  [[nodiscard]] std::string acknowledge(std::string_view body,
                                        const ingest::AckRequest& ack) const override {
    return build_ack(body, ack);
  }
};

class Hl7v2Renderer final : public ingest::OutboundRenderer {
public:
  [[nodiscard]] std::string_view format() const override { return "hl7v2"; }
  [[nodiscard]] Result<ingest::Rendered> render(const ingest::RenderRequest& r) const override {
    return render_adt(r);
  }
};

}  // namespace

std::unique_ptr<ingest::InboundAdapter> make_hl7v2_adapter() {
  return std::make_unique<Hl7v2Adapter>();
}

std::unique_ptr<ingest::OutboundRenderer> make_hl7v2_renderer() {
  return std::make_unique<Hl7v2Renderer>();
}

}  // namespace gw::adapters::hl7v2
