// FHIR XML <-> JSON. Parsing: libxml2 builds a tree under a locked-down parser context (no DTD,
// no entities, no network, depth bound checked as elements open); the tree is then walked against
// the element table (schema.hpp). Writing: JSON is walked in the table's order and XML text is
// produced directly; Narrative.div is re-parsed with the same settings and written canonically.
#include "gateway/fhir/xml.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <source_location>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

namespace gw::fhir {
namespace {

constexpr std::string_view kFhirNs = "http://hl7.org/fhir";
constexpr std::string_view kXhtmlNs = "http://www.w3.org/1999/xhtml";
constexpr std::string_view kXsiNs = "http://www.w3.org/2001/XMLSchema-instance";
constexpr std::size_t kMaxNameInMessage = 64;

// ---- small helpers ------------------------------------------------------------------------------

std::string_view sv(const xmlChar* s) {
  return s == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(s));
}

/** bad_request: a kBadRequest error located where it was raised, not here. */
Error bad_request(std::string detail,
                  std::source_location where = std::source_location::current()) {
  return make_error(Errc::kBadRequest, std::move(detail), where);
}

/** shown: a name from the input, safe to put in an error (names are not PHI, but bound them). */
std::string shown(std::string_view name) {
  bool plain = !name.empty() && name.size() <= kMaxNameInMessage &&
               std::all_of(name.begin(), name.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == ':';
               });
  return plain ? "'" + std::string(name) + "'" : std::string("(name not shown)");
}

std::string at_line(const xmlNode* node) {
  return " at line " + std::to_string(xmlGetLineNo(node));
}

bool all_space(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/**
 * escape: XML character data (`attribute` false) or a double-quoted attribute value (true).
 * \r is always kept as a reference so it survives re-parsing; in attributes \n, \t and " are
 * too, because attribute-value normalisation would otherwise turn the whitespace into spaces.
 */
void escape(std::string_view s, std::string& out, bool attribute) {
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
      case '\r':
        out += "&#xD;";
        break;
      case '"':
        out += attribute ? "&quot;" : "\"";
        break;
      case '\n':
        out += attribute ? "&#xA;" : "\n";
        break;
      case '\t':
        out += attribute ? "&#x9;" : "\t";
        break;
      default:
        out += c;
    }
  }
}

void escape_text(std::string_view s, std::string& out) { escape(s, out, false); }
void escape_attr(std::string_view s, std::string& out) { escape(s, out, true); }

/** xml_safe: XML 1.0 cannot carry C0 controls other than tab, LF and CR, nor NUL. */
bool xml_safe(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 && c != '\t' && c != '\n' && c != '\r';
  });
}

/** text_of: the text of an attribute (libxml2 keeps it as a list of text children). */
std::string text_of(const xmlAttr* attr) {
  std::string out;
  for (const xmlNode* n = attr->children; n != nullptr; n = n->next) {
    out += sv(n->content);
  }
  return out;
}

// ---- the locked-down libxml2 parse --------------------------------------------------------------

void init_libxml_once() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

/** ParseState: what the SAX hooks saw, reached through the parser context's _private. */
struct ParseState {
  std::size_t max_depth = 100;
  std::size_t depth = 0;
  bool doctype = false;
  bool too_deep = false;
  long stop_line = 0;
  std::string message;  // the first error libxml2 reported, first line only
  long message_line = 0;
  startElementNsSAX2Func start = nullptr;  // libxml2's own tree builders, which the hooks wrap
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
    // Stop here rather than after building a deep tree: the parse ends at once.
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

// FHIR never uses a DOCTYPE (http://hl7.org/fhir/R4/xml.html: "no DTD"), and refusing it at its
// start means no entity is ever declared, so none can be expanded (no "billion laughs") or
// fetched (no XXE).
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
    st.message = std::string(m.substr(0, 200));
    st.message_line = err->line;
  }
}

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct CtxtFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;

/**
 * check_utf8: FHIR XML is UTF-8 (http://hl7.org/fhir/R4/xml.html). Anything else is refused
 * before libxml2 sees it: its encoding converters would report failures on libxml2's global
 * error channel (stderr, quoting input bytes) rather than through the parser context.
 */
