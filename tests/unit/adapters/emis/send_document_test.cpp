// The "gp-connect-send-document" renderer: correspondence to the registered practice as an ITK3
// GP Connect Send Document message, compared with the published example
// ../shared/reference/gpconnect-send-document-update-record/example-generic-wireframe-moe-degrasse.xml
// (message structure, event, handling extension) on synthetic messages (invented patients).
#include <string>

#include <gtest/gtest.h>

#include "adapters/emis/emis.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/xml.hpp"
#include "gateway/ingest/ingest.hpp"
#include "tests/unit/adapters/emis/emis_test_support.hpp"

namespace gw::adapters::emis {
namespace {

using test::ods;

ingest::TranslatedMessage discharge() {
  ingest::TranslatedMessage m;
  m.kind = "discharge-summary";
  m.sender_message_id = "msg-42";
  m.resources.push_back({"Patient", "p1",
                         R"({"resourceType":"Patient","id":"p1","name":[{"family":"Quillfeather",)"
                         R"("given":["Odette"]}],"gender":"female","birthDate":"1948-09-17"})",
                         false});
  m.resources.push_back(
      {"Composition", "c1",
       R"({"resourceType":"Composition","id":"c1","status":"final","title":"Discharge summary",)"
       R"("type":{"coding":[{"system":"http://snomed.info/sct","code":"373942005",)"
       R"("display":"Discharge summary"}]},"date":"2026-11-25T14:00:00Z",)"
       R"("section":[{"title":"Plan","text":{"status":"generated",)"
       R"("div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Review in clinic <b>6 weeks</b></p></div>"}}]})",
       false});
  m.resources.push_back(
      {"Condition", "d1",
       R"({"resourceType":"Condition","id":"d1","code":{"coding":[{"system":"http://snomed.info/sct",)"
       R"("code":"194828000","display":"Angina pectoris"}]},"onsetDateTime":"2026-11-20"})",
       false});
  return m;
}

ingest::RenderRequest request(const ingest::TranslatedMessage& m) {
  ingest::RenderRequest r{.message = &m, .sender = ods("Z9A01"), .recipient = ods("Z90001")};
  r.nhs_number = "9990040028";
  r.outbound_message_id = "7d3c2a10-5b4e-4f61-9a8b-0c1d2e3f4a5b";
  r.timestamp = "2026-11-26T16:30:00Z";
  return r;
}

/** base64_decode: the inverse of the renderer's encoding (test-only, no padding errors). */
std::string base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z')
      return c - 'A';
    if (c >= 'a' && c <= 'z')
      return c - 'a' + 26;
    if (c >= '0' && c <= '9')
      return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0)
      continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

const rapidjson::Value* resource_of(const rapidjson::Value& bundle, std::string_view type) {
  for (const auto& e : bundle["entry"].GetArray()) {
    if (std::string_view(e["resource"]["resourceType"].GetString()) == type) {
      return &e["resource"];
    }
  }
  return nullptr;
}

TEST(SendDocumentTest, RendersAnItk3SendDocumentMessageShapedLikeThePublishedExample) {
  auto renderer = make_send_document_renderer();
  EXPECT_EQ(renderer->format(), "gp-connect-send-document");
  auto m = discharge();
  auto out = renderer->render(request(m));
  ASSERT_TRUE(out) << out.error().detail;
  EXPECT_EQ(out->content_type, "application/fhir+xml; fhirVersion=3.0");
  auto ours = fhir::xml_to_json(out->payload, fhir::FhirVersion::kStu3);
  ASSERT_TRUE(ours) << ours.error().detail;

  // Source: gpconnect-send-document-update-record/example-generic-wireframe-moe-degrasse.xml
  auto theirs = fhir::xml_to_json(
      test::reference(
          "gpconnect-send-document-update-record/example-generic-wireframe-moe-degrasse.xml"),
      fhir::FhirVersion::kStu3);
  ASSERT_TRUE(theirs) << theirs.error().detail;
  for (const auto* b : {&*ours, &*theirs}) {
    EXPECT_STREQ((*b)["type"].GetString(), "message");
    EXPECT_STREQ((*b)["meta"]["profile"][0].GetString(),
                 (*theirs)["meta"]["profile"][0].GetString());
  }
  const auto& h = (*ours)["entry"][0]["resource"];
  const auto& th = (*theirs)["entry"][0]["resource"];
  ASSERT_STREQ(h["resourceType"].GetString(), "MessageHeader");  // the header comes first
  EXPECT_STREQ(h["event"]["system"].GetString(), th["event"]["system"].GetString());
  EXPECT_STREQ(h["event"]["code"].GetString(), "ITK007C");
  EXPECT_STREQ(h["extension"][0]["url"].GetString(), th["extension"][0]["url"].GetString());
  const auto& handling = h["extension"][0]["extension"];
  const auto& their_handling = th["extension"][0]["extension"];
  ASSERT_EQ(handling.Size(), their_handling.Size());
  for (rapidjson::SizeType i = 0; i < handling.Size(); ++i) {
    EXPECT_STREQ(handling[i]["url"].GetString(), their_handling[i]["url"].GetString());
  }
  EXPECT_STREQ(handling[3]["valueReference"]["reference"].GetString(),
               their_handling[3]["valueReference"]["reference"].GetString());  // MessageDefinition
  EXPECT_STREQ(h["destination"][0]["endpoint"].GetString(), "Z90001");
  EXPECT_STREQ(h["timestamp"].GetString(), "2026-11-26T16:30:00Z");

  // The focus is the document: Composition first, the patient with the NHS number, a Binary.
  const auto* doc = resource_of(*ours, "Bundle");
  ASSERT_NE(doc, nullptr);
  EXPECT_STREQ((*doc)["type"].GetString(), "document");
  EXPECT_STREQ((*doc)["entry"][0]["resource"]["resourceType"].GetString(), "Composition");
  const auto& comp = (*doc)["entry"][0]["resource"];
  EXPECT_STREQ(comp["title"].GetString(), "Discharge summary");
  EXPECT_STREQ(comp["type"]["coding"][0]["code"].GetString(), "373942005");
  const auto* patient = resource_of(*doc, "Patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_STREQ((*patient)["identifier"][0]["value"].GetString(), "9990040028");
  const auto* binary = resource_of(*doc, "Binary");
  ASSERT_NE(binary, nullptr);
  EXPECT_STREQ((*binary)["contentType"].GetString(), "text/html");
  std::string html = base64_decode((*binary)["content"].GetString());
  EXPECT_NE(html.find("<h2>Plan</h2>"), std::string::npos);
  EXPECT_NE(html.find("Review in clinic"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);              // narrative is re-rendered as text
  EXPECT_NE(html.find("Angina pectoris"), std::string::npos);  // the structured summary
}

TEST(SendDocumentTest, SameMessageRendersTheSameBytes) {
  auto renderer = make_send_document_renderer();
  auto m = discharge();
  auto a = renderer->render(request(m));
  auto b = renderer->render(request(m));
  ASSERT_TRUE(a && b) << (a ? std::string() : a.error().detail);
  EXPECT_EQ(a->payload, b->payload);
}

TEST(SendDocumentTest, TheSendersOwnAttachmentIsPassedOn) {
  ingest::TranslatedMessage m;
  m.kind = "ambulance-handover";
  m.resources.push_back(
      {"DocumentReference", "dr1",
       R"({"resourceType":"DocumentReference","id":"dr1","status":"current",)"
       R"("content":[{"attachment":{"contentType":"application/pdf","data":"JVBERi0xLjMK"}}]})",
       false});
  auto out = make_send_document_renderer()->render(request(m));
  ASSERT_TRUE(out) << out.error().detail;
  auto j = fhir::xml_to_json(out->payload, fhir::FhirVersion::kStu3);
  ASSERT_TRUE(j);
  const auto* doc = resource_of(*j, "Bundle");
  const auto* binary = resource_of(*doc, "Binary");
  ASSERT_NE(binary, nullptr);
  EXPECT_STREQ((*binary)["contentType"].GetString(), "application/pdf");
  EXPECT_STREQ((*binary)["content"].GetString(), "JVBERi0xLjMK");
  EXPECT_STREQ((*doc)["entry"][0]["resource"]["title"].GetString(), "Ambulance patient report");
}

TEST(SendDocumentTest, NothingToCarryIsUnprocessable) {
  ingest::TranslatedMessage empty;
  auto r = request(empty);
  auto out = make_send_document_renderer()->render(r);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::kUnprocessable);
  r.message = nullptr;
  EXPECT_FALSE(make_send_document_renderer()->render(r));
}

}  // namespace
}  // namespace gw::adapters::emis

