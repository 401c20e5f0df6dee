// FHIR media types: which format a client asked for (`_format`, then Accept) and which format a
// request body is in (Content-Type). See http://hl7.org/fhir/R4/http.html#mime-type.
#pragma once

#include <string_view>

#include "gateway/core/error.hpp"

namespace gw::fhir {

enum class Format { kJson, kXml };

/** media_type: the Content-Type to send, e.g. "application/fhir+json; charset=utf-8". */
[[nodiscard]] std::string_view media_type(Format f);

/**
 * response_format: `_format` (if given) wins over Accept. Accept is read with its q-values; a
 * missing Accept, any type, or any application type means JSON. Anything that names neither FHIR
 * JSON nor FHIR XML is kNotAcceptable (406), naming what was asked for.
 * @param format_param the `_format` query parameter, or empty when absent
 */
[[nodiscard]] Result<Format> response_format(std::string_view format_param,
                                             std::string_view accept);

/**
 * request_format: the format of a request body from its Content-Type (parameters such as
 * charset ignored; a charset other than UTF-8 refused). kUnsupportedMediaType (415) otherwise.
 */
[[nodiscard]] Result<Format> request_format(std::string_view content_type);

}  // namespace gw::fhir
