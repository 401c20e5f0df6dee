// Parsing of strong identifier types.
#include "gateway/core/ids.hpp"

#include <cctype>

namespace gw {

Result<OdsCode> OdsCode::parse(std::string_view text) {
  if (text.size() < 3 || text.size() > 10) {
    return make_error(Errc::kBadRequest, "ODS code must be 3 to 10 letters or digits, got " +
                                             std::to_string(text.size()) + " characters");
  }
  std::string v;
  v.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0) {
      return make_error(Errc::kBadRequest, "ODS code may hold only letters and digits");
    }
    v.push_back(static_cast<char>(std::toupper(u)));
  }
  return OdsCode{std::move(v)};
}

}  // namespace gw
