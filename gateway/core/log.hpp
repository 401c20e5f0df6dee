// Operator logs: one JSON object per line on stderr. Never pass NHS numbers, names or message
// bodies here; those belong only in the audit log (DESIGN.md, security defaults).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <variant>

namespace gw::log {

enum class Level { kDebug, kInfo, kWarn, kError };

/** Field: one key/value pair of a structured log line. */
struct Field {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, bool> value;
};

/** init: routes logs to stderr as JSON lines at or above `min`. Call once at startup. */
void init(Level min);

/** parse_level: "debug", "info", "warn" or "error"; false if the text is none of them. */
[[nodiscard]] bool parse_level(std::string_view text, Level& out);

/**
 * enabled: whether lines at `level` are written, for a caller whose fields cost something to
 * work out (read a clock, format a value) on a path taken per request.
 */
[[nodiscard]] bool enabled(Level level);

/** write: logs `event` with fields. Thread-safe. */
void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void debug(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::kDebug, e, f);
}
inline void info(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::kInfo, e, f);
}
inline void warn(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::kWarn, e, f);
}
inline void error(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::kError, e, f);
}

}  // namespace gw::log
