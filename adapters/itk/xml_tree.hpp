// A locked-down libxml2 parse for the ITK adapters (SOAP, the distribution envelope, CDA): no
// DTD, no entities, no network, bounded size and depth, as gateway/fhir/xml.cpp does for FHIR
// XML; and the few tree walks the adapters need (namespaced children, attributes, text).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libxml/tree.h>

#include "gateway/core/error.hpp"

namespace gw::adapters::itk {

inline constexpr std::string_view kSoapNs = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view kWsaNs = "http://www.w3.org/2005/08/addressing";
inline constexpr std::string_view kWsa2004Ns = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
inline constexpr std::string_view kWsseNs =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
inline constexpr std::string_view kWsuNs =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
inline constexpr std::string_view kItkNs = "urn:nhs-itk:ns:201005";
inline constexpr std::string_view kHl7v3Ns = "urn:hl7-org:v3";

/** XmlLimits: bounds that keep hostile XML cheap to refuse. */
struct XmlLimits {
  std::size_t max_bytes = std::size_t{20} * 1024 * 1024;  // a SOAP request body
  std::size_t max_depth = 200;                            // CDA sections nest deeply
};

/**
 * XmlTree: one parsed XML document (owns the libxml2 tree). Move-only.
 * Thread safety: distinct trees may be used from distinct threads.
 */
class XmlTree {
public:
  /**
   * parse: refuses (kBadRequest) a DOCTYPE, malformed XML, a non-UTF-8 encoding, input over
   * limits.max_bytes and nesting over limits.max_depth. Details give a line, never a value.
   */
  [[nodiscard]] static Result<XmlTree> parse(std::string_view text, const XmlLimits& limits = {});

  /** root: the document element (never null for a parsed tree). */
  [[nodiscard]] const xmlNode* root() const { return xmlDocGetRootElement(doc_.get()); }

private:
  struct DocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
  };
  explicit XmlTree(xmlDoc* d) : doc_(d) {}
  std::unique_ptr<xmlDoc, DocFree> doc_;
};

/** is: `n` is an element named `local` in namespace `ns` ("" for no namespace). */
[[nodiscard]] bool is(const xmlNode* n, std::string_view ns, std::string_view local);
/** local_name: the element's local name. */
[[nodiscard]] std::string_view local_name(const xmlNode* n);
/** ns_of: the element's namespace URI ("" for none). */
[[nodiscard]] std::string_view ns_of(const xmlNode* n);
/** child: the first child element named `local` in `ns`, or nullptr. */
[[nodiscard]] const xmlNode* child(const xmlNode* n, std::string_view ns, std::string_view local);
/** children: every child element named `local` in `ns`, in document order. */
[[nodiscard]] std::vector<const xmlNode*> children(const xmlNode* n, std::string_view ns,
                                                   std::string_view local);
/** elements: every child element, in document order. */
[[nodiscard]] std::vector<const xmlNode*> elements(const xmlNode* n);
/** path: follows child() through namespace `ns` for each name; nullptr when a step is missing. */
[[nodiscard]] const xmlNode* path(const xmlNode* n, std::string_view ns,
                                  std::initializer_list<std::string_view> names);
/** attr: an attribute without a namespace (or, if `ns` is given, in that namespace). */
[[nodiscard]] std::optional<std::string> attr(const xmlNode* n, std::string_view name,
                                              std::string_view ns = {});
/** text: the element's text content, trimmed of surrounding white space. */
[[nodiscard]] std::string text(const xmlNode* n);
/** line: the element's line in the input. */
[[nodiscard]] long line(const xmlNode* n);
/**
 * serialize: the subtree as a standalone UTF-8 XML document, with every namespace it uses
 * declared on it (declarations inherited from ancestors are copied down).
 */
[[nodiscard]] Result<std::string> serialize(const xmlNode* n);
/** escape_xml: character data or attribute text (quotes escaped) for hand-written XML. */
[[nodiscard]] std::string escape_xml(std::string_view s);

}  // namespace gw::adapters::itk