Result<void> check_utf8(std::string_view text) {
  std::string_view s = text;
  if (s.starts_with("\xEF\xBB\xBF")) {
    s.remove_prefix(3);  // a UTF-8 byte-order mark
  }
  // A document starts with '<' or white space; anything else (a UTF-16/32 byte-order mark, a
  // NUL, EBCDIC "<?xm") is another encoding.
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
    return {};  // malformed: libxml2 reports it, and XML_PARSE_IGNORE_ENC keeps it from acting
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

/** parse_document: the safe parse shared by xml_to_json and the div of json_to_xml. */
Result<DocPtr> parse_document(std::string_view text, const XmlLimits& limits) {
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
  // NONET: never fetch. No NOENT (entities are not substituted), no DTDLOAD/DTDATTR/DTDVALID,
  // no HUGE (libxml2 keeps its own text and name limits). NOCDATA folds CDATA into text.
  // IGNORE_ENC: the input stays UTF-8 whatever the declaration says (checked above).
  int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | XML_PARSE_COMPACT |
                XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC;
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
  ctxt->sax->serror = on_error;  // errors come to us, never to libxml2's global handler
  ctxt->sax->warning = nullptr;

  xmlParseDocument(ctxt.get());
  DocPtr doc(ctxt->myDoc);
  ctxt->myDoc = nullptr;
  const bool well_formed = ctxt->wellFormed != 0;
  ctxt.reset();

  if (st.doctype) {
    return bad_request("a DOCTYPE is not allowed in FHIR XML (line " +
                       std::to_string(st.stop_line) +
                       "): DTDs and entity declarations are refused");
  }
  if (st.too_deep) {
    return bad_request("XML nesting is deeper than " + std::to_string(limits.max_depth) +
                       " levels at line " + std::to_string(st.stop_line));
  }
  if (!well_formed || !doc) {
    return bad_request("XML is not well-formed at line " + std::to_string(st.message_line) + ": " +
                       (st.message.empty() ? std::string("parse failed") : st.message));
  }
  if (xmlDocGetRootElement(doc.get()) == nullptr) {
    return bad_request("XML document has no root element");
  }
  return doc;
}

// ---- XHTML (Narrative.div) ----------------------------------------------------------------------

/**
 * write_xhtml: the canonical text of an XHTML subtree: prefixes dropped, the XHTML namespace
 * declared once on the root, comments and processing instructions dropped. Used in both
 * directions, so a div survives any number of round trips unchanged.
 */
Result<void> write_xhtml(const xmlNode* node, bool root, bool allow_no_ns, std::string& out,
                         const std::string& path) {
  std::string_view ns = node->ns != nullptr ? sv(node->ns->href) : std::string_view{};
  if (ns != kXhtmlNs && !(ns.empty() && allow_no_ns)) {
    return bad_request("element " + shown(sv(node->name)) + " in " + path + at_line(node) +
                       " is not XHTML");
  }
  out += '<';
  out += sv(node->name);
  if (root) {
    out += " xmlns=\"";
    out += kXhtmlNs;
    out += '"';
  }
  for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
    out += ' ';
    if (a->ns != nullptr) {
      if (sv(a->ns->prefix) != "xml") {
        return bad_request("attribute " + shown(sv(a->name)) + " in " + path + at_line(node) +
                           " has a namespace other than XHTML's");
      }
      out += "xml:";
    }
    out += sv(a->name);
    out += "=\"";
    escape_attr(text_of(a), out);
    out += '"';
  }
  const std::size_t mark = out.size();
  out += '>';
  bool any = false;
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    switch (c->type) {
      case XML_ELEMENT_NODE:
        if (auto r = write_xhtml(c, false, allow_no_ns, out, path); !r) {
          return r;
        }
        any = true;
        break;
      case XML_TEXT_NODE:
      case XML_CDATA_SECTION_NODE:
        escape_text(sv(c->content), out);
        any = any || c->content != nullptr;
        break;
      case XML_COMMENT_NODE:
      case XML_PI_NODE:
        break;
      default:
        return bad_request("unexpected XML content in " + path + at_line(c));
    }
  }
  if (!any) {
    out.resize(mark);
    out += "/>";
  } else {
    out += "</";
    out += sv(node->name);
    out += '>';
  }
  return {};
}

// ---- primitive values
// -----------------------------------------------------------------------------

