// The EMIS extract's XML reader: one strict, bounded pass over UTF-8 text into a flat tree of
// elements (local names, element children in order, each element's character data), refusing
// what is not well-formed XML, any DOCTYPE, and any reference other than XML's five predefined
// entities and character references (nothing is ever fetched). Errors name the element path and
// the line. Hand-written where libxml2 could serve: adapters/emis/README.md ("How the EMIS XML
// extract is read") says why.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"

namespace gw::adapters::emis::xml {

/** XmlNode: one element of a read document. Views point into the input or the document. */
struct XmlNode {
  std::string_view name;              // the local name (a namespace prefix is dropped)
  const XmlNode* children = nullptr;  // the first element child
  const XmlNode* next = nullptr;      // the next element sibling
  /** text: the element's character data joined (text, CDATA sections, references resolved,
   *  line ends normalised to LF; comments and processing instructions left out). Kept only
   *  for an element with no element children; empty otherwise. */
  std::string_view text;
  std::size_t offset = 0;  // where the element's start tag begins in the input
};

/** XmlDocument: the elements of one document; holds views into the input it was read from,
 *  which must outlive it. Movable; the nodes do not move with it. */
class XmlDocument {
public:
  /** root: the document element (never null in a document read_xml returned). */
  [[nodiscard]] const XmlNode* root() const { return chunks_.front().get(); }
  /** line_of: the 1-based line of byte `offset` of the input. */
  [[nodiscard]] std::size_t line_of(std::size_t offset) const;

private:
  friend class XmlParser;
  std::string_view input_;
  /** new_node: a node that stays where it is while the document lives. */
  XmlNode& new_node();

  // The nodes in document order (the root first), in chunks so that none moves as more come
  // and not much more is allocated than the document has elements.
  // Each node is constructed as it is handed out, not when its chunk is allocated.
  struct FreeChunk {
    void operator()(XmlNode* chunk) const noexcept { ::operator delete(static_cast<void*>(chunk)); }
  };
  std::vector<std::unique_ptr<XmlNode, FreeChunk>> chunks_;
  std::size_t chunk_used_ = 0;
  std::size_t chunk_size_ = 0;
  std::unique_ptr<char[]> decoded_;  // text that needed decoding (at most the input's size)
};

namespace scan {
/** name_end: the first byte of in[i, n) that is not an ASCII letter, digit, '_', '-' or '.', or
 *  n (the common names' scan; 16 bytes at a time where SSE2 is there). */
[[nodiscard]] std::size_t name_end(const char* in, std::size_t i, std::size_t n);
/** stop_at: the first byte of in[i, n) where the text scan must look closer, or n: '<', '&',
 *  ']', a control character but tab and LF (CR included), or any byte from 0x80 on. */
[[nodiscard]] std::size_t stop_at(const char* in, std::size_t i, std::size_t n);
}  // namespace scan

/**
 * read_xml: reads `input` (UTF-8, a BOM allowed) as an XML 1.0 document with namespaces.
 * Refuses (kBadRequest, detail "<element path>: <what> ... at line N ...") a DOCTYPE, an entity
 * reference other than amp, lt, gt, apos and quot, an invalid character reference, bytes that
 * are not UTF-8 or characters XML forbids, mismatched or unclosed tags, attribute syntax errors
 * and repeated attributes, an undeclared namespace prefix, text or a second element outside the
 * root, and elements nested deeper than `max_depth`. Never throws; thread-safe.
 */
[[nodiscard]] Result<XmlDocument> read_xml(std::string_view input, std::size_t max_depth);

}  // namespace gw::adapters::emis::xml