namespace gw::adapters::emis {
namespace {

/** itk_response: a synthetic ITK3 response (ITK008M) to `id`, with one ITK response code. */
std::string itk_response(const std::string& id, const std::string& code,
                         const std::string& itk_code) {
  return R"({"resourceType":"Bundle","id":"r1","type":"message","entry":[
    {"fullUrl":"urn:uuid:5a3e1c2b-0d4f-4e6a-8b7c-9d0e1f2a3b4c","resource":{"resourceType":"MessageHeader",
      "id":"5a3e1c2b-0d4f-4e6a-8b7c-9d0e1f2a3b4c",
      "event":{"system":"https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2","code":"ITK008M","display":"ITK Response"},
      "timestamp":"2026-11-26T16:31:00Z","source":{"endpoint":"Z90001"},
      "response":{"identifier":")" +
         id + R"(","code":")" + code + R"(",
        "details":{"reference":"urn:uuid:6b4f2d3c-1e5a-4f7b-9c8d-0e1f2a3b4c5d"}}}},
    {"fullUrl":"urn:uuid:6b4f2d3c-1e5a-4f7b-9c8d-0e1f2a3b4c5d","resource":{"resourceType":"OperationOutcome",
      "id":"6b4f2d3c-1e5a-4f7b-9c8d-0e1f2a3b4c5d","issue":[{"severity":"information","code":"informational",
      "details":{"coding":[{"system":"https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1",
      "code":")" +
         itk_code + R"("}]}}]}}]})";
}

