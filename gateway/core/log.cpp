// JSON log lines on spdlog: the line's fields are serialised by RapidJSON so they are always valid.
#include "gateway/core/log.hpp"

#include <memory>
#include <string>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace gw::log {
namespace {

spdlog::level::level_enum to_spd(Level l) {
  switch (l) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

void init(Level min) {
  auto logger = spdlog::stderr_logger_mt("caregw");
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                      spdlog::pattern_time_type::utc);
  logger->set_level(to_spd(min));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

bool parse_level(std::string_view text, Level& out) {
  if (text == "debug") {
    out = Level::kDebug;
  } else if (text == "info") {
    out = Level::kInfo;
  } else if (text == "warn") {
    out = Level::kWarn;
  } else if (text == "error") {
    out = Level::kError;
  } else {
    return false;
  }
  return true;
}

bool enabled(Level level) { return spdlog::default_logger_raw()->should_log(to_spd(level)); }

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (!enabled(level)) {
    return;
  }
  auto* logger = spdlog::default_logger_raw();
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  // The pattern supplies the opening brace, ts and level; we write the rest of the members.
  w.StartObject();
  w.Key("event");
  w.String(event.data(), static_cast<rapidjson::SizeType>(event.size()));
  for (const Field& f : fields) {
    w.Key(f.key.data(), static_cast<rapidjson::SizeType>(f.key.size()));
    if (const auto* s = std::get_if<std::string_view>(&f.value)) {
      w.String(s->data(), static_cast<rapidjson::SizeType>(s->size()));
    } else if (const auto* i = std::get_if<std::int64_t>(&f.value)) {
      w.Int64(*i);
    } else {
      w.Bool(std::get<bool>(f.value));
    }
  }
  w.EndObject();
  // Strip the object's own braces: the pattern wraps the members.
  std::string_view body(buf.GetString(), buf.GetSize());
  body.remove_prefix(1);
  body.remove_suffix(1);
  logger->log(to_spd(level), "{}", body);
}

}  // namespace gw::log
