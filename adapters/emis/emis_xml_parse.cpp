// EMIS XML extract parser (emis_xml.hpp). libxml2 builds a tree under a locked-down parser
// context, as gateway/fhir/xml.cpp does: no DTD (a DOCTYPE stops the parse), no entity
// substitution, no network, depth bounded as elements open, errors kept off libxml2's global
// handler. The tree is then read element by element with a sticky first error.
#include <algorithm>
#include <cctype>
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

#include "adapters/emis/common.hpp"
#include "adapters/emis/emis_xml.hpp"
#include "gateway/fhir/datetime.hpp"

namespace gw::adapters::emis::xml {
namespace {

std::string_view sv(const xmlChar* s) {
  return s == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(s));
}

// ---- the locked-down libxml2 parse --------------------------------------------------------------

void init_libxml_once() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

struct ParseState {
  std::size_t max_depth = 32;
  std::size_t depth = 0;
  bool doctype = false;
  bool too_deep = false;
  long stop_line = 0;
  std::string message;
  long message_line = 0;
  startElementNsSAX2Func start = nullptr;
  endElementNsSAX2Func end = nullptr;
  struct TreeBuilder* builder = nullptr;  // the light tree being built (parse_tree only)
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

// An extract never needs a DTD; refusing the DOCTYPE as it starts means no entity is ever
// declared, so none can be expanded ("billion laughs") or fetched (XXE).
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

Error bad(std::string detail) { return make_error(Errc::kBadRequest, std::move(detail)); }

/** check_utf8: the extract is UTF-8 (a BOM allowed); another declared encoding is refused. */
Result<void> check_utf8(std::string_view s) {
  if (s.starts_with("\xEF\xBB\xBF")) {
    s.remove_prefix(3);
  }
  if (s.empty() || (s[0] != '<' && s[0] != ' ' && s[0] != '\t' && s[0] != '\r' && s[0] != '\n') ||
      (s.size() > 1 && s[1] == '\0')) {
    return detail::located(Errc::kBadRequest, "/", "the extract is not UTF-8 XML");
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
    return detail::located(Errc::kBadRequest, "/",
                           "the extract declares an encoding other than UTF-8");
  }
  return {};
}

/** prechecks: size, emptiness and encoding, before any parse. */
Result<void> prechecks(std::string_view text, const XmlLimits& limits) {
  init_libxml_once();
  if (text.size() > limits.max_bytes || text.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(Errc::kPayloadTooLarge, "/: the extract is larger than " +
                                                  std::to_string(limits.max_bytes) + " bytes");
  }
  if (text.empty()) {
    return detail::located(Errc::kBadRequest, "/", "the extract is empty");
  }
  return check_utf8(text);
}

using CtxtPtr = std::unique_ptr<xmlParserCtxt, CtxtFree>;

/** locked_down_context: a parser context over `text` with the settings below and `st` wired in
 *  (depth bound, DOCTYPE refused, errors kept); the element callbacks `st` wraps are the
 *  context's own (the tree builder) unless `st.start` / `st.end` are set already. */
Result<CtxtPtr> locked_down_context(std::string_view text, ParseState& st) {
  CtxtPtr ctxt(xmlCreateMemoryParserCtxt(text.data(), static_cast<int>(text.size())));
  if (!ctxt || ctxt->sax == nullptr) {
    return make_error(Errc::kInternal, "cannot create an XML parser");
  }
  // NONET: never fetch. No NOENT (entities are not substituted), no DTDLOAD/DTDATTR/DTDVALID,
  // no HUGE. NOCDATA folds CDATA into text. IGNORE_ENC: the input stays UTF-8 (checked above).
  int options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | XML_PARSE_COMPACT |
                XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC | XML_PARSE_NOBLANKS;
#if LIBXML_VERSION >= 21300
  options |= XML_PARSE_NO_XXE;
#endif
  xmlCtxtUseOptions(ctxt.get(), options);
  if (st.start == nullptr) {
    st.start = ctxt->sax->startElementNs;
  }
  if (st.end == nullptr) {
    st.end = ctxt->sax->endElementNs;
  }
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
  return ctxt;
}

/** parse_problem: the refusal a finished parse calls for, if any. */
std::optional<Error> parse_problem(const ParseState& st, bool well_formed, bool has_root,
                                   const XmlLimits& limits) {
  if (st.doctype) {
    return bad("/: a DOCTYPE is not allowed in an EMIS extract (line " +
               std::to_string(st.stop_line) + "): DTDs and entity declarations are refused");
  }
  if (st.too_deep) {
    return bad(std::string("/: XML nesting is deeper than ") + std::to_string(limits.max_depth) +
               std::string(" levels at line ") + std::to_string(st.stop_line));
  }
  if (!well_formed) {
    return bad(std::string("/: XML is not well-formed at line ") + std::to_string(st.message_line) +
               ": " + (st.message.empty() ? std::string("parse failed") : st.message));
  }
  if (!has_root) {
    return bad("/: the document has no root element");
  }
  return std::nullopt;
}

/** parse_document: the extract as a libxml2 tree. */
Result<DocPtr> parse_document(std::string_view text, const XmlLimits& limits) {
  if (auto r = prechecks(text, limits); !r) {
    return r.error();
  }
  ParseState st;
  st.max_depth = limits.max_depth;
  auto ctxt = locked_down_context(text, st);
  if (!ctxt) {
    return ctxt.error();
  }
  xmlParseDocument(ctxt->get());
  DocPtr doc((*ctxt)->myDoc);
  (*ctxt)->myDoc = nullptr;
  const bool well_formed = (*ctxt)->wellFormed != 0;
  ctxt->reset();
  if (auto e =
          parse_problem(st, well_formed && doc, doc && xmlDocGetRootElement(doc.get()), limits)) {
    return *e;
  }
  return doc;
}

// ---- the light tree -----------------------------------------------------------------------------
// What the reader needs of the document: elements (local name, element children in order) and
// each element's own character data joined. Built straight from the parser's SAX events, which
// costs a fraction of libxml2's tree (nodes for every text run, freed one by one). Where the
// two could differ, the tree is built from libxml2's own tree instead (see TreeBuilder).

/** Node: one element. */
struct Node {
  std::string_view name;
  const Node* children = nullptr;  // its first element child
  const Node* next = nullptr;      // its next element sibling
  std::string_view text;           // its text and CDATA, joined (read only when it has no children)
  // While building:
  Node* last = nullptr;
  std::size_t text_at = 0;
  std::size_t text_size = 0;
};

/** Tree: the elements of one extract; names point into the parser's dictionary it keeps. */
struct Tree {
  std::vector<Node> nodes;
  std::string chars;  // every element's character data
  const Node* root = nullptr;
  CtxtPtr ctxt;  // owns the names (its dictionary)
  DocPtr doc;    // or, built from libxml2's tree, that tree
};
using TreePtr = std::unique_ptr<Tree>;

/**
 * TreeBuilder: the SAX events into a Tree. Where reading libxml2's tree might give another
 * answer, the parse stops and the tree is built from libxml2's tree instead (`fallback`), so the
 * result is always the same: attributes (libxml2's tree builder may report on them, e.g. a bad
 * xml:id); comments, processing instructions and CDATA sections inside the root, and an
 * element's text over the reader's limit (libxml2's tree leaves out some runs of white space
 * before markup or a CR; trimming hides that, except from the length limit).
 */
struct TreeBuilder {
  Tree* tree = nullptr;
  std::size_t max_text = 0;  // the reader's limit on one element's text
  std::vector<Node*> open;
  bool fallback = false;

