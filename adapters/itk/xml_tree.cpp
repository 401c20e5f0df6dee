// The ITK adapters' XML parse: the same locked-down libxml2 settings as gateway/fhir/xml.cpp (no
// DTD, no entity substitution, no network, a depth bound checked as elements open, errors caught
// on the parser context and never printed), plus small read-only tree helpers.
#include "adapters/itk/xml_tree.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <mutex>
#include <source_location>
#include <utility>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/xmlversion.h>

namespace gw::adapters::itk {
namespace {

std::string_view sv(const xmlChar* s) {
  return s == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(s));
}

Error bad_request(std::string detail,
                  std::source_location where = std::source_location::current()) {
  return make_error(Errc::kBadRequest, std::move(detail), where);
}

void init_libxml_once() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

/** ParseState: what the SAX hooks saw, reached through the parser context's _private. */
struct ParseState {
  std::size_t max_depth = 0;
  std::size_t depth = 0;
  bool doctype = false;
  bool too_deep = false;
  long stop_line = 0;
  std::string message;  // the first error libxml2 reported, first line only
  long message_line = 0;
  startElementNsSAX2Func start = nullptr;
  endElementNsSAX2Func end = nullptr;
};

ParseState& state_of(void* ctx) {
  return *static_cast<ParseState*>(static_cast<xmlParserCtxt*>(ctx)->_private);
}

void on_start(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri,
              int nb_namespaces, const xmlChar** namespaces, int nb_attributes, int nb_defaulted,
              const xmlChar** attributes) {
  ParseState& st = state_of(ctx);
  if (++st.depth > st.max_depth) {
    st.too_deep = true;
    st.stop_line = xmlSAX2GetLineNumber(ctx);
    xmlStopParser(static_cast<xmlParserCtxt*>(ctx));
    return;
  }
  st.start(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
           attributes);
}

void on_end(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri) {
  ParseState& st = state_of(ctx);
  if (st.depth > 0) {
    --st.depth;
  }
  st.end(ctx, localname, prefix, uri);
}

// SOAP 1.1 forbids a DTD in a message (SOAP 1.1 section 3: "A SOAP message MUST NOT contain a
// Document Type Declaration"), so refusing it at its start means no entity is ever declared,
// expanded ("billion laughs") or fetched (XXE).
void on_doctype(void* ctx, const xmlChar* /*name*/, const xmlChar* /*external_id*/,
                const xmlChar* /*system_id*/) {
  ParseState& st = state_of(ctx);
  st.doctype = true;
  st.stop_line = xmlSAX2GetLineNumber(ctx);
  xmlStopParser(static_cast<xmlParserCtxt*>(ctx));
}

#if LIBXML_VERSION >= 21200
void on_error(void* ctx, const xmlError* err) {
#else
void on_error(void* ctx, xmlError* err) {
#endif
  if (ctx == nullptr || err == nullptr || err->level < XML_ERR_ERROR) {
    return;
  }
  ParseState& st = state_of(ctx);
  if (st.message.empty() && err->message != nullptr) {
    std::string_view m(err->message);
    m = m.substr(0, m.find('\n'));  // later lines may quote input bytes
    if (m.size() > 200) {
      // Cut on a character boundary: the text goes into XML replies, which must stay UTF-8.
      std::size_t cut = 200;
      while (cut > 0 && (static_cast<unsigned char>(m[cut]) & 0xC0) == 0x80) {
        --cut;
      }
      m = m.substr(0, cut);
    }
    st.message = std::string(m);
    st.message_line = err->line;
  }
}

/** check_utf8: only UTF-8 is read (the ITK and CDA examples all are); see gateway/fhir/xml.cpp. */
Result<void> check_utf8(std::string_view s) {
  if (s.starts_with("\xEF\xBB\xBF")) {
    s.remove_prefix(3);
  }
  if (s.empty() || (s[0] != '<' && s[0] != ' ' && s[0] != '\t' && s[0] != '\r' && s[0] != '\n') ||
      (s.size() > 1 && s[1] == '\0')) {
    return bad_request("XML document is not UTF-8");
  }
  if (!s.starts_with("<?xml")) {
    return {};
  }
  std::string_view decl = s.substr(0, std::min<std::size_t>(s.find("?>"), 512));
  std::size_t pos = decl.find("encoding");
  if (pos == std::string_view::npos) {
    return {};
  }
  decl.remove_prefix(pos + 8);
  while (!decl.empty() && (decl[0] == ' ' || decl[0] == '=' || decl[0] == '\t' || decl[0] == '\r' ||
                           decl[0] == '\n')) {
    decl.remove_prefix(1);
  }
  if (decl.empty() || (decl[0] != '"' && decl[0] != '\'')) {
    return {};
  }
  const char quote = decl[0];
  decl.remove_prefix(1);
  std::string name(decl.substr(0, decl.find(quote)));
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  if (name != "UTF-8" && name != "UTF8") {
    return bad_request("XML document declares an encoding other than UTF-8");
  }
  return {};
}

struct CtxtFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};

}  // namespace

