// NHS number parsing and the Modulus 11 check (NHS Data Dictionary, "NHS Number"):
// weights 10..2 over the first nine digits; 11 - (sum mod 11) is the check digit, 11 means 0,
// and 10 means the number is invalid.
#include "gateway/identity/nhs_number.hpp"

#include <algorithm>

namespace gw {

int NhsNumber::check_digit(std::string_view first_nine) {
  if (first_nine.size() != 9) {
    return -1;
  }
  int sum = 0;
  for (std::size_t i = 0; i < 9; ++i) {
    const char c = first_nine[i];
    if (c < '0' || c > '9') {
      return -1;
    }
    sum += (c - '0') * static_cast<int>(10 - i);
  }
  const int check = 11 - (sum % 11);
  if (check == 11) {
    return 0;
  }
  return check == 10 ? -1 : check;
}

Result<NhsNumber> NhsNumber::parse(std::string_view text) {
  std::string digits;
  digits.reserve(10);
  char separator = 0;
  int separators = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      continue;
    }
    // Separators only between the 3-3-4 groups, and the same one both times.
    const bool at_group = digits.size() == 3 || digits.size() == 6;
    if ((c == ' ' || c == '-') && at_group && (separator == 0 || separator == c) &&
        i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '9') {
      separator = c;
      ++separators;
      continue;
    }
    return make_error(Errc::kBadRequest,
                      "an NHS number has only digits (optionally grouped 3-3-4 by spaces or "
                      "hyphens); found '" +
                          std::string(1, c) + "' at position " + std::to_string(i + 1));
  }
  if (digits.size() != 10) {
    return make_error(Errc::kBadRequest,
                      "an NHS number has 10 digits, this has " + std::to_string(digits.size()));
  }
  if (separators == 1) {
    return make_error(Errc::kBadRequest,
                      "group an NHS number 3-3-4 with a separator in both places, or none");
  }
  if (std::all_of(digits.begin(), digits.end(), [&](char c) { return c == digits[0]; })) {
    return make_error(Errc::kBadRequest, "an NHS number cannot be ten identical digits");
  }
  const int check = check_digit(std::string_view(digits).substr(0, 9));
  if (check < 0) {
    return make_error(Errc::kBadRequest,
                      "no NHS number has these first nine digits (the Modulus 11 check gives 10)");
  }
  if (check != digits[9] - '0') {
    return make_error(Errc::kBadRequest,
                      "the check digit is wrong (Modulus 11 gives " + std::to_string(check) + ")");
  }
  return NhsNumber{std::move(digits)};
}

std::string NhsNumber::formatted() const {
  return digits_.substr(0, 3) + " " + digits_.substr(3, 3) + " " + digits_.substr(6);
}

bool parse_verification_status(std::string_view code, VerificationStatus& out) {
  if (code.size() == 2 && code[0] == '0') {
    code.remove_prefix(1);
  }
  if (code.size() != 1 || code[0] < '1' || code[0] > '8') {
    return false;
  }
  out = static_cast<VerificationStatus>(code[0] - '0');
  return true;
}

std::string verification_code(VerificationStatus s) {
  std::string code = "0";
  code.push_back(static_cast<char>('0' + static_cast<int>(s)));
  return code;
}

std::string_view verification_display(VerificationStatus s) {
  switch (s) {
    case VerificationStatus::kPresentVerified:
      return "Number present and verified";
    case VerificationStatus::kPresentNotTraced:
      return "Number present but not traced";
    case VerificationStatus::kTraceRequired:
      return "Trace required";
    case VerificationStatus::kTraceAttemptedNoMatch:
      return "Trace attempted - No match or multiple match found";
    case VerificationStatus::kTraceNeedsResolution:
      return "Trace needs to be resolved - (NHS number or patient detail conflict)";
    case VerificationStatus::kTraceInProgress:
      return "Trace in progress";
    case VerificationStatus::kNotPresentTraceNotRequired:
      return "Number not present and trace not required";
    case VerificationStatus::kTracePostponed:
      return "Trace postponed (baby under six weeks old)";
  }
  return "";
}

}  // namespace gw