  void start(std::string_view name) {
    Node& n = tree->nodes.emplace_back();
    n.name = name;
    if (open.empty()) {
      tree->root = &n;
    } else {
      Node* parent = open.back();
      if (parent->last == nullptr) {
        parent->children = &n;
      } else {
        parent->last->next = &n;
      }
      parent->last = &n;
    }
    open.push_back(&n);
  }
  void chars(std::string_view s) {
    if (open.empty()) {
      return;  // outside the root: white space only (anything else is not well-formed)
    }
    Node& n = *open.back();
    if (n.text_size == 0 || n.text_at + n.text_size != tree->chars.size()) {
      // A new run, or one split by child elements (then the element's text is never read).
      n.text_at = tree->chars.size();
      n.text_size = 0;
    }
    tree->chars.append(s);
    n.text_size += s.size();
    if (n.text_size > max_text) {
      fallback = true;
    }
  }
};

TreeBuilder& builder_of(void* ctx) { return *state_of(ctx).builder; }

void stop_for_fallback(void* ctx) {
  builder_of(ctx).fallback = true;
  xmlStopParser(static_cast<xmlParserCtxt*>(ctx));
}

void tree_start(void* ctx, const xmlChar* localname, const xmlChar* /*prefix*/,
                const xmlChar* /*uri*/, int /*nb_namespaces*/, const xmlChar** /*namespaces*/,
                int nb_attributes, int /*nb_defaulted*/, const xmlChar** /*attributes*/) {
  if (nb_attributes > 0) {
    stop_for_fallback(ctx);
    return;
  }
  builder_of(ctx).start(sv(localname));
}

void tree_end(void* ctx, const xmlChar* /*localname*/, const xmlChar* /*prefix*/,
              const xmlChar* /*uri*/) {
  TreeBuilder& b = builder_of(ctx);
  if (!b.open.empty()) {
    b.open.pop_back();
  }
}

void tree_chars(void* ctx, const xmlChar* ch, int len) {
  TreeBuilder& b = builder_of(ctx);
  b.chars(std::string_view(reinterpret_cast<const char*>(ch), static_cast<std::size_t>(len)));
  if (b.fallback) {
    xmlStopParser(static_cast<xmlParserCtxt*>(ctx));
  }
}

void tree_markup(void* ctx, const xmlChar* /*a*/) {
  if (!builder_of(ctx).open.empty()) {
    stop_for_fallback(ctx);
  }
}

void tree_pi(void* ctx, const xmlChar* /*target*/, const xmlChar* /*data*/) {
  if (!builder_of(ctx).open.empty()) {
    stop_for_fallback(ctx);
  }
}

void tree_cdata(void* ctx, const xmlChar* /*value*/, int /*len*/) { stop_for_fallback(ctx); }

/** finish_tree: every element's text as a view of the tree's character data. */
void finish_tree(Tree& t) {
  for (Node& n : t.nodes) {
    n.text = std::string_view(t.chars).substr(n.text_at, n.text_size);
  }
}

/** add_dom_element: `e` and its element descendants into the tree (the fallback). */
void add_dom_element(Tree& t, Node* parent, const xmlNode* e) {
  Node& n = t.nodes.emplace_back();
  n.name = sv(e->name);
  if (parent == nullptr) {
    t.root = &n;
  } else if (parent->last == nullptr) {
    parent->children = &n;
    parent->last = &n;
  } else {
    parent->last->next = &n;
    parent->last = &n;
  }
  n.text_at = t.chars.size();
  for (const xmlNode* c = e->children; c != nullptr; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      t.chars.append(sv(c->content));
    }
  }
  n.text_size = t.chars.size() - n.text_at;
  for (const xmlNode* c = e->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      add_dom_element(t, &n, c);
    }
  }
}

