// ASCII case for protocol text (media types, header names, schemes, HL7 and FHIR codes): the C
// locale's rules without a locale lookup per character, and never touching bytes of UTF-8.
#pragma once

namespace gw {

/** ascii_lower: `c` in lower case when it is an ASCII capital letter, otherwise unchanged. */
[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace gw
