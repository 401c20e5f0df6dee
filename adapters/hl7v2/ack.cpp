// ACK building: what the incoming header says is read leniently (so even a message the parser
// refused gets a useful answer), and every text written is escaped for the message's delimiters.
#include "adapters/hl7v2/ack.hpp"

#include <chrono>

#include "adapters/hl7v2/message.hpp"
#include "gateway/fhir/datetime.hpp"

namespace gw::adapters::hl7v2 {
namespace {

/** Header: what an ACK needs from the incoming MSH. */
struct Header {
  Delimiters d{};
  std::string sending_app, sending_facility, receiving_app, receiving_facility;
  std::string control_id, processing_id = "P", version = "2.4", trigger;
};

/** bounded: at most `n` bytes of a value echoed back (ids, names of applications). */
std::string bounded(std::string v, std::size_t n = 64) {
  if (v.size() > n) {
    v.resize(n);
  }
  return v;
}

Header read_header(std::string_view body) {
  Header h;
  auto m = Message::parse(body);
  if (m) {
    const Segment& msh = *m->find("MSH");
    h.d = m->delimiters();
    h.sending_app = bounded(m->get(msh, 3, 1, 1));
    h.sending_facility = bounded(m->get(msh, 4, 1, 1));
    h.receiving_app = bounded(m->get(msh, 5, 1, 1));
    h.receiving_facility = bounded(m->get(msh, 6, 1, 1));
    h.trigger = bounded(m->get(msh, 9, 1, 2), 3);
    h.control_id = bounded(m->get(msh, 10, 1, 1), 199);
    if (auto p = m->get(msh, 11, 1, 1); p == "P" || p == "T" || p == "D") {
      h.processing_id = p;
    }
    if (auto v = m->get(msh, 12, 1, 1); v.starts_with("2.") && v.size() <= 5 &&
                                        v.find_first_not_of("0123456789.") == std::string::npos) {
      h.version = v;
    }
    return h;
  }
  // Unparseable: still answer the control id if the first line has one at the usual place.
  const auto first = body.substr(0, body.find_first_of("\r\n", 0));
  if (first.size() > 8 && first.substr(0, 3) == "MSH") {
    const char sep = first[3];
    if (static_cast<unsigned char>(sep) >= 0x21 && static_cast<unsigned char>(sep) <= 0x7e) {
      const std::string_view id = split(first, sep, 10);
      if (id.size() <= 199 && id.find_first_of("\\^~&") == std::string_view::npos) {
        h.control_id = std::string(id);
      }
    }
  }
  return h;
}

bool version_at_least_25(std::string_view v) { return v.size() >= 3 && v[2] >= '5'; }

std::string code_text(std::string_view code) {
  if (code == "100") {
    return "Segment sequence error";
  }
  if (code == "101") {
    return "Required field missing";
  }
  if (code == "102") {
    return "Data type error";
  }
  if (code == "200") {
    return "Unsupported message type";
  }
  if (code == "201") {
    return "Unsupported event code";
  }
  if (code == "203") {
    return "Unsupported version id";
  }
  return "Application internal error";
}

/** err_segment: one ERR for an error or warning `detail` ("LOCATION: reason" or free text). */
std::string err_segment(const Header& h, std::string_view detail, std::string_view severity,
                        bool rejected) {
  Location where;
  std::string_view reason = detail;
  if (const auto sep = detail.find(ingest::kLocationSeparator); sep != std::string_view::npos) {
    Location parsed;
    if (Location::parse(detail.substr(0, sep), parsed)) {
      where = parsed;
      reason = detail.substr(sep + ingest::kLocationSeparator.size());
    }
  }
  const std::string code(error_code(detail, rejected));
  const char f = h.d.field;
  const char cs = h.d.component;
  const char ss = h.d.subcomponent;
  const std::string text = escape(reason, h.d);
  std::string seg = "ERR";
  const auto num = [](int v) { return v > 0 ? std::to_string(v) : std::string{}; };
  if (version_at_least_25(h.version)) {
    // ERR-2 ERL: segment ^ sequence ^ field ^ field repetition ^ component ^ sub-component;
    // ERR-3 HL7 error code (table 0357), ERR-4 severity, ERR-8 user message.
    seg += std::string{f} + f;
    if (!where.segment.empty()) {
      seg += where.segment + cs + std::to_string(where.occurrence) + cs + num(where.field) + cs +
             (where.field > 0 ? std::to_string(where.repetition) : "") + cs + num(where.component) +
             cs + num(where.subcomponent);
    }
    seg += std::string{f} + code + cs + code_text(code) + cs + "HL70357" + f +
           std::string(severity) + f + f + f + f + text;
  } else {
    // ERR-1 ELD: segment ^ sequence ^ field position ^ error code (CE: code & text & table).
    seg += std::string{f} + where.segment + cs +
           (where.segment.empty() ? "" : std::to_string(where.occurrence)) + cs + num(where.field) +
           cs + code + ss + escape(code_text(code), h.d) + ss + "HL70357";
  }
  return seg;
}

}  // namespace

std::string_view error_code(std::string_view d, bool rejected) {
  if (d.find("unsupported message type") != std::string_view::npos) {
    return "200";
  }
  if (d.find("unsupported event") != std::string_view::npos) {
    return "201";
  }
  if (d.find("unsupported version") != std::string_view::npos) {
    return "203";
  }
  if (d.find("segment sequence") != std::string_view::npos) {
    return "100";
  }
  if (d.find("required field missing") != std::string_view::npos ||
      d.find("required segment missing") != std::string_view::npos) {
    return "101";
  }
  if (d.find("NHS number") != std::string_view::npos ||
      d.find("bad date") != std::string_view::npos ||
      d.find("not a number") != std::string_view::npos || rejected) {
    return "102";
  }
  return "207";
}

std::string build_ack(std::string_view body, const ingest::AckRequest& ack) {
  const Header h = read_header(body);
  const char f = h.d.field;
  const char cs = h.d.component;
  const bool v24 = h.version.starts_with("2.4") || version_at_least_25(h.version);
  std::string type = "ACK";
  if (!h.trigger.empty()) {
    type += std::string{cs} + escape(h.trigger, h.d) + (v24 ? std::string{cs} + "ACK" : "");
  }
  std::string out = "MSH";
  out += std::string{f} + h.d.component + h.d.repetition + h.d.escape + h.d.subcomponent;
  for (const auto* v :
       {&h.receiving_app, &h.receiving_facility, &h.sending_app, &h.sending_facility}) {
    out += f + escape(*v, h.d);
  }
  out += f;  // MSH-6 ends
  if (ack.at != std::chrono::system_clock::time_point{}) {
    out += hl7_time(fhir::format_instant(ack.at));  // MSH-7, UTC
  }
  out += std::string{f} + f + type + f + escape(bounded(ack.ack_id, 199), h.d) + f +
         h.processing_id + f + h.version + '\r';
  const bool rejected = ack.code == ingest::AckRequest::Code::kRejected;
  const std::string_view msa = ack.code == ingest::AckRequest::Code::kAccepted ? "AA"
                               : rejected                                      ? "AR"
                                                                               : "AE";
  out += "MSA" + std::string{f} + std::string(msa) + f + escape(h.control_id, h.d);
  if (ack.error && !version_at_least_25(h.version)) {
    out += f + escape(bounded(ack.error->detail, 80), h.d);  // MSA-3 text (before 2.5)
  }
  out += '\r';
  if (ack.code != ingest::AckRequest::Code::kAccepted) {
    const std::string detail = ack.error ? ack.error->detail : "the message was not processed";
    out += err_segment(h, detail, "E", rejected) + '\r';
  }
  if (version_at_least_25(h.version)) {
    for (const auto& w : ack.warnings) {
      out += err_segment(h, w, "W", false) + '\r';
    }
  }
  return out;
}

}  // namespace gw::adapters::hl7v2
