// The EMIS extract's XML reader (adapters/emis/xml_reader.hpp): what it reads, and that every
// refusal says what was wrong, at which element and on which line.
#include "adapters/emis/xml_reader.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace gw::adapters::emis::xml {
namespace {

constexpr std::size_t kDepth = 32;

/** child: the first element child of `n` named `name` (nullptr if none). */
const XmlNode* child(const XmlNode* n, std::string_view name) {
  for (const XmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->name == name) {
      return c;
    }
  }
  return nullptr;
}

/** refusal: read_xml's error detail for `xml` (fails the test if it was read). */
std::string refusal(const std::string& xml) {
  auto d = read_xml(xml, kDepth);
  EXPECT_FALSE(d) << xml;
  if (d) {
    return {};
  }
  EXPECT_EQ(d.error().code, Errc::kBadRequest);
  return d.error().detail;
}

TEST(XmlReaderTest, ReadsElementsTextAndReferences) {
  const std::string xml =
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<!-- an extract --><?note x?>\n"
      "<e:MedicalRecord xmlns:e=\"urn:example\" xmlns=\"urn:default\">\n"
      "  <e:ExtractHeader><e:ExtractID> 5B1E </e:ExtractID></e:ExtractHeader>\n"
      "  <Term>a &amp; b &lt;c&gt; &apos;&quot; &#65;&#x1F600;</Term>\n"
      "  <Mixed>x<!--c-->y<?pi z?><![CDATA[<&>]]>\r\nz\rw</Mixed>\n"
      "  <Empty/><Caf\xC3\xA9>caf\xC3\xA9</Caf\xC3\xA9>\n"
      "</e:MedicalRecord>\n<!-- after -->\n";
  auto d = read_xml(xml, kDepth);
  ASSERT_TRUE(d) << d.error().detail;
  const XmlNode* root = d->root();
  EXPECT_EQ(root->name, "MedicalRecord");
  EXPECT_EQ(root->text, "");  // an element with element children keeps no text
  const XmlNode* id = child(child(root, "ExtractHeader"), "ExtractID");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->text, " 5B1E ");
  // Text that needs no decoding is a view of the input itself.
  EXPECT_GE(id->text.data(), xml.data());
  EXPECT_LT(id->text.data(), xml.data() + xml.size());
  EXPECT_EQ(child(root, "Term")->text, "a & b <c> '\" A\xF0\x9F\x98\x80");
  EXPECT_EQ(child(root, "Mixed")->text, "xy<&>\nz\nw");
  EXPECT_EQ(child(root, "Empty")->text, "");
  EXPECT_EQ(child(root, "Caf\xC3\xA9")->text, "caf\xC3\xA9");
  EXPECT_EQ(d->line_of(child(root, "Term")->offset), 5U);
}

// The scans that find a name's end and the next byte of text to look at closely read 16 bytes at
// a time; each byte value, at each place in and past a block, must stop them exactly where the
// byte-by-byte rules (XML 1.0 [4a] NameChar in ASCII without ':'; markup, references, ']', CR,
// other control characters and non-ASCII in text) would.
TEST(XmlReaderTest, TheBlockScansStopWhereTheByteRulesDo) {
  const auto name_byte = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  };
  const auto stop = [](unsigned char c) {
    return (c < 0x20 && c != '\t' && c != '\n') || c >= 0x80 || c == '<' || c == '&' || c == ']';
  };
  for (unsigned value = 0; value < 256; ++value) {
    const auto c = static_cast<char>(value);
    for (const std::size_t at : {0, 1, 7, 15, 16, 17, 31, 32, 40}) {
      std::string names(48, 'n');  // a name byte, and no stop
      names[at] = c;
      EXPECT_EQ(scan::name_end(names.data(), 0, names.size()),
                name_byte(static_cast<unsigned char>(c)) ? names.size() : at)
          << "byte " << value << " at " << at;
      std::string text(48, ' ');
      text[at] = c;
      EXPECT_EQ(scan::stop_at(text.data(), 0, text.size()),
                stop(static_cast<unsigned char>(c)) ? at : text.size())
          << "byte " << value << " at " << at;
      // Started past the byte, or with the input ending before it, neither scan sees it.
      EXPECT_EQ(scan::name_end(names.data(), at + 1, names.size()), names.size());
      EXPECT_EQ(scan::stop_at(text.data(), 0, at), at);
    }
  }
}

TEST(XmlReaderTest, RefusesADoctypeBeforeAnyEntityIsDeclared) {
  const std::string detail = refusal(
      "<?xml version=\"1.0\"?>\n<!DOCTYPE MedicalRecord [<!ENTITY x SYSTEM "
      "\"file:///etc/passwd\">]>\n<MedicalRecord>&x;</MedicalRecord>");
  EXPECT_EQ(detail,
            "/: a DOCTYPE is not allowed in an EMIS extract (line 2): DTDs and entity "
            "declarations are refused");
  EXPECT_NE(refusal("<a>\n<!DOCTYPE a></a>").find("/a: a DOCTYPE is not allowed"),
            std::string::npos);
}

TEST(XmlReaderTest, RefusesExternalAndUnknownEntities) {
  // Without a DOCTYPE no entity can be declared: &x; (as an XXE payload would use it) and any
  // other name but the five predefined ones are refused where they appear.
  const std::string detail = refusal(
      "<MedicalRecord>\n<ExtractHeader><ExtractID>&x;</ExtractID></ExtractHeader>"
      "</MedicalRecord>");
  EXPECT_EQ(detail,
            "/MedicalRecord/ExtractHeader/ExtractID: XML is not well-formed at line 2: a "
            "reference to an undeclared entity (only &amp; &lt; &gt; &apos; &quot; and character "
            "references are allowed)");
  EXPECT_TRUE(refusal("<a>&amp</a>").starts_with("/a: XML is not well-formed at line 1: '&'"));
  EXPECT_TRUE(refusal("<a>&#0;</a>")
                  .starts_with("/a: XML is not well-formed at line 1: a "
                               "character reference"));
  EXPECT_TRUE(refusal("<a>&#xD800;</a>").starts_with("/a: XML is not well-formed at line 1"));
  EXPECT_TRUE(refusal("<a b=\"&lol;\"/>").starts_with("/: XML is not well-formed at line 1"));
}

