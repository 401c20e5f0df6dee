// The "itk" adapter: envelope (envelope.hpp) -> payloads (cda.hpp) -> TranslatedMessage; and the
// reply the sender gets for each outcome (ack.hpp).
#include "adapters/itk/itk_adapter.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "adapters/itk/ack.hpp"
#include "adapters/itk/cda.hpp"
#include "adapters/itk/envelope.hpp"

namespace gw::adapters::itk {
namespace {

constexpr std::string_view kPayloadsPath =
    "soap:Envelope/soap:Body/itk:DistributionEnvelope/itk:payloads/itk:payload";
constexpr std::string_view kDischargeSummarySnomed = "373942005";

std::string iso_utc(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool contains_nocase(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

/** is_discharge: the document says it is a discharge summary (its type, title or profile). */
bool is_discharge(const xmlNode* doc, std::string_view profile) {
  const xmlNode* code = child(doc, kHl7v3Ns, "code");
  return attr(code, "code").value_or("") == kDischargeSummarySnomed ||
         contains_nocase(text(child(doc, kHl7v3Ns, "title")), "discharge") ||
         contains_nocase(profile, "discharge");
}

class ItkAdapter final : public ingest::InboundAdapter {
public:
  explicit ItkAdapter(ItkOptions o) : options_(std::move(o)) {
    if (options_.clock == nullptr) {
      options_.clock = &system_clock_;
    }
  }
  // options_.clock may point at system_clock_: a copy would point at the original's.
  ItkAdapter(const ItkAdapter&) = delete;
  ItkAdapter& operator=(const ItkAdapter&) = delete;

  [[nodiscard]] std::string_view name() const override { return "itk"; }
  [[nodiscard]] std::string_view ack_content_type() const override { return kItkAckContentType; }

  /** check_on_receipt: the WS-Security freshness window, once, when the request arrives. */
  [[nodiscard]] Result<void> check_on_receipt(
      std::string_view body, std::chrono::system_clock::time_point now) const override {
    return check_timestamp(body, now, options_.clock_skew);
  }

  [[nodiscard]] std::string message_id(std::string_view body) const override {
    return tracking_id_of(body);
  }

  [[nodiscard]] Result<ingest::TranslatedMessage> translate(
      const OdsCode& sender, std::string_view body, const mapping::Mapper& mapper) const override {
    Envelope env = parse_envelope(body, envelope_options());
    if (env.fault) {
      return make_error(Errc::kBadRequest, env.fault->detail);
    }
    ingest::TranslatedMessage m;
    m.kind = "document";
    m.event = env.interaction;
    m.sender_message_id = env.tracking_id;
    for (std::size_t i = 0; i < env.payloads.size(); ++i) {
      const Payload& p = env.payloads[i];
      const std::string at = std::string(kPayloadsPath) + "[" + std::to_string(i + 1) + "]";
      auto r = translate_payload(p, at, env, sender, mapper, m);
      if (!r) {
        return r.error();
      }
    }
    return m;
  }

  [[nodiscard]] std::string acknowledge(std::string_view body,
                                        const ingest::AckRequest& ack) const override {
    Envelope env = parse_envelope(body, envelope_options());
    AckContext c{&env, ack.ack_id.empty() ? "caregw-ack" : ack.ack_id,
                 iso_utc(options_.clock->now()), options_.reporting_identity,
                 options_.reporting_address};
    const std::string detail = ack.error ? ack.error->detail : std::string{};
    if (env.fault) {
      return soap_fault(c, env.fault->code, env.fault->detail, true);
    }
    if (ack.code == ingest::AckRequest::Code::kError) {
      return soap_fault(c, kProcessingRetryable, detail, false);
    }
    if (ack.code == ingest::AckRequest::Code::kRejected && ack.error &&
        (ack.error->code == Errc::kForbidden || ack.error->code == Errc::kPolicyDenied ||
         ack.error->code == Errc::kUnauthenticated)) {
      return soap_fault(c, kAccessDenied, detail, true);
    }
    const bool accepted = ack.code == ingest::AckRequest::Code::kAccepted;
    std::vector<std::string> parts{simple_response(c)};
    if (accepted) {
      if (env.infack_requested) {
        parts.push_back(infrastructure_ack(c));
      }
      if (env.busack_requested) {
        parts.push_back(business_ack(c, true));
      }
      return soap_response(c, parts);
    }
    // Rejected: the envelope was good, the content was not. The sender hears it the way it
    // asked to: a business NACK, else an infrastructure NACK, else a SOAP fault.
    if (env.busack_requested) {
      if (env.infack_requested) {
        parts.push_back(infrastructure_ack(c));
      }
      parts.push_back(business_ack(c, false, detail));
      return soap_response(c, parts);
    }
    if (env.infack_requested) {
      parts.push_back(infrastructure_ack(c, &kInvalidMessage, detail));
      return soap_response(c, parts);
    }
    return soap_fault(c, kInvalidMessage, detail, true);
  }

private:
  [[nodiscard]] EnvelopeOptions envelope_options() const {
    EnvelopeOptions o;
    if (options_.check_expiry) {
      o.now = options_.clock->now();
    }
    o.clock_skew = options_.clock_skew;
    return o;
  }

  static Result<void> translate_payload(const Payload& p, const std::string& at,
                                        const Envelope& env, const OdsCode& sender,
                                        const mapping::Mapper& mapper,
                                        ingest::TranslatedMessage& m) {
    const std::string content_type = p.item != nullptr ? p.item->mimetype : std::string{};
    const std::string profile = p.item != nullptr ? p.item->profileid : std::string{};
    // A CDA document inline, or sent base64 as XML: read it; anything else is kept as sent.
    std::optional<XmlTree> decoded;
    const xmlNode* doc = p.element;
    std::string original;
    if (doc == nullptr && !p.bytes.empty() &&
        p.bytes.find("ClinicalDocument") != std::string::npos) {
      if (auto t = XmlTree::parse(p.bytes); t) {
        decoded.emplace(std::move(*t));
        doc = decoded->root();
        original = p.bytes;
      }
    }
    if (!is(doc, kHl7v3Ns, "ClinicalDocument")) {
      if (p.element != nullptr) {
        auto xml = serialize(p.element);
        if (!xml) {
          return xml.error();
        }
        original = std::move(*xml);
      } else {
        original = p.bytes;
      }
      m.resources.push_back(
          attachment_reference(env.tracking_id, p.id, content_type, profile, original));
      return {};
    }
    if (original.empty()) {
      auto xml = serialize(doc);
      if (!xml) {
        return xml.error();
      }
      original = std::move(*xml);
    }
    CdaInput in{doc, std::move(original), content_type, at + "/hl7:ClinicalDocument"};
    auto t = translate_cda(in, sender, mapper);
    if (!t) {
      return t.error();
    }
    if (m.patient) {
      return make_error(Errc::kUnprocessable,
                        at + ": a second CDA document; one message carries one patient's document");
    }
    m.patient = std::move(t->patient);
    m.registered_practice = t->registered_practice;
    if (m.patient) {
      m.patient->message_id = env.tracking_id;
    }
    if (is_discharge(doc, profile)) {
      m.kind = "discharge-summary";
    }
    for (auto& r : t->resources) {
      m.resources.push_back(std::move(r));
    }
    for (auto& w : t->warnings) {
      m.warnings.push_back(std::move(w));
    }
    return {};
  }

  ItkOptions options_;
  SystemClock system_clock_;
};

}  // namespace

Result<void> check_timestamp(std::string_view body, std::chrono::system_clock::time_point now,
                             std::chrono::seconds skew) {
  const Envelope env = parse_envelope(body);
  if (auto stale = freshness_fault(env.soap, now, skew); stale) {
    return make_error(Errc::kBadRequest, stale->detail);
  }
  return {};
}

std::unique_ptr<ingest::InboundAdapter> make_itk_adapter(ItkOptions options) {
  return std::make_unique<ItkAdapter>(std::move(options));
}

}  // namespace gw::adapters::itk