/** integer_bounds: FHIR integer is 32-bit signed; positiveInt >= 1, unsignedInt >= 0. */
std::pair<std::int64_t, std::int64_t> integer_bounds(std::string_view type) {
  std::int64_t lo = std::numeric_limits<std::int32_t>::min();
  if (type == "positiveInt") {
    lo = 1;
  } else if (type == "unsignedInt") {
    lo = 0;
  }
  return {lo, std::numeric_limits<std::int32_t>::max()};
}

/** is_decimal_text: the FHIR decimal grammar, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
 *  (leading zeros tolerated). */
bool is_decimal_text(std::string_view s, bool& integral) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
    }
    return i > start;
  };
  integral = true;
  if (i < s.size() && s[i] == '-') {
    ++i;
  }
  if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    integral = false;
    if (!digits()) {
      return false;
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    integral = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      ++i;
    }
    if (!digits()) {
      return false;
    }
  }
  return i == s.size();
}

// ---- XML -> JSON
// ----------------------------------------------------------------------------------

class XmlReader {
public:
  XmlReader(FhirVersion version, const XmlLimits& limits, Json::AllocatorType& alloc)
      : version_(version), limits_(limits), alloc_(alloc) {}

  /** resource: `node` is a resource element (Patient, Bundle...); fills `out` as an object. */
  Result<void> resource(const xmlNode* node, const std::string& path, rapidjson::Value& out) {
    std::string_view name = sv(node->name);
    if (node->ns == nullptr || sv(node->ns->href) != kFhirNs) {
      return bad_request("element " + shown(name) + at_line(node) +
                         " is not in the FHIR namespace (" + std::string(kFhirNs) + ")");
    }
    if (!is_resource_type(version_, name)) {
      return bad_request(shown(name) + at_line(node) + " is not a known FHIR " +
                         std::string(version_name(version_)) + " resource type" +
                         (path.empty() ? "" : " (in " + path + ")"));
    }
    const TypeInfo* type = find_type(version_, name);
    out.SetObject();
    out.AddMember(
        "resourceType",
        rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), alloc_),
        alloc_);
    return complex(node, *type, path.empty() ? std::string(name) : path, out);
  }

