// The ITK 2.2 acknowledgements have the shape of the public examples: the element structure of
// each reply is compared with shared/reference/ciao-transport-itk/test-infack.xml,
// test-infnack.xml and test-wrapped-busack.xml.
#include "adapters/itk/ack.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

namespace gw::adapters::itk {
namespace {

std::string read_ref(const std::string& path) {
  std::ifstream in(CAREGW_SOURCE_DIR "/../shared/reference/" + path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/** shape: every element path (local names) and attribute name under `n`, as a set. */
void shape(const xmlNode* n, const std::string& prefix, std::set<std::string>& out) {
  const std::string here = prefix + "/" + std::string(local_name(n));
  out.insert(here);
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    out.insert(here + "/@" + reinterpret_cast<const char*>(a->name));
  }
  for (const xmlNode* c : elements(n)) {
    shape(c, here, out);
  }
}

std::set<std::string> shape_of(const xmlNode* n) {
  std::set<std::string> out;
  shape(n, "", out);
  return out;
}

/** find: the first element named `local` (any namespace) at or under `n`. */
const xmlNode* find(const xmlNode* n, std::string_view local) {
  if (local_name(n) == local) {
    return n;
  }
  for (const xmlNode* c : elements(n)) {
    if (const xmlNode* f = find(c, local); f != nullptr) {
      return f;
    }
  }
  return nullptr;
}

class ItkAckShapeTest : public ::testing::Test {
protected:
  void SetUp() override {
    // The request being acknowledged: the TKW-x SOAP sample (shared/reference/tkw-x/ITK_SOAP.xml).
    envelope_ = parse_envelope(read_ref("tkw-x/ITK_SOAP.xml"));
    ASSERT_FALSE(envelope_.fault);
    context_ = AckContext{&envelope_, "ACK-1", "2026-11-26T16:30:00Z",
                          "urn:nhs-uk:identity:ods:Z9Z01", "urn:nhs-uk:addressing:ods:Z9Z01"};
  }
  Envelope envelope_;
  AckContext context_;
};

TEST_F(ItkAckShapeTest, InfrastructureAckAsTestInfack) {
  auto ours = XmlTree::parse(infrastructure_ack(context_));
  auto theirs = XmlTree::parse(read_ref("ciao-transport-itk/test-infack.xml"));
  ASSERT_TRUE(ours);
  ASSERT_TRUE(theirs);
  const xmlNode* response = find(ours->root(), "InfrastructureResponse");
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(shape_of(response), shape_of(theirs->root()));
  EXPECT_EQ(attr(response, "trackingIdRef").value_or(""), "217D1168-7F0B-4F31-A0A9-5B030E545FAE");
  EXPECT_EQ(attr(response, "serviceRef").value_or(""),
            "urn:nhs-itk:services:201005:SendCDADocument-v2-0");
}

TEST_F(ItkAckShapeTest, InfrastructureNackAsTestInfnack) {
  auto ours = XmlTree::parse(infrastructure_ack(context_, &kInvalidMessage, "x: y"));
  auto theirs = XmlTree::parse(read_ref("ciao-transport-itk/test-infnack.xml"));
  ASSERT_TRUE(ours);
  ASSERT_TRUE(theirs);
  const xmlNode* response = find(ours->root(), "InfrastructureResponse");
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(shape_of(response), shape_of(theirs->root()));
  EXPECT_EQ(attr(response, "result").value_or(""), attr(theirs->root(), "result").value_or("-"));
}

TEST_F(ItkAckShapeTest, BusinessAckAsTestWrappedBusack) {
  auto ours = XmlTree::parse(business_ack(context_, true));
  auto theirs = XmlTree::parse(read_ref("ciao-transport-itk/test-wrapped-busack.xml"));
  ASSERT_TRUE(ours);
  ASSERT_TRUE(theirs);
  // The DistributionEnvelope header is the same shape.
  EXPECT_EQ(shape_of(find(ours->root(), "header")), shape_of(find(theirs->root(), "header")));
  // The BusinessResponseMessage has every element the example has, except the example's
  // templateIds and its author device's organisation (ours names caregw as the device).
  std::set<std::string> expected;
  for (const auto& p : shape_of(find(theirs->root(), "BusinessResponseMessage"))) {
    if (p.find("templateId") == std::string::npos &&
        p.find("representedOrganization") == std::string::npos) {
      expected.insert(p);
    }
  }
  const auto got = shape_of(find(ours->root(), "BusinessResponseMessage"));
  for (const auto& p : expected) {
    EXPECT_TRUE(got.count(p)) << "missing " << p;
  }
  const xmlNode* by3 = find(ours->root(), "acknowledgedBy3");
  EXPECT_EQ(attr(by3, "typeCode").value_or(""), "AA");
  EXPECT_EQ(attr(find(by3, "id"), "root").value_or(""), "217D1168-7F0B-4F31-A0A9-5B030E545FAE");
}

}  // namespace
}  // namespace gw::adapters::itk