std::size_t count_elements(const xmlNode* e) {
  std::size_t n = 1;
  for (const xmlNode* c = e->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      n += count_elements(c);
    }
  }
  return n;
}

/** tree_from_document: the light tree of libxml2's tree (the fallback). */
Result<TreePtr> tree_from_document(std::string_view text, const XmlLimits& limits) {
  auto doc = parse_document(text, limits);
  if (!doc) {
    return doc.error();
  }
  auto t = std::make_unique<Tree>();
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  t->nodes.reserve(count_elements(root));  // no reallocation: nodes point at each other
  add_dom_element(*t, nullptr, root);
  t->doc = std::move(*doc);
  finish_tree(*t);
  return t;
}

/** parse_tree: the extract's light tree, refused as parse_document refuses. */
Result<TreePtr> parse_tree(std::string_view text, const XmlLimits& limits) {
  if (auto r = prechecks(text, limits); !r) {
    return r.error();
  }
  auto t = std::make_unique<Tree>();
  // Every element starts with '<': no reallocation, since nodes point at each other.
  t->nodes.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '<')) + 1);
  t->chars.reserve(text.size() / 4);
  TreeBuilder builder;
  builder.tree = t.get();
  builder.max_text = limits.max_text_bytes;
  ParseState st;
  st.max_depth = limits.max_depth;
  st.builder = &builder;
  st.start = tree_start;
  st.end = tree_end;
  auto ctxt = locked_down_context(text, st);
  if (!ctxt) {
    return ctxt.error();
  }
  xmlSAXHandler* sax = (*ctxt)->sax;
  sax->characters = tree_chars;
  sax->ignorableWhitespace = tree_chars;
  sax->cdataBlock = tree_cdata;
  sax->comment = tree_markup;
  sax->processingInstruction = tree_pi;
  sax->reference = tree_markup;
  xmlParseDocument(ctxt->get());
  DocPtr doc((*ctxt)->myDoc);  // the document node alone (no elements were added to it)
  (*ctxt)->myDoc = nullptr;
  if (builder.fallback) {
    return tree_from_document(text, limits);
  }
  const bool well_formed = (*ctxt)->wellFormed != 0;
  if (auto e = parse_problem(st, well_formed, t->root != nullptr, limits)) {
    return *e;
  }
  t->ctxt = std::move(*ctxt);
  finish_tree(*t);
  return t;
}