private:
  struct Group {
    const ElementInfo* info;
    std::vector<const xmlNode*> nodes;
  };

  rapidjson::Value str(std::string_view s) {
    return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc_);
  }

  void add(rapidjson::Value& obj, std::string_view key, rapidjson::Value&& v) {
    obj.AddMember(str(key), v, alloc_);
  }

  Result<void> complex(const xmlNode* node, const TypeInfo& type, const std::string& path,
                       rapidjson::Value& out) {
    for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
      if (a->ns != nullptr && sv(a->ns->href) == kXsiNs) {
        continue;  // xsi:schemaLocation and friends are validation hints, not content
      }
      const ElementInfo* info = a->ns == nullptr ? type.find(sv(a->name)) : nullptr;
      if (info == nullptr || !info->is_attribute) {
        return bad_request("unknown attribute " + shown(sv(a->name)) + " on " + path +
                           at_line(node));
      }
      add(out, info->name, str(text_of(a)));
    }
    std::vector<Group> groups;
    for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
      switch (c->type) {
        case XML_ELEMENT_NODE: {
          std::string_view name = sv(c->name);
          const ElementInfo* info = type.find(name);
          if (info == nullptr || info->is_attribute) {
            return bad_request("unknown element " + shown(name) + " in " + path + at_line(c));
          }
          std::string_view want = info->kind == ElementKind::kXhtml ? kXhtmlNs : kFhirNs;
          if (c->ns == nullptr || sv(c->ns->href) != want) {
            return bad_request(
                "element " + shown(name) + " in " + path + at_line(c) + " is not in the " +
                (info->kind == ElementKind::kXhtml ? "XHTML" : "FHIR") + " namespace");
          }
          auto g = std::find_if(groups.begin(), groups.end(),
                                [&](const Group& x) { return x.info == info; });
          if (g == groups.end()) {
            groups.push_back({info, {c}});
          } else {
            g->nodes.push_back(c);
          }
          break;
        }
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
          if (!all_space(sv(c->content))) {
            return bad_request("unexpected text in " + path + at_line(c) +
                               " (FHIR puts values in value attributes)");
          }
          break;
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
          break;
        default:
          return bad_request("unexpected XML content in " + path + at_line(c));
      }
    }
    // JSON output in definition order; choice elements allow one variant only.
    std::stable_sort(groups.begin(), groups.end(),
                     [](const Group& a, const Group& b) { return a.info->order < b.info->order; });
    for (std::size_t i = 1; i < groups.size(); ++i) {
      const ElementInfo& a = *groups[i - 1].info;
      const ElementInfo& b = *groups[i].info;
      if (!b.choice_base.empty() && a.choice_base == b.choice_base && a.order == b.order) {
        return bad_request("both " + shown(a.name) + " and " + shown(b.name) + " in " + path +
                           at_line(groups[i].nodes.front()) + ": " + b.choice_base +
                           "[x] takes one type");
      }
    }
    for (const Group& g : groups) {
      if (auto r = group(g, path, out); !r) {
        return r;
      }
    }
    return {};
  }

  Result<void> group(const Group& g, const std::string& path, rapidjson::Value& out) {
    const ElementInfo& info = *g.info;
    if (!info.repeats && g.nodes.size() > 1) {
      return bad_request("element " + shown(info.name) + " appears twice in " + path +
                         " but does not repeat" + at_line(g.nodes[1]));
    }
    const std::string base = path + "." + info.name;
    auto item_path = [&](std::size_t i) {
      return info.repeats ? base + "[" + std::to_string(i) + "]" : base;
    };
    if (is_primitive(info.kind)) {
      rapidjson::Value values(rapidjson::kArrayType);
      rapidjson::Value exts(rapidjson::kArrayType);
      bool any_value = false;
      bool any_ext = false;
      for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        rapidjson::Value v;
        rapidjson::Value e;
        if (auto r = primitive(g.nodes[i], info, item_path(i), v, e); !r) {
          return r;
        }
        any_value = any_value || !v.IsNull();
        any_ext = any_ext || !e.IsNull();
        values.PushBack(v, alloc_);
        exts.PushBack(e, alloc_);
      }
      if (!info.repeats) {
        if (any_value) {
          add(out, info.name, std::move(values[0]));
        }
        if (any_ext) {
          add(out, "_" + info.name, std::move(exts[0]));
        }
        return {};
      }
      // Repeating primitives: the value and `_` arrays stay aligned, with nulls for the gaps
      // (http://hl7.org/fhir/R4/json.html#primitive).
      if (any_value) {
        add(out, info.name, std::move(values));
      }
      if (any_ext) {
        add(out, "_" + info.name, std::move(exts));
      }
      return {};
    }
    rapidjson::Value items(rapidjson::kArrayType);
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
      rapidjson::Value item;
      if (auto r = element(g.nodes[i], info, item_path(i), item); !r) {
        return r;
      }
      items.PushBack(item, alloc_);
    }
    add(out, info.name, info.repeats ? std::move(items) : std::move(items[0]));
    return {};
  }

  Result<void> element(const xmlNode* node, const ElementInfo& info, const std::string& path,
                       rapidjson::Value& out) {
    switch (info.kind) {
      case ElementKind::kResource:
        return wrapped_resource(node, path, out);
      case ElementKind::kXhtml: {
        std::string text;
        if (auto r = write_xhtml(node, true, false, text, path); !r) {
          return r;
        }
        out = str(text);
        return {};
      }
      default: {
        const TypeInfo* type = find_type(version_, info.type_name);
        if (type == nullptr) {
          return make_error(Errc::kInternal, "element table has no type " + info.type_name);
        }
        out.SetObject();
        return complex(node, *type, path, out);
      }
    }
  }

  Result<void> wrapped_resource(const xmlNode* node, const std::string& path,
                                rapidjson::Value& out) {
    if (node->properties != nullptr) {
      return bad_request("unknown attribute " + shown(sv(node->properties->name)) + " on " + path +
                         at_line(node));
    }
    const xmlNode* inner = nullptr;
    for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
      if (c->type == XML_ELEMENT_NODE) {
        if (inner != nullptr) {
          return bad_request(path + at_line(c) + " holds more than one resource");
        }
        inner = c;
      } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
                 !all_space(sv(c->content))) {
        return bad_request("unexpected text in " + path + at_line(c));
      }
    }
    if (inner == nullptr) {
      return bad_request(path + at_line(node) + " holds no resource");
    }
    return resource(inner, path, out);
  }

  Result<void> primitive(const xmlNode* node, const ElementInfo& info, const std::string& path,
                         rapidjson::Value& value, rapidjson::Value& ext) {
    bool has_value = false;
    std::string text;
    for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
      std::string_view name = a->ns == nullptr ? sv(a->name) : std::string_view{};
      if (name == "value") {
        has_value = true;
        text = text_of(a);
      } else if (name == "id") {
        ext.SetObject();
        add(ext, "id", str(text_of(a)));
      } else if (a->ns == nullptr || sv(a->ns->href) != kXsiNs) {
        return bad_request("unknown attribute " + shown(sv(a->name)) + " on " + path +
                           at_line(node));
      }
    }
    rapidjson::Value extensions(rapidjson::kArrayType);
    const TypeInfo* extension_type = nullptr;
    for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
      if (c->type == XML_ELEMENT_NODE) {
        if (sv(c->name) != "extension" || c->ns == nullptr || sv(c->ns->href) != kFhirNs) {
          return bad_request("unknown element " + shown(sv(c->name)) + " in " + path + at_line(c) +
                             " (a primitive element holds only extensions)");
        }
        if (extension_type == nullptr) {
          extension_type = find_type(version_, "Extension");
        }
        if (extension_type == nullptr) {
          return make_error(Errc::kInternal, "element table has no Extension");
        }
        rapidjson::Value e(rapidjson::kObjectType);
        const std::string epath = path + ".extension[" + std::to_string(extensions.Size()) + "]";
        if (auto r = complex(c, *extension_type, epath, e); !r) {
          return r;
        }
        extensions.PushBack(e, alloc_);
      } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
                 !all_space(sv(c->content))) {
        return bad_request("unexpected text in " + path + at_line(c) +
                           " (FHIR puts values in value attributes)");
      }
    }
    if (!extensions.Empty()) {
      if (ext.IsNull()) {
        ext.SetObject();
      }
      add(ext, "extension", std::move(extensions));
    }
    if (!has_value) {
      if (ext.IsNull()) {
        return bad_request("element " + path + at_line(node) + " has no value, id or extension");
      }
      return {};
    }
    return convert_value(text, node, info, path, value);
  }

  Result<void> convert_value(const std::string& text, const xmlNode* node, const ElementInfo& info,
                             const std::string& path, rapidjson::Value& value) {
    if (info.type_name != "base64Binary" && text.size() > limits_.max_value_bytes) {
      return bad_request("value of " + path + at_line(node) + " is longer than " +
                         std::to_string(limits_.max_value_bytes) + " bytes");
    }
    switch (info.kind) {
      case ElementKind::kBoolean:
        if (text != "true" && text != "false") {
          return bad_request("value of " + path + at_line(node) + " is not a boolean");
        }
        value.SetBool(text == "true");
        return {};
      case ElementKind::kInteger: {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        auto [lo, hi] = integer_bounds(info.type_name);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < lo ||
            n > hi) {
          return bad_request("value of " + path + at_line(node) + " is not a valid " +
                             info.type_name);
        }
        value.SetInt64(n);
        return {};
      }
      case ElementKind::kDecimal: {
        bool integral = false;
        if (!is_decimal_text(text, integral)) {
          return bad_request("value of " + path + at_line(node) + " is not a decimal");
        }
        std::int64_t n = 0;
        if (integral) {
          auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
          if (ec == std::errc() && end == text.data() + text.size()) {
            value.SetInt64(n);  // exact: integral decimals keep every digit
            return {};
          }
        }
        double d = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
        if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(d)) {
          return bad_request("value of " + path + at_line(node) + " is out of range for a decimal");
        }
        value.SetDouble(d);
        return {};
      }
      default:
        value = str(text);
        return {};
    }
  }

  FhirVersion version_;
  const XmlLimits& limits_;
  Json::AllocatorType& alloc_;
};