TEST(XmlReaderTest, RefusesMismatchedAndUnclosedTags) {
  EXPECT_EQ(refusal("<MedicalRecord>\n<EventList><Event></Event><Event>\n</EventList>"),
            "/MedicalRecord/EventList/Event[2]: XML is not well-formed at line 3: the end tag "
            "</EventList> does not match the element open here (opened at line 2)");
  EXPECT_EQ(refusal("<MedicalRecord><Registration>"),
            "/MedicalRecord/Registration: XML is not well-formed at line 1: the element is not "
            "closed (the input ends inside it)");
  EXPECT_TRUE(refusal("<a></a ").starts_with("/a: XML is not well-formed at line 1"));
}

TEST(XmlReaderTest, RefusesBytesThatAreNotUtf8AndForbiddenCharacters) {
  const std::vector<std::string> bad{
      "\xC3\x28",          // a lead byte without its continuation
      "\xC0\xAF",          // an overlong '/'
      "\xED\xA0\x80",      // a UTF-16 surrogate
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xFF",
  };
  for (const std::string& b : bad) {
    EXPECT_EQ(refusal("<MedicalRecord>\n<Term>x" + b + "</Term></MedicalRecord>"),
              "/MedicalRecord/Term: XML is not well-formed at line 2: bytes that are not UTF-8");
  }
  EXPECT_EQ(refusal("<a>\x01</a>"),
            "/a: XML is not well-formed at line 1: a character XML does not allow (U+0001)");
  EXPECT_EQ(refusal("<a>\xEF\xBF\xBE</a>"),
            "/a: XML is not well-formed at line 1: a character XML does not allow (U+FFFE)");
  EXPECT_TRUE(refusal("<a><!-- \x02 --></a>").starts_with("/a: XML is not well-formed"));
}

TEST(XmlReaderTest, RefusesNestingDeeperThanTheBound) {
  std::string deep = "<MedicalRecord>";
  for (int i = 0; i < 100000; ++i) {
    deep += "<a>";
  }
  const std::string detail = refusal(deep);
  EXPECT_TRUE(detail.starts_with("/MedicalRecord/a/a/")) << detail;
  EXPECT_TRUE(detail.ends_with("/a: XML nesting is deeper than 32 levels at line 1")) << detail;
  std::string ok = "<a>";
  for (int i = 1; i < 32; ++i) {
    ok += "<a>";
  }
  for (int i = 0; i < 32; ++i) {
    ok += "</a>";
  }
  EXPECT_TRUE(read_xml(ok, kDepth));
}

TEST(XmlReaderTest, RefusesRepeatedAttributesAndBadAttributeSyntax) {
  EXPECT_EQ(refusal("<MedicalRecord>\n<Event status=\"a\" status='b'/></MedicalRecord>"),
            "/MedicalRecord/Event: XML is not well-formed at line 2: an attribute appears twice "
            "in the start tag");
  EXPECT_TRUE(refusal("<a b=c/>")
                  .starts_with("/a: XML is not well-formed at line 1: an "
                               "attribute value must be quoted"));
  EXPECT_TRUE(refusal("<a b=\"<\"/>").starts_with("/a: XML is not well-formed at line 1: '<'"));
  EXPECT_TRUE(refusal("<a b=\"1\"c=\"2\"/>").starts_with("/a: XML is not well-formed"));
}

TEST(XmlReaderTest, RefusesTextAndElementsOutsideTheRoot) {
  EXPECT_EQ(refusal("<MedicalRecord/>\nnot markup"),
            "/: XML is not well-formed at line 2: text or markup after the root element");
  EXPECT_EQ(refusal("text <MedicalRecord/>"),
            "/: XML is not well-formed at line 1: text or markup before the root element");
  EXPECT_EQ(refusal("<MedicalRecord/><MedicalRecord/>"),
            "/: XML is not well-formed at line 1: a second element after the root element");
  EXPECT_EQ(refusal("<!-- only a comment -->"),
            "/: XML is not well-formed at line 1: the document has no root element");
}

TEST(XmlReaderTest, RefusesOtherMalformedMarkup) {
  EXPECT_TRUE(refusal("<a>]]></a>").starts_with("/a: XML is not well-formed at line 1: ']]>'"));
  EXPECT_TRUE(refusal("<a><!-- x -- y --></a>").find("'--' inside a comment") != std::string::npos);
  EXPECT_TRUE(refusal("<a><?xml version=\"1.0\"?></a>").starts_with("/a: XML is not"));
  EXPECT_TRUE(refusal("<?xml version=\"2.0\"?><a/>").find("XML declaration") != std::string::npos);
  EXPECT_TRUE(refusal("<a><![CDATA[x</a>").find("CDATA section is not closed") !=
              std::string::npos);
  EXPECT_EQ(refusal("<e:a/>"),
            "/a: XML is not well-formed at line 1: an element prefix with no namespace "
            "declaration in scope");
  EXPECT_TRUE(refusal("<a xmlns:p=\"\"/>").find("empty name") != std::string::npos);
  EXPECT_TRUE(refusal("<a:b:c xmlns:a=\"u\"/>").find("misplaced ':'") != std::string::npos);
}

}  // namespace
}  // namespace gw::adapters::emis::xml