// ---- reading the tree ---------------------------------------------------------------------------

/** Reader: reads elements with a sticky first error, so each reading function stays short. */
class Reader {
public:
  explicit Reader(const XmlLimits& limits) : limits_(limits) {}

  [[nodiscard]] bool failed() const { return error_.has_value(); }
  [[nodiscard]] Error error() const { return *error_; }

  /** fail: records the first problem, "<path>: <what>". */
  void fail(const std::string& path, std::string_view what, Errc code = Errc::kUnprocessable) {
    if (!error_) {
      error_ = detail::located(code, path, what);
    }
  }

  /** children: every element child named `name`, with its XPath ("<path>/<name>[i]"). */
  std::vector<std::pair<const Node*, std::string>> children(const Node* parent,
                                                            const std::string& path,
                                                            std::string_view name) {
    std::vector<std::pair<const Node*, std::string>> out;
    for (const Node* c = parent->children; c != nullptr; c = c->next) {
      if (c->name == name) {
        out.emplace_back(c, std::string{});
      }
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i].second = path + "/" + std::string(name) + "[" + std::to_string(i + 1) + "]";
    }
    return out;
  }

  /** child: the one element child named `name` (nullptr if absent; a repeat is an error). */
  const Node* child(const Node* parent, const std::string& path, std::string_view name,
                    bool required) {
    const Node* found = nullptr;
    for (const Node* c = parent->children; c != nullptr; c = c->next) {
      if (c->name == name) {
        if (found != nullptr) {
          fail(path + "/" + std::string(name), "the element is repeated; it may appear once");
          return nullptr;
        }
        found = c;
      }
    }
    if (found == nullptr && required) {
      fail(path + "/" + std::string(name), "required element is missing");
    }
    return found;
  }

  /** text: the trimmed text of element child `name` ("" when absent and not required). */
  std::string text(const Node* parent, const std::string& path, std::string_view name,
                   bool required = false) {
    const Node* c = child(parent, path, name, required);
    if (c == nullptr) {
      return {};
    }
    if (c->children != nullptr) {
      fail(join(path, name), "expected text, found an element");
      return {};
    }
    const std::string_view all = c->text;
    if (all.size() > limits_.max_text_bytes) {
      fail(join(path, name), std::string("the text is longer than ") +
                                 std::to_string(limits_.max_text_bytes) + " bytes");
      return {};
    }
    const auto b = all.find_first_not_of(" \t\r\n");
    std::string out;
    if (b != std::string_view::npos) {
      out = all.substr(b, all.find_last_not_of(" \t\r\n") - b + 1);
    }
    if (out.empty() && required) {
      fail(join(path, name), "required element is empty");
    }
    return out;
  }

  /** date: a date or dateTime element, checked (yyyy, yyyy-mm, yyyy-mm-dd or with a time). */
  std::string date(const Node* parent, const std::string& path, std::string_view name,
                   bool required = false) {
    std::string d = text(parent, path, name, required);
    if (d.empty()) {
      return d;
    }
    if (std::string why = fhir::check_datetime(d, fhir::Temporal::kDateTime); !why.empty()) {
      fail(path + "/" + std::string(name), std::string("not a valid date: ") + why);
      return {};
    }
    return d;
  }

  /** choice: `name`'s text lower-cased and checked against `allowed` (written as they are). */
  std::string choice(const Node* parent, const std::string& path, std::string_view name,
                     const std::vector<std::string_view>& allowed, bool required) {
    std::string v = text(parent, path, name, required);
    if (v.empty()) {
      return v;
    }
    for (std::string_view a : allowed) {
      if (std::equal(v.begin(), v.end(), a.begin(), a.end(), [](char x, char y) {
            return std::tolower(static_cast<unsigned char>(x)) ==
                   std::tolower(static_cast<unsigned char>(y));
          })) {
        std::string out(a);
        std::transform(out.begin(), out.end(), out.begin(),
                       [](char c) { return static_cast<char>(std::tolower(c)); });
        return out;
      }
    }
    std::string list;
    for (std::string_view a : allowed) {
      list += (list.empty() ? "" : ", ") + std::string(a);
    }
    fail(path + "/" + std::string(name), std::string("unknown value; expected one of ") + list);
    return {};
  }

  /** flag: a true/false element (absent: false). */
  bool flag(const Node* parent, const std::string& path, std::string_view name) {
    return choice(parent, path, name, {"true", "false"}, false) == "true";
  }

  /** guid: a GUID element that is a usable FHIR id, unique in the extract. */
  std::string guid(const Node* parent, const std::string& path) {
    std::string g = text(parent, path, "GUID", true);
    if (g.empty()) {
      return g;
    }
    if (!detail::valid_fhir_id(g) || g.size() > 60) {
      fail(path + "/GUID", "not a GUID (letters, digits and '-', at most 60)");
      return {};
    }
    std::string key = g;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](char c) { return static_cast<char>(std::toupper(c)); });
    if (!guids_.insert(key).second) {
      fail(path + "/GUID", "the GUID is used by another entry in this extract");
    }
    return g;
  }

  /** ref: <name><RefID>n</RefID></name>, checked against the PeopleList. */
  std::string ref(const Node* parent, const std::string& path, std::string_view name,
                  bool required) {
    const Node* c = child(parent, path, name, required);
    if (c == nullptr) {
      return {};
    }
    std::string id = text(c, join(path, name), "RefID", true);
    if (!id.empty() && people_.count(id) == 0) {
      fail(join(path, name) + "/RefID", "no Person in the PeopleList has this RefID");
      return {};
    }
    return id;
  }

  /** code: a Code element (Value, Scheme, Term, MapCode, MapScheme). */
  Code code(const Node* parent, const std::string& path, std::string_view name,
            const std::vector<std::string_view>& schemes) {
    Code out;
    const Node* c = child(parent, path, name, true);
    if (c == nullptr) {
      return out;
    }
    const std::string here = path + "/" + std::string(name);
    out.value = text(c, here, "Value", true);
    out.system = scheme_system(choice(c, here, "Scheme", schemes, true));
    out.term = text(c, here, "Term");
    out.map_code = text(c, here, "MapCode");
    if (!out.map_code.empty()) {
      out.map_system = scheme_system(choice(c, here, "MapScheme", {"SNOMED"}, true));
    }
    if (out.system == detail::kSnomedSystem && !all_digits(out.value)) {
      fail(here + "/Value", "a SNOMED CT or dm+d code is digits only");
    }
    if (!out.map_code.empty() && !all_digits(out.map_code)) {
      fail(here + "/MapCode", "a SNOMED CT code is digits only");
    }
    return out;
  }

  /** decimal: `v` (when not empty) has FHIR decimal syntax:
   *  -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? (http://hl7.org/fhir/R4/datatypes.html). */
  void decimal(std::string_view v, const std::string& path) {
    if (v.empty()) {
      return;
    }
    std::size_t i = 0;
    auto digits = [&] {
      std::size_t b = i;
      while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
        ++i;
      }
      return i - b;
    };
    bool ok = v.size() <= 32;
    if (ok && v[i] == '-') {
      ++i;
    }
    const std::size_t int_start = i;
    const std::size_t int_digits = digits();
    ok = ok && int_digits > 0 && !(int_digits > 1 && v[int_start] == '0');
    if (ok && i < v.size() && v[i] == '.') {
      ++i;
      ok = digits() > 0;
    }
    if (ok && i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
      ++i;
      if (i < v.size() && (v[i] == '+' || v[i] == '-')) {
        ++i;
      }
      ok = digits() > 0;
    }
    if (!ok || i != v.size()) {
      fail(path, "not a decimal number");
    }
  }

  void add_person(const std::string& ref_id) { people_.insert(ref_id); }

