// Strong identifier types parsed once at the edge; nothing past parsing handles raw id strings.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "gateway/core/error.hpp"

namespace gw {

/** OdsCode: an NHS Organisation Data Service code (e.g. a GP practice or trust), upper case. */
class OdsCode {
public:
  /**
   * parse: accepts 3 to 10 ASCII letters and digits, case-insensitively (stored upper case).
   * @return the code, or kBadRequest saying what is wrong with the text.
   */
  [[nodiscard]] static Result<OdsCode> parse(std::string_view text);

  [[nodiscard]] const std::string& str() const { return value_; }
  auto operator<=>(const OdsCode&) const = default;

private:
  explicit OdsCode(std::string v) : value_(std::move(v)) {}
  std::string value_;
};

}  // namespace gw
