// ITK 2.2 SOAP request parsing and checks. Each check that fails sets the envelope's fault with
// the code the DE error vocabulary (or the toolkit code list) gives for that part, and a detail
// "location: what" that names elements and attributes, never their values.
#include "adapters/itk/envelope.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "adapters/itk/base64.hpp"

namespace gw::adapters::itk {
namespace {

constexpr std::size_t kMaxIdBytes = 128;
constexpr std::string_view kDePath = "soap:Envelope/soap:Body/itk:DistributionEnvelope";

void fail(Envelope& e, const ItkCode& code, std::string detail) {
  if (!e.fault) {
    e.fault = EnvelopeFault{code, std::move(detail)};
  }
}

/** plain_id: an identifier we can echo in acknowledgements and use as a journal key. */
bool plain_id(std::string_view s) {
  return !s.empty() && s.size() <= kMaxIdBytes && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':' || c == '{' || c == '}';
  });
}

/** wsa: a WS-Addressing header in the 2005/08 namespace ITK uses, or the 2004/08 one. */
const xmlNode* wsa(const xmlNode* header, std::string_view name) {
  const xmlNode* n = child(header, kWsaNs, name);
  return n != nullptr ? n : child(header, kWsa2004Ns, name);
}

void parse_soap_header(const xmlNode* header, const EnvelopeOptions& options, Envelope& e) {
  const std::string at = "soap:Envelope/soap:Header/";
  if (header == nullptr) {
    fail(e, kInvalidMessage, "soap:Envelope/soap:Header: missing");
    return;
  }
  e.soap.message_id = text(wsa(header, "MessageID"));
  e.soap.action = text(wsa(header, "Action"));
  e.soap.to = text(wsa(header, "To"));
  for (std::string_view name : {"From", "ReplyTo"}) {
    const xmlNode* endpoint = wsa(header, name);
    if (e.soap.from.empty() && endpoint != nullptr) {
      e.soap.from = text(child(endpoint, ns_of(endpoint), "Address"));
    }
  }
  if (e.soap.message_id.empty()) {
    fail(e, kInvalidMessage, at + "wsa:MessageID: missing or empty");
  } else if (e.soap.message_id.size() > kMaxIdBytes) {
    fail(e, kInvalidMessage, at + "wsa:MessageID: longer than 128 characters");
  }
  if (e.soap.action.empty()) {
    fail(e, kInvalidMessage, at + "wsa:Action: missing or empty");
  }
  if (e.soap.to.empty()) {
    fail(e, kInvalidMessage, at + "wsa:To: missing or empty");
  }
  const xmlNode* ts = child(child(header, kWsseNs, "Security"), kWsuNs, "Timestamp");
  if (ts == nullptr) {
    fail(e, kInvalidMessage, at + "wsse:Security/wsu:Timestamp: missing");
    return;
  }
  e.soap.created = text(child(ts, kWsuNs, "Created"));
  e.soap.expires = text(child(ts, kWsuNs, "Expires"));
  const auto created = parse_xml_datetime(e.soap.created);
  const auto expires = parse_xml_datetime(e.soap.expires);
  const std::string ts_at = at + "wsse:Security/wsu:Timestamp/";
  if (!created) {
    fail(e, kInvalidMessage, ts_at + "wsu:Created: missing or not an xs:dateTime with a zone");
    return;
  }
  if (!expires) {
    fail(e, kInvalidMessage, ts_at + "wsu:Expires: missing or not an xs:dateTime with a zone");
    return;
  }
  if (*expires < *created) {
    fail(e, kInvalidMessage, ts_at + "wsu:Expires: before wsu:Created");
    return;
  }
  if (options.now) {
    if (auto stale = freshness_fault(e.soap, *options.now, options.clock_skew); stale) {
      fail(e, stale->code, stale->detail);
    }
  }
}

bool parse_bool_attr(const xmlNode* n, std::string_view name, bool& out) {
  auto v = attr(n, name);
  if (!v) {
    out = false;
    return true;
  }
  if (*v == "true" || *v == "1") {
    out = true;
    return true;
  }
  if (*v == "false" || *v == "0") {
    out = false;
    return true;
  }
  return false;
}

