// InputRecorder and read_recorded: the recorded decision inputs on disk.
#include "gateway/policy/recorder.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/core/log.hpp"
#include "gateway/policy/recorded_input.hpp"

namespace gw::policy {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPrefix = "recorded-";
constexpr std::string_view kSuffix = ".jsonl";
constexpr std::size_t kDateLength = 10;  // YYYY-MM-DD

/** file_day: the midnight (UTC) a recorded file's name stands for, if it is one. */
std::optional<TimePoint> file_day(const std::string& name) {
  if (name.size() != kPrefix.size() + kDateLength + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  std::string instant = name.substr(kPrefix.size(), kDateLength);
  instant.append("T00:00:00Z");
  return parse_instant(instant);
}

/** recorded_files: the recorded files of `dir` with their days, newest first. */
std::vector<std::pair<TimePoint, fs::path>> recorded_files(const fs::path& dir) {
  std::vector<std::pair<TimePoint, fs::path>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (const auto day = file_day(e.path().filename().string()); day && e.is_regular_file(ec)) {
      out.emplace_back(*day, e.path());
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return out;
}

void log_failure(std::string_view what, const fs::path& path, int err) {
  // The file name and the reason only: the lines carry NHS numbers.
  const std::string reason = std::error_code(err, std::generic_category()).message();
  log::warn("policy_recording_failed",
            {{"what", what}, {"file", path.string()}, {"reason", reason}});
}

}  // namespace

std::string recorded_file_name(TimePoint t) {
  std::string name(kPrefix);
  name.append(format_instant(t).substr(0, kDateLength)).append(kSuffix);
  return name;
}

InputRecorder::InputRecorder(RecorderOptions options) : options_(std::move(options)) {}

InputRecorder::~InputRecorder() { close_file(); }

void InputRecorder::close_file() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  file_.clear();
}

Result<void> InputRecorder::open(TimePoint now) {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) {
    return make_error(Errc::kInternal, "cannot make the folder for recorded policy inputs " +
                                           options_.dir.string() + ": " + ec.message());
  }
  fs::permissions(options_.dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) {
    return make_error(Errc::kInternal,
                      "cannot make " + options_.dir.string() + " private (0700): " + ec.message());
  }
  (void)prune(now);
  return {};
}

std::size_t InputRecorder::prune(TimePoint now) {
  const auto cutoff =
      now - std::chrono::hours(24) * static_cast<std::int64_t>(options_.retention_days);
  // A file holds its whole day: it goes once the day's end is past the cut-off.
  std::size_t removed = 0;
  for (const auto& [day, path] : recorded_files(options_.dir)) {
    if (day + std::chrono::hours(24) <= cutoff) {
      std::error_code ec;
      if (fs::remove(path, ec)) {
        ++removed;
      } else if (ec) {
        log_failure("remove", path, ec.value());
      }
    }
  }
  return removed;
}

Result<void> InputRecorder::ensure_file(TimePoint at) {
  const std::string name = recorded_file_name(at);
  if (fd_ >= 0 && name == file_) {
    return {};
  }
  close_file();
  const fs::path path = options_.dir / name;
  // O_APPEND: each record() is one write at the end, so concurrent processes keep whole lines.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    log_failure("open", path, err);
    return make_error(Errc::kInternal, "cannot open a recorded inputs file");
  }
  (void)::fchmod(fd, 0600);
  fd_ = fd;
  file_ = name;
  // A new day's file (or one opened again after an error): drop the days past the retention.
  (void)prune(at);
  return {};
}

void InputRecorder::record(std::span<const RecordedInput> inputs) {
  if (inputs.empty()) {
    return;
  }
  const std::size_t n = std::min(inputs.size(), options_.max_lines_per_request);
  dropped_ += inputs.size() - n;
  std::string buffer = recorded_input_json(inputs[0]);  // one line (the usual case): no copy
  buffer.push_back('\n');
  for (std::size_t i = 1; i < n; ++i) {
    buffer.append(recorded_input_json(inputs[i])).push_back('\n');
  }
  std::lock_guard lock(mu_);
  if (!ensure_file(inputs.front().at)) {
    failures_ += n;
    return;
  }
  std::string_view rest = buffer;
  while (!rest.empty()) {
    const auto w = ::write(fd_, rest.data(), rest.size());
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      log_failure("write", options_.dir / file_, w < 0 ? errno : EIO);
      failures_ += n;
      close_file();  // opened again on the next record
      return;
    }
    rest.remove_prefix(static_cast<std::size_t>(w));
  }
  lines_ += n;
}

Result<ReadRecorded> read_recorded(const fs::path& dir, std::size_t limit,
                                   std::optional<TimePoint> since) {
  ReadRecorded out;
  for (const auto& [day, path] : recorded_files(dir)) {
    if (out.inputs.size() >= limit) {
      break;
    }
    if (since && day + std::chrono::hours(24) <= *since) {
      break;  // this file and every older one hold only requests before `since`
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return make_error(Errc::kInternal, path.string() + ": cannot read the recorded inputs");
    }
    ++out.files;
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") != std::string::npos) {
        lines.push_back(std::move(line));
      }
    }
    for (auto it = lines.rbegin(); it != lines.rend() && out.inputs.size() < limit; ++it) {
      auto r = parse_recorded_input(*it);
      if (!r) {
        ++out.unreadable;
      } else if (since && r->at < *since) {
        ++out.earlier;
      } else {
        out.inputs.push_back(std::move(*r));
      }
    }
  }
  return out;
}

}  // namespace gw::policy
