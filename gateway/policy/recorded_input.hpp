// Recorded decision inputs as JSON (one object per line), so a dry run can replay requests the
// audit log kept, and the definition lines that let a recorded file hold a repeated resource list
// once (by its SHA-256). Holds codes and ids; the NHS number is there because the audit log keeps
// it (never write these lines to the ordinary log).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/policy/explain.hpp"

namespace gw::policy {

/**
 * ResourceListLookup: the resource list defined under a digest earlier in the same recorded file,
 * or null when there is none that is whole and matches its digest (RecordedLines).
 */
using ResourceListLookup =
    std::function<const std::vector<RecordedResource>*(std::string_view digest)>;

/**
 * parse_recorded_input: one RecordedInput from JSON:
 *   {"id", "at" (UTC instant "YYYY-MM-DDThh:mm:ssZ"),
 *    "requester": {"system", "user", "role", "organisation", "purpose"},
 *    "patient": {"nhsNumber", "registeredPractice", "objection",
 *                "episodes": [{"kind", "org", "open", "start", "end", "careCoordinator"}]},
 *    "resources": [{"type", "id", "category", "sensitivity": [class...], "source"}],
 *    "breakGlass": {"reason", "grantedAt", "expiresAt"}}   (optional)
 * Episode kinds: admission, attendance, mental-health-episode, social-care-case,
 * ambulance-incident. In a recorded file, "resourcesRef": "<digest>" may stand for "resources":
 * the list a definition line before it defines (parse_resources_definition).
 * @param lookup resolves "resourcesRef"; without it (a request body) a reference is an error
 * @return kBadRequest naming the first field that is wrong (a "resourcesRef" that `lookup` does
 *   not resolve, or both "resources" and "resourcesRef", included)
 */
[[nodiscard]] Result<RecordedInput> parse_recorded_input(std::string_view json,
                                                         const ResourceListLookup& lookup = {});

/**
 * recorded_input_json: the same shape with the resources inline, for whoever records decisions
 * (the audit writer) and for the dry run's inputs.
 */
[[nodiscard]] std::string recorded_input_json(const RecordedInput& input);

/**
 * RecordedInputFrame: an input's line without its resource list, so that the recorder can finish
 * it either with the list inline or with a reference to the list's definition.
 */
struct RecordedInputFrame {
  std::string head;  // from '{' to the end of "patient" (no comma)
  std::string tail;  // "breakGlass" when there is one, and the closing '}'
};

/** recorded_input_frame: the frame of `input` (its resources are not read). */
[[nodiscard]] RecordedInputFrame recorded_input_frame(const RecordedInput& input);

/** append_with_resources: frame.head + ,"resources":<array> + frame.tail onto `out`. */
void append_with_resources(std::string& out, const RecordedInputFrame& frame,
                           std::string_view resources_array);

/** append_with_reference: frame.head + ,"resourcesRef":"<digest>" + frame.tail onto `out`. */
void append_with_reference(std::string& out, const RecordedInputFrame& frame,
                           std::string_view digest);

/**
 * recorded_resources_json: the "resources" array of a recorded input alone; this is the list's
 * canonical JSON, the one its digest is taken over.
 */
[[nodiscard]] std::string recorded_resources_json(std::span<const RecordedResource> resources);

/** resources_digest: SHA-256 of a list's canonical JSON, as 64 lower-case hex digits. */
[[nodiscard]] std::string resources_digest(std::string_view resources_array);

/**
 * prepare_recorded_resources: a list ready to be recorded again and again (a kept answer's,
 * RecordedInput::prepared_resources): its definition line, without the newline,
 *   {"resourcesDef":"<resources_digest of the array>","resources":[...]}
 * The digest is computed here, once, not per recorded read.
 */
[[nodiscard]] std::string prepare_recorded_resources(std::span<const RecordedResource> resources);

/** definition_line: the definition line of an array whose digest is known (no newline). */
[[nodiscard]] std::string definition_line(std::string_view digest,
                                          std::string_view resources_array);

/** PreparedResources: the parts of a definition line, viewed in place. */
struct PreparedResources {
  std::string_view digest;      // 64 lower-case hex digits
  std::string_view array;       // the list's canonical JSON
  std::string_view definition;  // the whole line (no newline)
};

/**
 * view_prepared_resources: the parts of `line` when it is laid out exactly as
 * prepare_recorded_resources() writes it; the digest is not checked here (the writer made it;
 * the reader checks with parse_resources_definition).
 */
[[nodiscard]] std::optional<PreparedResources> view_prepared_resources(std::string_view line);

/**
 * definition_digest: the digest a recorded line defines a list under, when the line starts as
 * a definition line does ({"resourcesDef":"<64 hex>"); cheap (no parse). Such a line is never
 * an input.
 */
[[nodiscard]] std::optional<std::string_view> definition_digest(std::string_view line);

/** ResourcesDefinition: a resource list defined in a recorded file, checked. */
struct ResourcesDefinition {
  std::string digest;
  std::vector<RecordedResource> resources;
};

/**
 * parse_resources_definition: a definition line {"resourcesDef", "resources"}, its digest checked
 * against the canonical JSON of the resources it holds.
 * @return kBadRequest when the line does not parse, has other members, or its resources do not
 *   match its digest (a damaged or altered definition)
 */
[[nodiscard]] Result<ResourcesDefinition> parse_resources_definition(std::string_view json);

/** parse_instant / format_instant: UTC instants "YYYY-MM-DDThh:mm:ssZ". */
[[nodiscard]] std::optional<TimePoint> parse_instant(std::string_view s);
[[nodiscard]] std::string format_instant(TimePoint t);

}  // namespace gw::policy
