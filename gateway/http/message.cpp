// Plain HTTP message helpers.
#include "gateway/http/message.hpp"

#include <algorithm>
#include <cctype>

#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

namespace gw::http {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view method_name(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      return "OTHER";
  }
  return "OTHER";
}

void Headers::set(std::string_view name, std::string value) {
  std::erase_if(items_, [&](const auto& kv) { return iequals(kv.first, name); });
  items_.emplace_back(std::string(name), std::move(value));
}

std::string_view Headers::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (iequals(k, name)) {
      return v;
    }
  }
  return {};
}

bool Headers::has(std::string_view name) const {
  return std::any_of(items_.begin(), items_.end(),
                     [&](const auto& kv) { return iequals(kv.first, name); });
}

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const {
  std::string_view t = target;
  const auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

bool query_param(std::string_view query, std::string_view name, std::string& out) {
  auto all = query_params(query);
  if (!all) {
    return false;
  }
  for (auto& [key, value] : *all) {
    if (key == name) {
      out = std::move(value);
      return true;
    }
  }
  return false;
}

namespace {

/**
 * lenient_query: the query with the characters RFC 3986 does not allow unencoded ('|', '^',
 * '{', '}', '"', ...) percent-encoded. FHIR token searches are written "system|code" and clients
 * such as curl send the '|' as it is; refusing that would refuse ordinary FHIR requests.
 */
std::string lenient_query(std::string_view query) {
  static constexpr std::string_view kAllowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?%";
  std::string out;
  out.reserve(query.size());
  for (const char c : query) {
    if (kAllowed.find(c) != std::string_view::npos) {
      out += c;
    } else {
      static constexpr std::string_view kHex = "0123456789ABCDEF";
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4U];
      out += kHex[b & 0xFU];
    }
  }
  return out;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> query_params(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  if (query.empty()) {
    return out;  // also keeps a null string_view away from Boost.URL, which would strlen() it
  }
  // Boost.URL does the RFC 3986 parsing and percent-decoding.
  const std::string text = lenient_query(query);
  auto parsed = boost::urls::parse_query(text);
  if (!parsed) {
    return make_error(Errc::kBadRequest, "the query string is not well formed (RFC 3986)");
  }
  for (const auto& p : boost::urls::params_view(*parsed)) {
    out.emplace_back(p.key, p.has_value ? p.value : std::string{});
  }
  return out;
}

}  // namespace gw::http
