// FHIR date/dateTime/instant/time formats, including calendar validity.
#include "gateway/fhir/datetime.hpp"

#include <gtest/gtest.h>

namespace gw::fhir {
namespace {

TEST(CheckDatetime, ValidValues) {
  for (const char* d : {"2024", "2024-02", "2024-02-29", "2000-02-29", "1900-12-31"}) {
    EXPECT_EQ(check_datetime(d, Temporal::kDate), "") << d;
    EXPECT_EQ(check_datetime(d, Temporal::kDateTime), "") << d;
  }
  for (const char* dt : {"2024-05-01T10:20:30Z", "2024-05-01T10:20:30.123+01:00",
                         "2024-05-01T23:59:60-05:30", "2024-05-01T00:00:00+14:00"}) {
    EXPECT_EQ(check_datetime(dt, Temporal::kDateTime), "") << dt;
    EXPECT_EQ(check_datetime(dt, Temporal::kInstant), "") << dt;
  }
  EXPECT_EQ(check_datetime("10:20:30", Temporal::kTime), "");
  EXPECT_EQ(check_datetime("10:20:30.5", Temporal::kTime), "");
}

TEST(CheckDatetime, InvalidValuesSayWhy) {
  struct Case {
    const char* value;
    Temporal type;
    const char* why;
  };
  for (const Case c : {
           Case{"", Temporal::kDate, "four-digit year"},
           Case{"24-01-01", Temporal::kDate, "four-digit year"},
           Case{"0000", Temporal::kDate, "year 0000"},
           Case{"2024-13", Temporal::kDate, "month 13 is out of range"},
           Case{"2024-00-10", Temporal::kDate, "month 0 is out of range"},
           Case{"2023-02-29", Temporal::kDate, "day 29 does not exist"},
           Case{"2024-04-31", Temporal::kDate, "day 31 does not exist"},
           Case{"1900-02-29", Temporal::kDate, "day 29 does not exist"},
           Case{"2024/01/01", Temporal::kDate, "-MM"},
           Case{"2024-01-01T10:00:00Z", Temporal::kDate, "no time part"},
           Case{"2024-01-01T10:00:00", Temporal::kDateTime, "needs a timezone"},
           Case{"2024-01-01T10:00Z", Temporal::kDateTime, "hh:mm:ss"},
           Case{"2024-01T10:00:00Z", Temporal::kDateTime, "-DD"},
           Case{"2024-01-01T24:00:00Z", Temporal::kDateTime, "out of range"},
           Case{"2024-01-01T10:00:00+15:00", Temporal::kDateTime, "offset is out of range"},
           Case{"2024-01-01T10:00:00.Z", Temporal::kDateTime, "digits after it"},
           Case{"2024-01-01T10:00:00Zjunk", Temporal::kDateTime, "after the timezone"},
           Case{"2024-01-01", Temporal::kInstant, "full date, time and timezone"},
           Case{"25:00:00", Temporal::kTime, "out of range"},
       }) {
    const auto why = check_datetime(c.value, c.type);
    EXPECT_NE(why.find(c.why), std::string::npos) << c.value << " -> '" << why << "'";
  }
}

}  // namespace
}  // namespace gw::fhir