// ---- JSON -> XML
// ----------------------------------------------------------------------------------

const rapidjson::Value* member(const rapidjson::Value& obj, std::string_view key) {
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == key) {
      return &it->value;
    }
  }
  return nullptr;
}

std::string_view key_of(const rapidjson::Value& name) {
  return {name.GetString(), name.GetStringLength()};
}

class XmlWriter {
public:
  XmlWriter(FhirVersion version, const XmlWriteOptions& options)
      : version_(version), options_(options) {}

  std::string out;

  Result<void> resource(const rapidjson::Value& v, const std::string& path, std::size_t level,
                        bool root) {
    if (!v.IsObject()) {
      return bad_request((path.empty() ? std::string("the resource") : path) +
                         " is not a JSON object");
    }
    const rapidjson::Value* rt = member(v, "resourceType");
    if (rt == nullptr || !rt->IsString()) {
      return bad_request((path.empty() ? std::string("the resource") : path) +
                         " has no resourceType");
    }
    std::string_view type_name = key_of(*rt);
    if (!is_resource_type(version_, type_name)) {
      return bad_request("resourceType " + shown(type_name) + " is not a known FHIR " +
                         std::string(version_name(version_)) + " resource type" +
                         (path.empty() ? "" : " (in " + path + ")"));
    }
    if (level > options_.max_depth) {
      return bad_request("JSON nesting is deeper than " + std::to_string(options_.max_depth) +
                         " levels at " + path);
    }
    const TypeInfo* type = find_type(version_, type_name);
    if (!root) {
      newline(level);
    }
    out += '<';
    out += type_name;
    if (root) {
      out += " xmlns=\"";
      out += kFhirNs;
      out += '"';
    }
    const std::size_t mark = out.size();
    out += '>';
    auto wrote = content(v, *type, path.empty() ? std::string(type_name) : path, level + 1);
    if (!wrote) {
      return wrote.error();
    }
    close(type_name, mark, *wrote, level);
    return {};
  }

private:
  void newline(std::size_t level) {
    if (options_.pretty) {
      out += '\n';
      out.append(level * 2, ' ');
    }
  }