void parse_header(const xmlNode* header, Envelope& e) {
  const std::string at = std::string(kDePath) + "/itk:header";
  if (header == nullptr) {
    fail(e, kDeHeader, at + ": missing");
    return;
  }
  e.service = attr(header, "service").value_or("");
  e.tracking_id = attr(header, "trackingid").value_or("");
  if (e.service.empty()) {
    fail(e, kDeHeader, at + "/@service: missing or empty");
  }
  if (!plain_id(e.tracking_id)) {
    fail(e, kDeId,
         at + "/@trackingid: missing, empty or not an identifier (at most 128 of " +
             "A-Z a-z 0-9 - _ . : { })");
  }
  const xmlNode* list = child(header, kItkNs, "addresslist");
  if (list != nullptr) {
    for (const xmlNode* a : children(list, kItkNs, "address")) {
      e.addresses.push_back({attr(a, "uri").value_or(""), attr(a, "type").value_or("")});
      if (e.addresses.back().uri.empty()) {
        fail(e, kDeAddressList,
             at + "/itk:addresslist/itk:address[" + std::to_string(e.addresses.size()) +
                 "]/@uri: missing");
      }
    }
  }
  if (e.addresses.empty()) {
    fail(e, kDeAddressList, at + "/itk:addresslist: no itk:address");
  }
  const xmlNode* audit = child(header, kItkNs, "auditIdentity");
  e.audit_identity = attr(child(audit, kItkNs, "id"), "uri").value_or("");
  if (e.audit_identity.empty()) {
    fail(e, kDeAuditIdentity, at + "/itk:auditIdentity/itk:id/@uri: missing");
  }
  const xmlNode* manifest = child(header, kItkNs, "manifest");
  if (manifest == nullptr) {
    fail(e, kDeManifest, at + "/itk:manifest: missing");
  } else {
    std::set<std::string> ids;
    for (const xmlNode* m : children(manifest, kItkNs, "manifestitem")) {
      ManifestItem item;
      item.id = attr(m, "id").value_or("");
      item.mimetype = attr(m, "mimetype").value_or("");
      item.profileid = attr(m, "profileid").value_or("");
      const std::string item_at =
          at + "/itk:manifest/itk:manifestitem[" + std::to_string(e.manifest.size() + 1) + "]";
      if (!plain_id(item.id)) {
        fail(e, kDeManifestItem, item_at + "/@id: missing or not an identifier");
      } else if (!ids.insert(item.id).second) {
        fail(e, kDeManifestItem, item_at + "/@id: repeats another manifest item's id");
      }
      if (item.mimetype.empty()) {
        fail(e, kDeManifestItem, item_at + "/@mimetype: missing");
      }
      if (!parse_bool_attr(m, "base64", item.base64) ||
          !parse_bool_attr(m, "compressed", item.compressed) ||
          !parse_bool_attr(m, "encrypted", item.encrypted)) {
        fail(e, kDeManifestItem,
             item_at + ": base64, compressed and encrypted must be true or false");
      }
      if (item.compressed || item.encrypted) {
        fail(e, kDeManifestItem, item_at + ": compressed and encrypted payloads are not supported");
      }
      e.manifest.push_back(std::move(item));
    }
    const auto count = attr(manifest, "count");
    if (e.manifest.empty()) {
      fail(e, kDeManifest, at + "/itk:manifest: no itk:manifestitem");
    } else if (!count || *count != std::to_string(e.manifest.size())) {
      fail(e, kDeManifest,
           at + "/itk:manifest/@count: missing or not the number of manifest items");
    }
  }
  if (const xmlNode* sender = child(header, kItkNs, "senderAddress"); sender != nullptr) {
    e.sender_address = Address{attr(sender, "uri").value_or(""), attr(sender, "type").value_or("")};
    if (e.sender_address->uri.empty()) {
      fail(e, kDeSenderAddress, at + "/itk:senderAddress/@uri: missing");
    }
  }
  const xmlNode* handling = child(header, kItkNs, "handlingSpecification");
  std::set<std::string> keys;
  for (const xmlNode* spec : children(handling, kItkNs, "spec")) {
    const std::string spec_at =
        at + "/itk:handlingSpecification/itk:spec[" + std::to_string(keys.size() + 1) + "]";
    auto key = attr(spec, "key");
    auto value = attr(spec, "value");
    if (!key || key->empty() || !value) {
      fail(e, kDeSpec, spec_at + ": needs @key and @value");
      continue;
    }
    if (!keys.insert(*key).second) {
      fail(e, kDeSpec, spec_at + "/@key: given twice");
      continue;
    }
    if (*key == kInteractionKey) {
      e.interaction = *value;
    } else if (*key == kAckRequestedKey || *key == kInfAckRequestedKey) {
      bool& flag = *key == kAckRequestedKey ? e.busack_requested : e.infack_requested;
      if (*value == "true") {
        flag = true;
      } else if (*value != "false") {
        fail(e, kDeSpec, spec_at + "/@value: must be true or false");
      }
    }
  }
  if (e.interaction.empty()) {
    fail(e, kDeHandlingSpec,
         at + "/itk:handlingSpecification: no spec with key urn:nhs-itk:ns:201005:interaction");
  }
}

