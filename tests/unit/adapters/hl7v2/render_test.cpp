// The ADT renderer: A01/A03/A08 from a translated message, read back with the parser.
#include "adapters/hl7v2/render.hpp"

#include <gtest/gtest.h>

#include "adapters/hl7v2/adapter.hpp"
#include "adapters/hl7v2/message.hpp"
#include "tests/unit/adapters/hl7v2/hl7v2_fixture.hpp"

namespace gw::adapters::hl7v2 {
namespace {

class Hl7v2Render : public ::testing::Test {
protected:
  /** rendered: a public sample translated, then rendered for Z90001. */
  Message rendered(const std::string& sample, std::string& storage) {
    auto t = adapter_->translate(test::ods("RCB"), test::read_sample(sample), mapper_);
    EXPECT_TRUE(t) << (t ? "" : t.error().detail);
    message_ = std::move(*t);
    const ingest::RenderRequest r{&message_,
                                  test::ods("RCB"),
                                  test::ods("Z90001"),
                                  "",
                                  "7d0c2f4e-0000-4000-8000-000000000001",
                                  "2026-11-26T16:30:00Z"};
    auto out = renderer_->render(r);
    EXPECT_TRUE(out) << (out ? "" : out.error().detail);
    storage = out->payload;
    EXPECT_EQ(out->content_type, kContentType);
    auto m = Message::parse(storage);
    EXPECT_TRUE(m) << storage;
    return std::move(*m);
  }

  std::unique_ptr<ingest::InboundAdapter> adapter_ = make_hl7v2_adapter();
  std::unique_ptr<ingest::OutboundRenderer> renderer_ = make_hl7v2_renderer();
  mapping::Mapper mapper_{test::shipped_mappings(), nullptr};
  ingest::TranslatedMessage message_;
};

// ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A01_ADT_A01.hl7
TEST_F(Hl7v2Render, OpenEncounterIsA01) {
  std::string text;
  const Message m = rendered("ITK_v2.4_ADT_A01_ADT_A01.hl7", text);
  EXPECT_EQ(renderer_->format(), "hl7v2");
  EXPECT_EQ(m.get("MSH", 4), "RCB");
  EXPECT_EQ(m.get("MSH", 6), "Z90001");
  EXPECT_EQ(m.get("MSH", 7), "20261126163000+0000");
  EXPECT_EQ(m.get("MSH", 9, 1, 2), "A01");
  EXPECT_EQ(m.get("MSH", 10), "7d0c2f4e-0000-4000-8000-000000000001");
  EXPECT_EQ(m.get("PID", 3, 1, 1), test::synthetic_nhs(1));
  EXPECT_EQ(m.get("PID", 3, 1, 5), "NH");
  EXPECT_EQ(m.get("PID", 5, 1, 1), "SMITH");
  EXPECT_EQ(m.get("PID", 5, 1, 2), "FREDRICA");
  EXPECT_EQ(m.get("PID", 7), "19651213");
  EXPECT_EQ(m.get("PID", 8), "F");
  EXPECT_EQ(m.get("PID", 11, 1, 5), "YO32 5TT");
  EXPECT_EQ(m.get("PD1", 3, 1, 3), "Y06601");
  EXPECT_EQ(m.get("PV1", 2), "I");
  EXPECT_EQ(m.get("PV1", 19), "2139");
  EXPECT_EQ(m.get("PV1", 44), "20101020171600+0100");
}

// ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A03_ADT_A03.hl7
TEST_F(Hl7v2Render, FinishedEncounterIsA03) {
  std::string text;
  const Message m = rendered("ITK_v2.4_ADT_A03_ADT_A03.hl7", text);
  EXPECT_EQ(m.get("MSH", 9, 1, 2), "A03");
  EXPECT_EQ(m.get("PV1", 45), "20100331171500+0100");
}

TEST_F(Hl7v2Render, PatientAloneIsA08AndRoundTrips) {
  std::string fixed = test::read_sample("ITK_v2.4_ADT_A31_ADT_A05.hl7");
  // ../shared/reference/itk-hl7v2-adt-uk/ITK_v2.4_ADT_A31_ADT_A05.hl7 with its PID-7 corrected
  fixed.replace(fixed.find("196513121515"), 12, "196512131515");
  auto t = adapter_->translate(test::ods("RCB"), fixed, mapper_);
  ASSERT_TRUE(t) << t.error().detail;
  ingest::RenderRequest r{&*t,   test::ods("RCB"),      test::ods("Z90001"), "",
                          "ID1", "2026-11-26T16:30:00Z"};
  auto out = renderer_->render(r);
  ASSERT_TRUE(out) << out.error().detail;
  auto m = Message::parse(out->payload);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->get("MSH", 9, 1, 2), "A08");
  EXPECT_EQ(m->get("PV1", 2), "N");
  // What we render, we read back the same.
  auto back = adapter_->translate(test::ods("RCB"), out->payload, mapper_);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back->resources.size(), 1U);
  EXPECT_EQ(back->patient->match.family, t->patient->match.family);
  EXPECT_EQ(back->patient->match.birth_date, t->patient->match.birth_date);
  EXPECT_EQ(back->patient->match.nhs_number, t->patient->match.nhs_number);
  EXPECT_EQ(back->patient->match.postcode, t->patient->match.postcode);
}

TEST_F(Hl7v2Render, NothingToRenderIsUnprocessable) {
  ingest::TranslatedMessage empty;
  ingest::RenderRequest r{&empty, test::ods("RCB"), test::ods("Z90001"), "", "ID1", "x"};
  auto out = renderer_->render(r);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::kUnprocessable);
}

}  // namespace
}  // namespace gw::adapters::hl7v2