TEST(ItkResponseTest, AnOkResponseNamesTheMessageWeSent) {
  // Codes:
  // ../shared/reference/gpconnect-send-document-update-record/CodeSystem-ITK-ResponseCodes-1.xml
  auto m = discharge();
  auto sent = make_send_document_renderer()->render(request(m));
  ASSERT_TRUE(sent);
  auto j = fhir::xml_to_json(sent->payload, fhir::FhirVersion::kStu3);
  ASSERT_TRUE(j);
  const std::string header_id = (*j)["entry"][0]["resource"]["id"].GetString();
  EXPECT_EQ(header_id, request(m).outbound_message_id);

  auto r = read_itk_response(itk_response(header_id, "ok", "20013"));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->in_reply_to, header_id);
  EXPECT_EQ(r->outcome, ItkResponse::Outcome::kOk);
  ASSERT_EQ(r->codes.size(), 1u);
  EXPECT_EQ(r->codes[0].code, "20013");  // Success
}

TEST(ItkResponseTest, XmlResponsesAndErrorsAreRead) {
  auto json = fhir::parse_json(
      itk_response("7d3c2a10-5b4e-4f61-9a8b-0c1d2e3f4a5b", "fatal-error", "20009"));
  ASSERT_TRUE(json);
  auto xml = fhir::json_to_xml(*json, fhir::FhirVersion::kStu3);
  ASSERT_TRUE(xml) << xml.error().detail;
  auto r = read_itk_response(*xml);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->outcome, ItkResponse::Outcome::kFatalError);
  EXPECT_EQ(r->codes[0].code, "20009");  // Payload validation failure
  auto t = read_itk_response(itk_response("x", "transient-error", "10002"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->outcome, ItkResponse::Outcome::kTransientError);
}

