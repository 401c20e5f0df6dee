// A small hand-written checker rather than std::regex: the FHIR grammars are short, and this
// also checks the calendar (days per month, leap years), which the spec's regexes do not.
#include "gateway/fhir/datetime.hpp"

#include <cstdio>

namespace gw::fhir {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) {
    return 0;
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

/** time_of_day: hh:mm:ss(.f+) at pos; returns the position after it, or npos with `why`. */
std::size_t time_of_day(std::string_view s, std::size_t pos, std::string& why) {
  int hh = 0;
  int mm = 0;
  int ss = 0;
  if (!digits(s, pos, 2, hh) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
      !digits(s, pos + 3, 2, mm) || pos + 5 >= s.size() || s[pos + 5] != ':' ||
      !digits(s, pos + 6, 2, ss)) {
    why = "the time must be hh:mm:ss";
    return std::string_view::npos;
  }
  if (hh > 23 || mm > 59 || ss > 60) {
    why = "the time is out of range";
    return std::string_view::npos;
  }
  pos += 8;
  if (pos < s.size() && s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ++pos;
    }
    if (pos == start) {
      why = "a decimal point in the seconds needs digits after it";
      return std::string_view::npos;
    }
  }
  return pos;
}

}  // namespace

std::string_view temporal_name(Temporal t) {
  switch (t) {
    case Temporal::kDate:
      return "date";
    case Temporal::kDateTime:
      return "dateTime";
    case Temporal::kInstant:
      return "instant";
    case Temporal::kTime:
      return "time";
  }
  return "date";
}

std::string check_datetime(std::string_view s, Temporal t) {
  std::string why;
  if (t == Temporal::kTime) {
    const auto end = time_of_day(s, 0, why);
    if (end == std::string_view::npos) {
      return why;
    }
    return end == s.size() ? std::string{} : "unexpected text after the time";
  }
  int year = 0;
  if (!digits(s, 0, 4, year)) {
    return "a " + std::string(temporal_name(t)) + " starts with a four-digit year";
  }
  if (year == 0) {
    return "year 0000 is not allowed";
  }
  std::size_t pos = 4;
  int month = 0;
  int day = 0;
  if (pos < s.size()) {
    if (s[pos] != '-' || !digits(s, pos + 1, 2, month)) {
      return "the month must follow the year as -MM";
    }
    if (month < 1 || month > 12) {
      return "month " + std::to_string(month) + " is out of range";
    }
    pos += 3;
  }
  if (pos < s.size()) {
    if (s[pos] != '-' || !digits(s, pos + 1, 2, day)) {
      return "the day must follow the month as -DD";
    }
    if (day < 1 || day > days_in_month(year, month)) {
      return "day " + std::to_string(day) + " does not exist in that month";
    }
    pos += 3;
  }
  const bool full_date = day != 0;
  if (t == Temporal::kDate) {
    return pos == s.size() ? std::string{}
                           : "a date has no time part (use yyyy, yyyy-mm or yyyy-mm-dd)";
  }
  if (pos == s.size()) {
    if (t == Temporal::kInstant) {
      return "an instant needs a full date, time and timezone";
    }
    return {};
  }
  if (!full_date || s[pos] != 'T') {
    return "a time may follow only a full date, after 'T'";
  }
  pos = time_of_day(s, pos + 1, why);
  if (pos == std::string_view::npos) {
    return why;
  }
  if (pos == s.size()) {
    return "a " + std::string(temporal_name(t)) + " with a time needs a timezone (Z or +hh:mm)";
  }
  if (s[pos] == 'Z') {
    return pos + 1 == s.size() ? std::string{} : "unexpected text after the timezone";
  }
  int tzh = 0;
  int tzm = 0;
  if ((s[pos] != '+' && s[pos] != '-') || !digits(s, pos + 1, 2, tzh) || pos + 3 >= s.size() ||
      s[pos + 3] != ':' || !digits(s, pos + 4, 2, tzm) || pos + 6 != s.size()) {
    return "the timezone must be Z or +hh:mm / -hh:mm";
  }
  if (tzh > 14 || tzm > 59 || (tzh == 14 && tzm != 0)) {
    return "the timezone offset is out of range";
  }
  return {};
}

std::string format_instant(std::chrono::system_clock::time_point t, bool micros) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto day = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{secs - day};
  char buf[40];
  int n = std::snprintf(
      buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()), unsigned(ymd.month()),
      unsigned(ymd.day()), static_cast<int>(hms.hours().count()),
      static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  const auto frac = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  if (micros && frac != 0 && n > 0) {
    n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%06lld",
                       static_cast<long long>(frac));
  }
  std::string out(buf, static_cast<std::size_t>(n));
  out += 'Z';
  return out;
}

}  // namespace gw::fhir