  void close(std::string_view name, std::size_t mark, bool wrote, std::size_t level) {
    if (!wrote) {
      out.resize(mark);
      out += "/>";
      return;
    }
    newline(level);
    out += "</";
    out += name;
    out += '>';
  }

  /** content: checks every property of `obj`, then writes the child elements in table order. */
  Result<bool> content(const rapidjson::Value& obj, const TypeInfo& type, const std::string& path,
                       std::size_t level) {
    if (level > options_.max_depth) {
      return bad_request("JSON nesting is deeper than " + std::to_string(options_.max_depth) +
                         " levels at " + path);
    }
    for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
      std::string_view key = key_of(it->name);
      if (key == "resourceType" && type.is_resource) {
        continue;
      }
      const bool underscore = key.starts_with('_');
      const ElementInfo* info = type.find(underscore ? key.substr(1) : key);
      if (info == nullptr || (underscore && (!is_primitive(info->kind) || info->is_attribute))) {
        return bad_request("unknown property " + shown(key) + " in " + path);
      }
      if (!info->choice_base.empty()) {
        // Two variants of one choice (valueString and valueQuantity) cannot both be given.
        for (auto jt = obj.MemberBegin(); jt != it; ++jt) {
          std::string_view other = key_of(jt->name);
          other = other.starts_with('_') ? other.substr(1) : other;
          const ElementInfo* o = type.find(other);
          if (o != nullptr && o != info && o->choice_base == info->choice_base &&
              o->order == info->order) {
            return bad_request("both " + shown(o->name) + " and " + shown(info->name) + " in " +
                               path + ": " + info->choice_base + "[x] takes one type");
          }
        }
      }
    }
    bool wrote = false;
    for (const ElementInfo& info : type.elements) {
      if (info.is_attribute) {
        continue;
      }
      const rapidjson::Value* value = member(obj, info.name);
      const rapidjson::Value* ext =
          is_primitive(info.kind) ? member(obj, "_" + info.name) : nullptr;
      if (value == nullptr && ext == nullptr) {
        continue;
      }
      auto r = child(info, value, ext, path + "." + info.name, level);
      if (!r) {
        return r.error();
      }
      wrote = wrote || *r;
    }
    return wrote;
  }

  /** child: all items of one element (one, or each of an array). */
  Result<bool> child(const ElementInfo& info, const rapidjson::Value* value,
                     const rapidjson::Value* ext, const std::string& path, std::size_t level) {
    if (!info.repeats) {
      if ((value != nullptr && value->IsArray()) || (ext != nullptr && ext->IsArray())) {
        return bad_request(path + " is an array but the element does not repeat");
      }
      return item(info, value, ext, path, level);
    }
    if ((value != nullptr && !value->IsArray()) || (ext != nullptr && !ext->IsArray())) {
      return bad_request(path + " must be an array (the element repeats)");
    }
    const rapidjson::SizeType n = value != nullptr ? value->Size() : ext->Size();
    if (value != nullptr && ext != nullptr && value->Size() != ext->Size()) {
      return bad_request(path + " and its _" + info.name + " array differ in length");
    }
    bool wrote = false;
    for (rapidjson::SizeType i = 0; i < n; ++i) {
      auto r =
          item(info, value != nullptr ? &(*value)[i] : nullptr,
               ext != nullptr ? &(*ext)[i] : nullptr, path + "[" + std::to_string(i) + "]", level);
      if (!r) {
        return r;
      }
      wrote = wrote || *r;
    }
    return wrote;
  }

  Result<bool> item(const ElementInfo& info, const rapidjson::Value* value,
                    const rapidjson::Value* ext, const std::string& path, std::size_t level) {
    if (value != nullptr && value->IsNull()) {
      value = nullptr;
    }
    if (ext != nullptr && ext->IsNull()) {
      ext = nullptr;
    }
    switch (info.kind) {
      case ElementKind::kResource: {
        if (value == nullptr) {
          return bad_request(path + " is null");
        }
        newline(level);
        out += '<';
        out += info.name;
        out += '>';
        if (auto r = resource(*value, path, level + 1, false); !r) {
          return r.error();
        }
        newline(level);
        out += "</";
        out += info.name;
        out += '>';
        return true;
      }
      case ElementKind::kXhtml:
        return xhtml(value, path, level);
      case ElementKind::kComplex: {
        if (value == nullptr || !value->IsObject()) {
          return bad_request(path + " must be a JSON object");
        }
        const TypeInfo* type = find_type(version_, info.type_name);
        if (type == nullptr) {
          return make_error(Errc::kInternal, "element table has no type " + info.type_name);
        }
        return complex(info.name, *type, *value, path, level);
      }
      default:
        return primitive(info, value, ext, path, level);
    }
  }

  Result<bool> complex(std::string_view name, const TypeInfo& type, const rapidjson::Value& obj,
                       const std::string& path, std::size_t level) {
    newline(level);
    out += '<';
    out += name;
    for (const ElementInfo& a : type.elements) {
      if (!a.is_attribute) {
        continue;
      }
      const rapidjson::Value* v = member(obj, a.name);
      if (v == nullptr) {
        continue;
      }
      if (!v->IsString() || !xml_safe(key_of(*v))) {
        return bad_request(path + "." + a.name + " must be a string XML can carry");
      }
      out += ' ';
      out += a.name;
      out += "=\"";
      escape_attr(key_of(*v), out);
      out += '"';
    }
    const std::size_t mark = out.size();
    out += '>';
    auto wrote = content(obj, type, path, level + 1);
    if (!wrote) {
      return wrote.error();
    }
    close(name, mark, *wrote, level);
    return true;
  }

  Result<bool> primitive(const ElementInfo& info, const rapidjson::Value* value,
                         const rapidjson::Value* ext, const std::string& path, std::size_t level) {
    if (value == nullptr && ext == nullptr) {
      return bad_request(path + " has neither a value nor extensions");
    }
    std::string text;
    if (value != nullptr) {
      if (auto r = format_value(info, *value, path, text); !r) {
        return r.error();
      }
    }
    const rapidjson::Value* id = nullptr;
    const rapidjson::Value* extensions = nullptr;
    if (ext != nullptr) {
      if (!ext->IsObject()) {
        return bad_request(path + ": _" + info.name + " must be a JSON object");
      }
      for (auto it = ext->MemberBegin(); it != ext->MemberEnd(); ++it) {
        std::string_view key = key_of(it->name);
        if (key == "id" && it->value.IsString() && xml_safe(key_of(it->value))) {
          id = &it->value;
        } else if (key == "extension" && it->value.IsArray()) {
          extensions = &it->value;
        } else {
          return bad_request("unknown or malformed property " + shown(key) + " in " + path + " (_" +
                             info.name + ")");
        }
      }
    }
    newline(level);
    out += '<';
    out += info.name;
    if (id != nullptr) {
      out += " id=\"";
      escape_attr(key_of(*id), out);
      out += '"';
    }
    if (value != nullptr) {
      out += " value=\"";
      escape_attr(text, out);
      out += '"';
    }
    if (extensions == nullptr || extensions->Empty()) {
      out += "/>";
      return true;
    }
    out += '>';
    const TypeInfo* extension_type = find_type(version_, "Extension");
    if (extension_type == nullptr) {
      return make_error(Errc::kInternal, "element table has no Extension");
    }
    for (rapidjson::SizeType i = 0; i < extensions->Size(); ++i) {
      const rapidjson::Value& e = (*extensions)[i];
      const std::string epath = path + ".extension[" + std::to_string(i) + "]";
      if (!e.IsObject()) {
        return bad_request(epath + " must be a JSON object");
      }
      if (auto r = complex("extension", *extension_type, e, epath, level + 1); !r) {
        return r;
      }
    }
    newline(level);
    out += "</";
    out += info.name;
    out += '>';
    return true;
  }

  static Result<void> format_value(const ElementInfo& info, const rapidjson::Value& v,
                                   const std::string& path, std::string& text) {
    switch (info.kind) {
      case ElementKind::kBoolean:
        if (!v.IsBool()) {
          return bad_request("value of " + path + " is not a boolean");
        }
        text = v.GetBool() ? "true" : "false";
        return {};
      case ElementKind::kInteger: {
        auto [lo, hi] = integer_bounds(info.type_name);
        if (!v.IsInt64() || v.GetInt64() < lo || v.GetInt64() > hi) {
          return bad_request("value of " + path + " is not a valid " + info.type_name);
        }
        text = std::to_string(v.GetInt64());
        return {};
      }
      case ElementKind::kDecimal: {
        if (!v.IsNumber()) {
          return bad_request("value of " + path + " is not a number");
        }
        if (v.IsInt64()) {
          text = std::to_string(v.GetInt64());
          return {};
        }
        if (v.IsUint64()) {
          text = std::to_string(v.GetUint64());
          return {};
        }
        const double d = v.GetDouble();
        if (!std::isfinite(d)) {
          return bad_request("value of " + path + " is not a finite number");
        }
        // Shortest text that reads back as the same double (std::to_chars, no precision given).
        char buf[64];
        auto [end, ec] = std::to_chars(std::begin(buf), std::end(buf), d);
        if (ec != std::errc()) {
          return make_error(Errc::kInternal, "cannot format a decimal");
        }
        text.assign(std::begin(buf), end);
        return {};
      }
      default:
        if (!v.IsString()) {
          return bad_request("value of " + path + " is not a string");
        }
        if (!xml_safe(key_of(v))) {
          return bad_request("value of " + path + " holds a control character XML cannot carry");
        }
        text.assign(v.GetString(), v.GetStringLength());
        return {};
    }
  }

  Result<bool> xhtml(const rapidjson::Value* value, const std::string& path, std::size_t level) {
    if (value == nullptr || !value->IsString()) {
      return bad_request(path + " must be a string of XHTML");
    }
    XmlLimits limits;
    limits.max_depth = options_.max_depth > level ? options_.max_depth - level : 1;
    auto doc = parse_document(key_of(*value), limits);
    if (!doc) {
      return bad_request(path + " is not well-formed XHTML: " + doc.error().detail);
    }
    const xmlNode* root = xmlDocGetRootElement(doc->get());
    const bool no_ns = root->ns == nullptr;
    if (sv(root->name) != "div" || (!no_ns && sv(root->ns->href) != kXhtmlNs)) {
      return bad_request(path + " must be an XHTML <div>");
    }
    newline(level);
    if (auto r = write_xhtml(root, true, no_ns, out, path); !r) {
      return r.error();
    }
    return true;
  }

  FhirVersion version_;
  const XmlWriteOptions& options_;
};

}  // namespace

Result<Json> xml_to_json(std::string_view xml, FhirVersion version, const XmlLimits& limits) {
  auto doc = parse_document(xml, limits);
  if (!doc) {
    return doc.error();
  }
  Json out;
  XmlReader reader(version, limits, out.GetAllocator());
  if (auto r = reader.resource(xmlDocGetRootElement(doc->get()), std::string(), out); !r) {
    return r.error();
  }
  return out;
}

Result<std::string> json_to_xml(const rapidjson::Value& resource, FhirVersion version,
                                const XmlWriteOptions& options) {
  XmlWriter writer(version, options);
  writer.out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
  if (options.pretty) {
    writer.out += '\n';
  }
  if (auto r = writer.resource(resource, std::string(), 0, true); !r) {
    return r.error();
  }
  if (options.pretty) {
    writer.out += '\n';
  }
  return std::move(writer.out);
}

}  // namespace gw::fhir