void parse_payloads(const xmlNode* payloads, Envelope& e) {
  const std::string at = std::string(kDePath) + "/itk:payloads";
  if (payloads == nullptr) {
    fail(e, kDePayloads, at + ": missing");
    return;
  }
  for (const xmlNode* p : children(payloads, kItkNs, "payload")) {
    Payload payload;
    payload.id = attr(p, "id").value_or("");
    const std::string p_at = at + "/itk:payload[" + std::to_string(e.payloads.size() + 1) + "]";
    for (const ManifestItem& item : e.manifest) {
      if (item.id == payload.id) {
        payload.item = &item;
      }
    }
    if (payload.item == nullptr) {
      fail(e, kDePayload, p_at + "/@id: names no manifest item");
    } else if (payload.item->base64) {
      auto bytes = base64_decode(text(p));
      if (!bytes) {
        fail(e, kDePayload, p_at + ": manifest says base64 but the content is not base64");
      } else {
        payload.bytes = std::move(*bytes);
      }
    } else {
      auto els = elements(p);
      if (els.size() != 1) {
        fail(e, kDePayload, p_at + ": an XML payload must hold exactly one element");
      } else {
        payload.element = els.front();
      }
    }
    e.payloads.push_back(std::move(payload));
  }
  const auto count = attr(payloads, "count");
  if (e.payloads.empty()) {
    fail(e, kDePayloads, at + ": no itk:payload");
  } else if (!count || *count != std::to_string(e.payloads.size())) {
    fail(e, kDePayloads, at + "/@count: missing or not the number of payloads");
  } else if (e.payloads.size() != e.manifest.size()) {
    fail(e, kDePayloads,
         at + ": the manifest lists " + std::to_string(e.manifest.size()) +
             " items but there are " + std::to_string(e.payloads.size()) + " payloads");
  }
}

int two(std::string_view s, std::size_t at) {
  if (at + 2 > s.size() || s[at] < '0' || s[at] > '9' || s[at + 1] < '0' || s[at + 1] > '9') {
    return -1;
  }
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

}  // namespace

std::optional<EnvelopeFault> freshness_fault(const SoapHeader& soap,
                                             std::chrono::system_clock::time_point now,
                                             std::chrono::seconds skew) {
  const std::string ts_at = "soap:Envelope/soap:Header/wsse:Security/wsu:Timestamp/";
  const auto created = parse_xml_datetime(soap.created);
  const auto expires = parse_xml_datetime(soap.expires);
  // WS-Security 1.1 (Timestamp): a receiver may reject a message whose Expires has passed; a
  // small skew allowance keeps unsynchronised clocks from refusing good messages.
  if (expires && now > *expires + skew) {
    return EnvelopeFault{kInvalidMessage, ts_at + "wsu:Expires: the message has expired"};
  }
  if (created && *created > now + skew) {
    return EnvelopeFault{kInvalidMessage, ts_at + "wsu:Created: in the future"};
  }
  return std::nullopt;
}