private:
  /** join: "<path>/<name>" (an element's XPath, made when it is needed). */
  static std::string join(const std::string& path, std::string_view name) {
    std::string out;
    out.reserve(path.size() + 1 + name.size());
    out.append(path).append("/").append(name);
    return out;
  }
  static bool all_digits(std::string_view s) {
    return !s.empty() && s.size() <= 18 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  static std::string scheme_system(std::string_view scheme) {
    if (scheme == "read2") {
      return std::string(detail::kReadV2System);
    }
    if (scheme == "snomed" || scheme == "dmd") {
      // dm+d identifiers are SNOMED CT concept ids (UK Core codes medicines in SNOMED CT).
      return std::string(detail::kSnomedSystem);
    }
    if (scheme == "emis") {
      return "https://fhir.hl7.org.uk/Id/egton-codes";  // EMIS local codes, as EMIS's GP Connect
    }
    if (scheme == "emisdrug") {
      return "https://fhir.hl7.org.uk/Id/emis-drug-codes";
    }
    return {};
  }

  const XmlLimits& limits_;
  std::optional<Error> error_;
  std::set<std::string> people_;
  std::set<std::string> guids_;
};

const std::string kRoot = "/MedicalRecord";

void read_people(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "PeopleList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/PeopleList", "Person")) {
    Person p;
    p.ref_id = rd.text(n, path, "RefID", true);
    p.guid = rd.guid(n, path);
    p.title = rd.text(n, path, "Title");
    p.first_names = rd.text(n, path, "FirstNames");
    p.last_name = rd.text(n, path, "LastName", true);
    p.role = rd.text(n, path, "Role");
    rd.add_person(p.ref_id);
    out.people.push_back(std::move(p));
  }
}