Result<XmlTree> XmlTree::parse(std::string_view text, const XmlLimits& limits) {
  init_libxml_once();
  if (text.size() > limits.max_bytes || text.size() > static_cast<std::size_t>(INT_MAX)) {
    return bad_request("XML document is larger than " + std::to_string(limits.max_bytes) +
                       " bytes");
  }
  if (text.empty()) {
    return bad_request("XML document is empty");
  }
  if (auto r = check_utf8(text); !r) {
    return r.error();
  }
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(
      xmlCreateMemoryParserCtxt(text.data(), static_cast<int>(text.size())));
  if (!ctxt || ctxt->sax == nullptr) {
    return make_error(Errc::kInternal, "cannot create an XML parser");
  }
  int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | XML_PARSE_NOERROR |
                XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC;
#if LIBXML_VERSION >= 21300
  options |= XML_PARSE_NO_XXE;
#endif
  xmlCtxtUseOptions(ctxt.get(), options);
  ParseState st;
  st.max_depth = limits.max_depth;
  st.start = ctxt->sax->startElementNs;
  st.end = ctxt->sax->endElementNs;
  if (st.start == nullptr || st.end == nullptr) {
    return make_error(Errc::kInternal, "XML parser is not in SAX2 mode");
  }
  ctxt->_private = &st;
  ctxt->sax->startElementNs = on_start;
  ctxt->sax->endElementNs = on_end;
  ctxt->sax->internalSubset = on_doctype;
  ctxt->sax->externalSubset = on_doctype;
  ctxt->sax->serror = on_error;
  ctxt->sax->warning = nullptr;

  xmlParseDocument(ctxt.get());
  XmlTree tree(ctxt->myDoc);
  ctxt->myDoc = nullptr;
  const bool well_formed = ctxt->wellFormed != 0;
  ctxt.reset();

  if (st.doctype) {
    return bad_request("a DOCTYPE is not allowed (line " + std::to_string(st.stop_line) +
                       "): DTDs and entity declarations are refused");
  }
  if (st.too_deep) {
    return bad_request("XML nesting is deeper than " + std::to_string(limits.max_depth) +
                       " levels at line " + std::to_string(st.stop_line));
  }
  if (!well_formed || !tree.doc_) {
    return bad_request("XML is not well-formed at line " + std::to_string(st.message_line) + ": " +
                       (st.message.empty() ? std::string("parse failed") : st.message));
  }
  if (tree.root() == nullptr) {
    return bad_request("XML document has no root element");
  }
  return tree;
}

bool is(const xmlNode* n, std::string_view ns, std::string_view local) {
  return n != nullptr && n->type == XML_ELEMENT_NODE && local_name(n) == local && ns_of(n) == ns;
}

std::string_view local_name(const xmlNode* n) { return sv(n->name); }

std::string_view ns_of(const xmlNode* n) {
  return n->ns != nullptr ? sv(n->ns->href) : std::string_view{};
}

const xmlNode* child(const xmlNode* n, std::string_view ns, std::string_view local) {
  if (n == nullptr) {
    return nullptr;
  }
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (is(c, ns, local)) {
      return c;
    }
  }
  return nullptr;
}

std::vector<const xmlNode*> children(const xmlNode* n, std::string_view ns,
                                     std::string_view local) {
  std::vector<const xmlNode*> out;
  if (n == nullptr) {
    return out;
  }
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (is(c, ns, local)) {
      out.push_back(c);
    }
  }
  return out;
}

std::vector<const xmlNode*> elements(const xmlNode* n) {
  std::vector<const xmlNode*> out;
  if (n == nullptr) {
    return out;
  }
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      out.push_back(c);
    }
  }
  return out;
}

const xmlNode* path(const xmlNode* n, std::string_view ns,
                    std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    n = child(n, ns, name);
    if (n == nullptr) {
      return nullptr;
    }
  }
  return n;
}

std::optional<std::string> attr(const xmlNode* n, std::string_view name, std::string_view ns) {
  if (n == nullptr) {
    return std::nullopt;
  }
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    std::string_view a_ns = a->ns != nullptr ? sv(a->ns->href) : std::string_view{};
    if (sv(a->name) == name && a_ns == ns) {
      std::string out;
      for (const xmlNode* t = a->children; t != nullptr; t = t->next) {
        out += sv(t->content);
      }
      return out;
    }
  }
  return std::nullopt;
}

std::string text(const xmlNode* n) {
  if (n == nullptr) {
    return {};
  }
  xmlChar* content = xmlNodeGetContent(n);
  std::string out(sv(content));
  xmlFree(content);
  const auto first = out.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return {};
  }
  const auto last = out.find_last_not_of(" \t\r\n");
  return out.substr(first, last - first + 1);
}

long line(const xmlNode* n) { return n == nullptr ? 0 : xmlGetLineNo(n); }

Result<std::string> serialize(const xmlNode* n) {
  struct Free {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
  };
  std::unique_ptr<xmlDoc, Free> doc(xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0")));
  if (!doc) {
    return make_error(Errc::kInternal, "cannot create an XML document");
  }
  // xmlDocCopyNode copies the namespaces the subtree uses (declared on ancestors) onto the copy,
  // so the payload stands alone as it did inside the envelope.
  xmlNode* copy = xmlDocCopyNode(const_cast<xmlNode*>(n), doc.get(), 1);
  if (copy == nullptr) {
    return make_error(Errc::kInternal, "cannot copy an XML element");
  }
  xmlDocSetRootElement(doc.get(), copy);
  xmlReconciliateNs(doc.get(), copy);
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc.get(), &mem, &size, "UTF-8");
  if (mem == nullptr) {
    return make_error(Errc::kInternal, "cannot write an XML document");
  }
  std::string out(reinterpret_cast<const char*>(mem), static_cast<std::size_t>(size));
  xmlFree(mem);
  return out;
}

std::string escape_xml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 cannot carry C0 controls other than tab, LF and CR.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace gw::adapters::itk
