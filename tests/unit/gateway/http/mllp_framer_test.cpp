// MLLP framing as HL7 senders really behave: frames split across reads, several per read, line
// ends between frames, missing CR after FS, junk outside frames, and frames over the limit.
#include "gateway/http/mllp_framer.hpp"

#include <gtest/gtest.h>

namespace gw::http {
namespace {

const std::string kA01 = "MSH|^~\\&|PAS|Z9A01|CAREGW|CAREGW|20261126120000||ADT^A01|MSG1|P|2.4\r";
const std::string kA08 = "MSH|^~\\&|PAS|Z9A01|CAREGW|CAREGW|20261126120100||ADT^A08|MSG2|P|2.4\r";

std::string frame(const std::string& m) { return std::string(1, kMllpStart) + m + "\x1c\r"; }

TEST(MllpFramer, AFrameSplitAcrossReadsComesOutWhole) {
  MllpFramer f(1024);
  const auto wire = frame(kA01);
  std::vector<MllpEvent> all;
  for (char c : wire) {
    auto ev = f.feed(std::string_view(&c, 1));
    all.insert(all.end(), ev.begin(), ev.end());
  }
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].kind, MllpEvent::Kind::kMessage);
  EXPECT_EQ(all[0].data, kA01);
  EXPECT_FALSE(f.in_frame());
}

TEST(MllpFramer, SeveralFramesInOneReadWithLineEndsBetweenAndAMissingCr) {
  MllpFramer f(1024);
  const std::string wire =
      frame(kA01) + "\r\n" + std::string(1, kMllpStart) + kA08 + "\x1c" + frame(kA01);
  const auto ev = f.feed(wire);
  ASSERT_EQ(ev.size(), 3U);
  EXPECT_EQ(ev[0].data, kA01);
  EXPECT_EQ(ev[1].data, kA08);
  EXPECT_EQ(ev[2].data, kA01);
}

TEST(MllpFramer, BytesOutsideAFrameAreDroppedAndCounted) {
  MllpFramer f(1024);
  const auto ev = f.feed("GET / HTTP/1.1" + frame(kA08));
  ASSERT_EQ(ev.size(), 2U);
  EXPECT_EQ(ev[0].kind, MllpEvent::Kind::kUnframed);
  EXPECT_EQ(ev[0].bytes, 14U);
  EXPECT_EQ(ev[1].kind, MllpEvent::Kind::kMessage);
  EXPECT_EQ(ev[1].data, kA08);
}

TEST(MllpFramer, AnOversizedFrameIsDroppedKeepingItsStartAndTheNextFrameStillArrives) {
  MllpFramer f(100);
  const std::string big = kA01 + std::string(500, 'X');
  std::vector<MllpEvent> all;
  const auto wire = frame(big) + frame(kA08);
  for (std::size_t i = 0; i < wire.size(); i += 37) {
    auto ev = f.feed(std::string_view(wire).substr(i, 37));
    all.insert(all.end(), ev.begin(), ev.end());
  }
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0].kind, MllpEvent::Kind::kTooLarge);
  EXPECT_EQ(all[0].bytes, big.size());
  EXPECT_EQ(all[0].data.substr(0, kA01.size()), kA01);  // enough to answer it with a NAK
  EXPECT_EQ(all[1].kind, MllpEvent::Kind::kMessage);
  EXPECT_EQ(all[1].data, kA08);
}

TEST(MllpFramer, AnOpenFrameIsReported) {
  MllpFramer f(1024);
  EXPECT_TRUE(f.feed(std::string(1, kMllpStart) + "MSH|").empty());
  EXPECT_TRUE(f.in_frame());
}

}  // namespace
}  // namespace gw::http