void read_registration(Reader& rd, const Node* root, Extract& out) {
  Registration& r = out.registration;
  r.path = kRoot + "/Registration";
  const Node* n = rd.child(root, kRoot, "Registration", true);
  if (n == nullptr) {
    return;
  }
  r.guid = rd.guid(n, r.path);
  r.nhs_number = rd.text(n, r.path, "NhsNumber");
  r.nhs_number_status = rd.choice(n, r.path, "NhsNumberStatus",
                                  {"01", "02", "03", "04", "05", "06", "07", "08"}, false);
  r.title = rd.text(n, r.path, "Title");
  r.first_names = rd.text(n, r.path, "FirstNames");
  r.family_name = rd.text(n, r.path, "FamilyName", true);
  r.previous_family_name = rd.text(n, r.path, "PreviousFamilyName");
  r.date_of_birth = rd.date(n, r.path, "DateOfBirth", true);
  if (r.date_of_birth.size() > 10) {
    rd.fail(r.path + "/DateOfBirth", "a date of birth is a date (yyyy-mm-dd), not a dateTime");
  }
  r.sex = rd.text(n, r.path, "Sex", true);
  if (const Node* a = rd.child(n, r.path, "Address", false)) {
    const std::string ap = r.path + "/Address";
    for (std::string_view part : {"HouseNameFlat", "Street", "Village"}) {
      if (std::string v = rd.text(a, ap, part); !v.empty()) {
        r.address.lines.push_back(std::move(v));
      }
    }
    r.address.town = rd.text(a, ap, "Town");
    r.address.county = rd.text(a, ap, "County");
    r.address.postcode = rd.text(a, ap, "PostCode");
  }
  r.home_telephone = rd.text(n, r.path, "HomeTelephone");
  r.mobile_telephone = rd.text(n, r.path, "MobileTelephone");
  r.email = rd.text(n, r.path, "EmailAddress");
  if (const Node* p = rd.child(n, r.path, "RegisteredPractice", true)) {
    r.practice_ods = rd.text(p, r.path + "/RegisteredPractice", "OdsCode", true);
    r.practice_name = rd.text(p, r.path + "/RegisteredPractice", "Name");
  }
  r.registration_date = rd.date(n, r.path, "RegistrationDate");
  r.usual_gp_ref = rd.ref(n, r.path, "UsualGP", false);
}