std::optional<std::chrono::system_clock::time_point> parse_xml_datetime(std::string_view s) {
  // yyyy-mm-ddThh:mm:ss[.fff](Z|+hh:mm|-hh:mm)
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  int year = 0;
  if (auto [p, ec] = std::from_chars(s.data(), s.data() + 4, year);
      ec != std::errc{} || p != s.data() + 4) {
    return std::nullopt;
  }
  const int month = two(s, 5);
  const int day = two(s, 8);
  const int hour = two(s, 11);
  const int minute = two(s, 14);
  const int second = two(s, 17);
  if (month < 1 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second > 60) {
    return std::nullopt;
  }
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const std::size_t digits = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
    }
    if (i == digits) {
      return std::nullopt;
    }
  }
  int offset_minutes = 0;
  if (i < s.size() && s[i] == 'Z' && i + 1 == s.size()) {
    offset_minutes = 0;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    const int oh = two(s, i + 1);
    const int om = two(s, i + 4);
    if (oh < 0 || oh > 14 || om < 0 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days{ymd} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second} - std::chrono::minutes{offset_minutes};
}

void parse_distribution_envelope(const xmlNode* de, Envelope& out) {
  if (!is(de, kItkNs, "DistributionEnvelope")) {
    fail(out, kDeEnvelope, std::string(kDePath) + ": missing (the body must hold one)");
    return;
  }
  parse_header(child(de, kItkNs, "header"), out);
  parse_payloads(child(de, kItkNs, "payloads"), out);
}

Envelope parse_envelope(std::string_view body, const EnvelopeOptions& options) {
  Envelope e;
  auto tree = XmlTree::parse(body, options.limits);
  if (!tree) {
    fail(e, kInvalidMessage, "soap:Envelope: " + tree.error().detail);
    return e;
  }
  e.tree.emplace(std::move(*tree));
  const xmlNode* root = e.tree->root();
  if (!is(root, kSoapNs, "Envelope")) {
    fail(e, kInvalidMessage,
         "soap:Envelope: the document element is not a SOAP 1.1 Envelope "
         "(http://schemas.xmlsoap.org/soap/envelope/)");
    // A bare DistributionEnvelope is still read, so its ids can be acknowledged.
    if (is(root, kItkNs, "DistributionEnvelope")) {
      Envelope bare;
      parse_distribution_envelope(root, bare);
      e.service = bare.service;
      e.tracking_id = bare.tracking_id;
      e.sender_address = bare.sender_address;
      e.infack_requested = bare.infack_requested;
      e.busack_requested = bare.busack_requested;
    }
    return e;
  }
  parse_soap_header(child(root, kSoapNs, "Header"), options, e);
  const xmlNode* body_el = child(root, kSoapNs, "Body");
  auto in_body = elements(body_el);
  if (body_el == nullptr || in_body.size() != 1) {
    fail(e, kDeEnvelope, "soap:Envelope/soap:Body: must hold exactly one itk:DistributionEnvelope");
    return e;
  }
  parse_distribution_envelope(in_body.front(), e);
  // ITK 2.2 SOAP binding: wsa:Action is the service being invoked (standards.md section 1).
  if (!e.soap.action.empty() && !e.service.empty() && e.soap.action != e.service) {
    fail(e, kInvalidMessage,
         "soap:Envelope/soap:Header/wsa:Action: not the DistributionEnvelope's service");
  }
  return e;
}

std::string tracking_id_of(std::string_view body) {
  auto tree = XmlTree::parse(body);
  if (!tree) {
    return {};
  }
  const xmlNode* root = tree->root();
  const xmlNode* de = root;
  if (is(root, kSoapNs, "Envelope")) {
    auto in_body = elements(child(root, kSoapNs, "Body"));
    de = in_body.size() == 1 ? in_body.front() : nullptr;
  }
  if (!is(de, kItkNs, "DistributionEnvelope")) {
    return {};
  }
  std::string id = attr(child(de, kItkNs, "header"), "trackingid").value_or("");
  return plain_id(id) ? id : std::string{};
}

}  // namespace gw::adapters::itk
