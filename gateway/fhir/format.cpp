// Media type negotiation for the FHIR API.
#include "gateway/fhir/format.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/ascii.hpp"

namespace gw::fhir {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string lower_trim(std::string_view s) {
  std::string out(trim(s));
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

/** format_of: the FHIR format a bare media type or `_format` short name names, if any. */
std::optional<Format> format_of(const std::string& type) {
  if (type == "json" || type == "application/fhir+json" || type == "application/json" ||
      type == "text/json" || type == "application/json+fhir") {
    return Format::kJson;
  }
  if (type == "xml" || type == "application/fhir+xml" || type == "application/xml" ||
      type == "text/xml" || type == "application/xml+fhir") {
    return Format::kXml;
  }
  return std::nullopt;
}

/** range_format: the format one Accept media range (lower case) asks for, if we serve one. */
std::optional<Format> range_format(const std::string& type) {
  if (auto fmt = format_of(type)) {
    return fmt;
  }
  if (type == "*/*" || type == "application/*") {
    return Format::kJson;
  }
  if (type == "text/*") {
    return Format::kXml;
  }
  return std::nullopt;
}

Error not_acceptable() {
  return make_error(Errc::kNotAcceptable,
                    "Accept names no format served here; use application/fhir+json or "
                    "application/fhir+xml");
}

struct Range {
  std::string type;
  double q = 1.0;
};

std::vector<Range> parse_accept(std::string_view accept) {
  std::vector<Range> out;
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    Range r;
    const auto semi = item.find(';');
    r.type = lower_trim(item.substr(0, semi));
    std::string_view params =
        semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1);
    while (!params.empty()) {
      const auto next = params.find(';');
      const std::string p = lower_trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
      if (p.rfind("q=", 0) == 0) {
        double q = 0;  // an unreadable q-value: the range is treated as not acceptable
        const auto res = std::from_chars(p.data() + 2, p.data() + p.size(), q);
        r.q = res.ec == std::errc() ? q : 0;
      }
    }
    if (!r.type.empty()) {
      out.push_back(std::move(r));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Range& a, const Range& b) { return a.q > b.q; });
  return out;
}

}  // namespace

std::string_view media_type(Format f) {
  return f == Format::kJson ? "application/fhir+json; charset=utf-8"
                            : "application/fhir+xml; charset=utf-8";
}

Result<Format> response_format(std::string_view format_param, std::string_view accept) {
  if (!format_param.empty()) {
    const std::string f = lower_trim(format_param.substr(0, format_param.find(';')));
    if (auto fmt = format_of(f)) {
      return *fmt;
    }
    return make_error(Errc::kNotAcceptable,
                      "_format '" + std::string(format_param) + "' is not served; use json or xml");
  }
  if (trim(accept).empty()) {
    return Format::kJson;
  }
  if (accept.find_first_of(",;") == std::string_view::npos) {
    // One media range without parameters (what most clients send): no list to parse or sort.
    if (auto fmt = range_format(lower_trim(accept))) {
      return *fmt;
    }
    return not_acceptable();
  }
  for (const Range& r : parse_accept(accept)) {
    if (r.q <= 0) {
      continue;
    }
    if (auto fmt = range_format(r.type)) {
      return *fmt;
    }
  }
  return not_acceptable();
}

Result<Format> request_format(std::string_view content_type) {
  const auto semi = content_type.find(';');
  const std::string type = lower_trim(content_type.substr(0, semi));
  if (semi != std::string_view::npos) {
    const std::string params = lower_trim(content_type.substr(semi + 1));
    const auto cs = params.find("charset=");
    if (cs != std::string::npos) {
      std::string charset = params.substr(cs + 8);
      charset = charset.substr(0, charset.find(';'));
      std::erase(charset, '"');
      if (charset != "utf-8" && charset != "utf8") {
        return make_error(Errc::kUnsupportedMediaType,
                          "charset '" + charset + "' is not supported; FHIR bodies are UTF-8");
      }
    }
  }
  if (type.empty()) {
    return make_error(Errc::kUnsupportedMediaType,
                      "the request has no Content-Type; use application/fhir+json or "
                      "application/fhir+xml");
  }
  if (auto fmt = format_of(type); fmt && type != "json" && type != "xml") {
    return *fmt;
  }
  return make_error(Errc::kUnsupportedMediaType,
                    "Content-Type '" + type +
                        "' is not supported; use application/fhir+json "
                        "or application/fhir+xml");
}

}  // namespace gw::fhir