void read_consultations(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "ConsultationList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/ConsultationList", "Consultation")) {
    Consultation c;
    c.path = path;
    c.guid = rd.guid(n, path);
    c.date = rd.date(n, path, "AssignedDate", true);
    c.type = rd.text(n, path, "Type");
    c.user_ref = rd.ref(n, path, "UserID", true);
    c.location = rd.text(n, path, "Location");
    if (const Node* el = rd.child(n, path, "ElementList", false)) {
      for (const auto& [e, ep] : rd.children(el, path + "/ElementList", "ConsultationElement")) {
        ConsultationElement ce;
        ce.path = ep;
        ce.header = rd.text(e, ep, "Header");
        ce.entry_guid = rd.text(e, ep, "EntryGUID", true);
        c.elements.push_back(std::move(ce));
      }
    }
    out.consultations.push_back(std::move(c));
  }
}

const std::vector<std::string_view> kEventSchemes = {"READ2", "SNOMED", "EMIS"};

void read_events(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "EventList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/EventList", "Event")) {
    Event e;
    e.path = path;
    e.guid = rd.guid(n, path);
    e.date = rd.date(n, path, "AssignedDate", true);
    e.author_ref = rd.ref(n, path, "AuthorID", false);
    e.code = rd.code(n, path, "Code", kEventSchemes);
    e.display_term = rd.text(n, path, "DisplayTerm");
    e.comment = rd.text(n, path, "Comment");
    e.confidential = rd.flag(n, path, "Confidential");
    if (const Node* nv = rd.child(n, path, "NumericValue", false)) {
      NumericValue v;
      v.value = rd.text(nv, path + "/NumericValue", "Value", true);
      v.units = rd.text(nv, path + "/NumericValue", "Units");
      rd.decimal(v.value, path + "/NumericValue/Value");
      e.numeric = std::move(v);
    }
    if (const Node* pr = rd.child(n, path, "Problem", false)) {
      Problem p;
      const std::string pp = path + "/Problem";
      p.status = rd.choice(pr, pp, "Status", {"Active", "Past", "Resolved"}, true);
      p.significance = rd.choice(pr, pp, "Significance", {"Major", "Minor"}, false);
      p.end_date = rd.date(pr, pp, "EndDate");
      e.problem = std::move(p);
    }
    out.events.push_back(std::move(e));
  }
}

void read_medications(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "MedicationList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/MedicationList", "Medication")) {
    Medication m;
    m.path = path;
    m.guid = rd.guid(n, path);
    m.date = rd.date(n, path, "AssignedDate", true);
    m.author_ref = rd.ref(n, path, "AuthorID", false);
    if (const Node* drug = rd.child(n, path, "Drug", true)) {
      m.drug = rd.code(drug, path + "/Drug", "PreparationID", {"DMD", "SNOMED", "EMISDRUG"});
    }
    m.dosage = rd.text(n, path, "Dosage");
    m.quantity = rd.text(n, path, "Quantity");
    rd.decimal(m.quantity, path + "/Quantity");
    m.units = rd.text(n, path, "QuantityUnits");
    m.prescription_type =
        rd.choice(n, path, "PrescriptionType", {"Acute", "Repeat", "RepeatDispensing"}, true);
    if (m.prescription_type == "repeatdispensing") {
      m.prescription_type = "repeat-dispensing";
    }
    m.status = rd.choice(n, path, "DrugStatus", {"Active", "Past", "Cancelled"}, true);
    m.end_date = rd.date(n, path, "EndDate");
    m.confidential = rd.flag(n, path, "Confidential");
    if (const Node* il = rd.child(n, path, "IssueList", false)) {
      for (const auto& [i, ip] : rd.children(il, path + "/IssueList", "Issue")) {
        Issue is;
        is.path = ip;
        is.guid = rd.guid(i, ip);
        is.date = rd.date(i, ip, "IssueDate", true);
        is.quantity = rd.text(i, ip, "Quantity");
        rd.decimal(is.quantity, ip + "/Quantity");
        is.units = rd.text(i, ip, "QuantityUnits");
        is.author_ref = rd.ref(i, ip, "AuthorID", false);
        m.issues.push_back(std::move(is));
      }
    }
    out.medications.push_back(std::move(m));
  }
}

