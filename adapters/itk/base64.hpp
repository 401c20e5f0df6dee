// Base64 (RFC 4648 section 4, standard alphabet with padding) on OpenSSL's EVP encoder, for
// FHIR Attachment.data and ITK base64 payloads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gw::adapters::itk {

/** base64_encode: padded standard base64, no line breaks. */
[[nodiscard]] std::string base64_encode(std::string_view bytes);
/** base64_decode: white space ignored; nullopt for other bad characters or a bad length. */
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

}  // namespace gw::adapters::itk