TEST(ItkResponseTest, WhatIsNotAnItkResponseIsRefusedWithTheElement) {
  auto wrong_event = itk_response("x", "ok", "20013");
  wrong_event.replace(wrong_event.find("ITK008M"), 7, "ITK007C");
  auto r = read_itk_response(wrong_event);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().detail.starts_with("Bundle.entry[0].resource.event: ")) << r.error().detail;
  auto bad_code = read_itk_response(itk_response("x", "maybe", "20013"));
  ASSERT_FALSE(bad_code);
  EXPECT_TRUE(bad_code.error().detail.starts_with("Bundle.entry[0].resource.response.code: "));
  EXPECT_FALSE(read_itk_response("<Bundle"));
  EXPECT_FALSE(read_itk_response(R"({"resourceType":"Bundle","type":"document","entry":[]})"));
}

TEST(ItkResponseTest, TheRendererReadsTheAnswerToItsOwnMessageOnly) {
  // What the delivery worker does with a practice's answer to a Send Document message: ok is
  // delivered, transient-error is tried again, fatal-error goes to the dead-letter queue with
  // the ITK response code (ITK-ResponseCodes-1, from the public CodeSystem named above).
  const auto renderer = make_send_document_renderer();
  const std::string id = "7d3c2a10-5b4e-4f61-9a8b-0c1d2e3f4a5b";
  using Verdict = ingest::BusinessAnswer::Verdict;
  auto ok = renderer->read_answer(id, itk_response(id, "ok", "20013"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->verdict, Verdict::kAccepted);
  EXPECT_EQ(ok->detail, "ITK3 response ok: 20013");
  auto again = renderer->read_answer(id, itk_response(id, "transient-error", "10002"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->verdict, Verdict::kRetry);
  auto refused = renderer->read_answer(id, itk_response(id, "fatal-error", "20009"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->verdict, Verdict::kRefused);
  EXPECT_EQ(refused->detail, "ITK3 response fatal-error: 20009");
  // Another message's response, a body that is not a response, or none say nothing.
  EXPECT_FALSE(renderer->read_answer("another-id", itk_response(id, "fatal-error", "20009")));
  EXPECT_FALSE(renderer->read_answer(id, R"({"resourceType":"OperationOutcome"})"));
  EXPECT_FALSE(renderer->read_answer(id, " \r\n"));
}

TEST(ItkResponseTest, TheDeliveryWorkerTurnsTheAnswerIntoTheOutcome) {
  const auto renderer = make_send_document_renderer();
  const std::vector<const ingest::OutboundRenderer*> renderers{renderer.get()};
  store::OutboxEntry m{store::OutboxId{1}, std::nullopt, *OdsCode::parse("Z90001")};
  m.idempotency_key = "7d3c2a10-5b4e-4f61-9a8b-0c1d2e3f4a5b";
  m.format = "gp-connect-send-document";
  routing::SendResult sent{
      routing::SendStatus::kDelivered, {}, itk_response(m.idempotency_key, "fatal-error", "20009")};
  auto dead = ingest::read_delivery_answer(renderers, m, sent);
  ASSERT_TRUE(dead);
  EXPECT_EQ(dead->status, routing::SendStatus::kPermanent);
  EXPECT_EQ(dead->error, "ITK3 response fatal-error: 20009");
  sent.response = itk_response(m.idempotency_key, "transient-error", "10002");
  auto retry = ingest::read_delivery_answer(renderers, m, sent);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, routing::SendStatus::kRetry);
  sent.response = itk_response(m.idempotency_key, "ok", "20013");
  auto delivered = ingest::read_delivery_answer(renderers, m, sent);
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->status, routing::SendStatus::kDelivered);
  // A message queued in a format without business answers (or before formats were kept).
  m.format = "fhir-r4";
  EXPECT_FALSE(ingest::read_delivery_answer(renderers, m, sent));
  m.format.clear();
  EXPECT_FALSE(ingest::read_delivery_answer(renderers, m, sent));
}

}  // namespace
}  // namespace gw::adapters::emis