void read_allergies(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "AllergyList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/AllergyList", "Allergy")) {
    Allergy a;
    a.path = path;
    a.guid = rd.guid(n, path);
    a.date = rd.date(n, path, "AssignedDate", true);
    a.author_ref = rd.ref(n, path, "AuthorID", false);
    a.code = rd.code(n, path, "Code", kEventSchemes);
    a.type = rd.choice(n, path, "Type", {"Allergy", "Intolerance"}, false);
    a.status = rd.choice(n, path, "Status", {"Active", "Inactive", "Resolved"}, true);
    a.reaction = rd.text(n, path, "Reaction");
    a.severity = rd.choice(n, path, "Severity", {"Mild", "Moderate", "Severe"}, false);
    a.comment = rd.text(n, path, "Comment");
    a.confidential = rd.flag(n, path, "Confidential");
    out.allergies.push_back(std::move(a));
  }
}

void read_alerts(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "AlertList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/AlertList", "Alert")) {
    Alert a;
    a.path = path;
    a.guid = rd.guid(n, path);
    a.date = rd.date(n, path, "AssignedDate", true);
    a.author_ref = rd.ref(n, path, "AuthorID", false);
    a.type = rd.choice(
        n, path, "Type",
        {"Safeguarding", "DNACPR", "ClinicalWarning", "ReasonableAdjustment", "Administrative"},
        true);
    a.text = rd.text(n, path, "Text", true);
    a.status = rd.choice(n, path, "Status", {"Active", "Inactive"}, true);
    a.end_date = rd.date(n, path, "EndDate");
    if (rd.child(n, path, "Code", false) != nullptr) {
      a.code = rd.code(n, path, "Code", kEventSchemes);
    }
    out.alerts.push_back(std::move(a));
  }
}

}  // namespace

Result<Extract> parse_extract(std::string_view xml, const XmlLimits& limits) {
  auto tree = parse_tree(xml, limits);
  if (!tree) {
    return tree.error();
  }
  const Node* root = (*tree)->root;
  if (root->name != "MedicalRecord") {
    return detail::located(Errc::kUnprocessable, "/",
                           "the root element must be MedicalRecord (an EMIS XML extract)");
  }
  Reader rd(limits);
  Extract out;
  if (const Node* h = rd.child(root, kRoot, "ExtractHeader", true)) {
    const std::string hp = kRoot + "/ExtractHeader";
    out.extract_id = rd.text(h, hp, "ExtractID", true);
    out.extract_datetime = rd.date(h, hp, "ExtractDateTime", true);
    out.extract_type = rd.choice(h, hp, "ExtractType", {"Full", "Delta"}, false);
  }
  if (out.extract_id.size() > 128) {
    rd.fail(kRoot + "/ExtractHeader/ExtractID", "longer than 128 characters");
  }
  read_people(rd, root, out);
  read_registration(rd, root, out);
  read_consultations(rd, root, out);
  read_events(rd, root, out);
  read_medications(rd, root, out);
  read_allergies(rd, root, out);
  read_alerts(rd, root, out);
  if (rd.failed()) {
    return rd.error();
  }
  return out;
}

std::string extract_id(std::string_view xml) {
  auto doc = parse_document(xml, XmlLimits{});
  if (!doc) {
    return {};
  }
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  for (const xmlNode* h = root->children; h != nullptr; h = h->next) {
    if (h->type != XML_ELEMENT_NODE || sv(h->name) != "ExtractHeader") {
      continue;
    }
    for (const xmlNode* c = h->children; c != nullptr; c = c->next) {
      if (c->type == XML_ELEMENT_NODE && sv(c->name) == "ExtractID") {
        xmlChar* content = xmlNodeGetContent(c);
        std::string id(sv(content));
        xmlFree(content);
        const auto b = id.find_first_not_of(" \t\r\n");
        if (b == std::string::npos) {
          return {};
        }
        id = id.substr(b, id.find_last_not_of(" \t\r\n") - b + 1);
        return id.size() <= 128 ? id : std::string{};
      }
    }
  }
  return {};
}

}  // namespace gw::adapters::emis::xml
