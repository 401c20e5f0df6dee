// Base64 on OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock (a library rather than hand-written).
#include "adapters/itk/base64.hpp"

#include <climits>

#include <openssl/evp.h>

namespace gw::adapters::itk {

std::string base64_encode(std::string_view bytes) {
  if (bytes.empty()) {
    return {};
  }
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      continue;
    }
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || c == '=';
    if (!ok) {
      return std::nullopt;
    }
    clean += c;
  }
  if (clean.size() % 4 != 0 || clean.size() > static_cast<std::size_t>(INT_MAX)) {
    return std::nullopt;
  }
  if (clean.empty()) {
    return std::string{};
  }
  // '=' only as one or two trailing pad characters.
  const auto first_pad = clean.find('=');
  if (first_pad != std::string::npos &&
      (first_pad < clean.size() - 2 ||
       clean.find_first_not_of('=', first_pad) != std::string::npos)) {
    return std::nullopt;
  }
  std::string out(clean.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) {
    return std::nullopt;
  }
  // EVP_DecodeBlock counts the padding as zero bytes: take them off.
  std::size_t size = static_cast<std::size_t>(n);
  const std::size_t pads = first_pad == std::string::npos ? 0 : clean.size() - first_pad;
  size = size >= pads ? size - pads : 0;
  out.resize(size);
  return out;
}

}  // namespace gw::adapters::itk
