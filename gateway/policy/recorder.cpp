// InputRecorder and read_recorded: the recorded decision inputs on disk.
#include "gateway/policy/recorder.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <memory>
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
  defined_.clear();  // the lists a file defines are known for that file only
  newline_first_ = false;
  known_end_ = 0;
}

std::size_t InputRecorder::DigestHash::operator()(const Digest& d) const noexcept {
  return std::hash<std::string_view>{}(std::string_view(d.data(), d.size()));
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
  // O_RDWR rather than O_WRONLY: start_file_state reads the last byte (pread needs a readable fd).
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    log_failure("open", path, err);
    return make_error(Errc::kInternal, "cannot open a recorded inputs file");
  }
  (void)::fchmod(fd, 0600);
  fd_ = fd;
  file_ = name;
  struct stat st {};
  start_file_state(::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0);
  // A new day's file (or one opened again after an error): drop the days past the retention.
  (void)prune(at);
  return {};
}

void InputRecorder::start_file_state(std::uint64_t size) {
  defined_.clear();
  known_end_ = size;
  newline_first_ = false;
  if (size > 0) {
    // A write cut short (a crash, a full disk) leaves a torn last line: start on a new line so
    // that the next line is not torn too.
    char last = '\n';
    newline_first_ = ::pread(fd_, &last, 1, static_cast<off_t>(size - 1)) == 1 && last != '\n';
  }
}

Result<void> InputRecorder::ensure_definitions_hold(TimePoint at) {
  // References are written only while the definitions they name are in the file: one removed
  // or cut short under the writer (by hand) no longer holds them, so they are written again.
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || st.st_nlink == 0) {
    close_file();
    return ensure_file(at);
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < known_end_) {
    start_file_state(size);
  }
  known_end_ = size;
  return {};
}

bool InputRecorder::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto w = ::write(fd_, bytes.data(), bytes.size());
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      log_failure("write", options_.dir / file_, w < 0 ? errno : EIO);
      close_file();  // opened again on the next record
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(w));
  }
  return true;
}

namespace {

/**
 * PendingLine: one input's line made ready outside the lock: its frame and its resource list,
 * either inline (`inline_array`) or by reference (`list`: digest and definition line). Views
 * point into `own` or into the caller's input, so a PendingLine is never moved.
 */
struct PendingLine {
  PendingLine() = default;
  PendingLine(const PendingLine&) = delete;
  PendingLine& operator=(const PendingLine&) = delete;

  RecordedInputFrame frame;
  std::string own;  // the list's JSON made here (when the input did not bring it prepared)
  std::string_view inline_array;
  std::optional<PreparedResources> list;
};

/** prepare_line: `line` for `in`; a list shorter than `inline_below` bytes stays inline. */
void prepare_line(const RecordedInput& in, std::size_t inline_below, PendingLine& line) {
  line.frame = recorded_input_frame(in);
  if (!in.prepared_resources.empty()) {
    const auto prepared = view_prepared_resources(in.prepared_resources);
    if (!prepared) {
      line.inline_array = in.prepared_resources;  // a bare array, as given
    } else if (prepared->array.size() < inline_below) {
      line.inline_array = prepared->array;
    } else {
      line.list = prepared;  // the digest was taken once, when the list was prepared
    }
    return;
  }
  std::string array = recorded_resources_json(in.resources);
  if (array.size() < inline_below) {
    line.own = std::move(array);
    line.inline_array = line.own;
    return;
  }
  line.own = definition_line(resources_digest(array), array);
  line.list = view_prepared_resources(line.own);
  if (!line.list) {  // cannot happen (definition_line writes that layout); stay inline if so
    line.own = std::move(array);
    line.inline_array = line.own;
  }
}

/** digest_of: a prepared list's digest as the writer keeps it. */
std::array<char, 64> digest_of(const PreparedResources& list) {
  std::array<char, 64> d{};
  std::copy_n(list.digest.begin(), std::min(d.size(), list.digest.size()), d.begin());
  return d;
}

/** new_lists: how many distinct lists of `lines` the open file does not define yet. */
template <class Set>
std::size_t new_lists(const PendingLine* lines, std::size_t n, const Set& defined) {
  std::vector<std::array<char, 64>> seen;
  for (std::size_t i = 0; i < n; ++i) {
    if (const auto& list = lines[i].list; list.has_value()) {
      const auto d = digest_of(*list);
      if (!defined.contains(d) && std::find(seen.begin(), seen.end(), d) == seen.end()) {
        seen.push_back(d);
      }
    }
  }
  return seen.size();
}

}  // namespace

void InputRecorder::record(std::span<const RecordedInput> inputs) {
  if (inputs.empty()) {
    return;
  }
  const std::size_t n = std::min(inputs.size(), options_.max_lines_per_request);
  dropped_ += inputs.size() - n;
  const auto lines = std::make_unique<PendingLine[]>(n);
  std::size_t by_reference = 0;
  for (std::size_t i = 0; i < n; ++i) {
    prepare_line(inputs[i], options_.inline_resources_below, lines[i]);
    by_reference += lines[i].list ? 1 : 0;
  }
  std::lock_guard lock(mu_);
  if (!ensure_file(inputs.front().at) ||
      (by_reference > 0 && !ensure_definitions_hold(inputs.front().at))) {
    failures_ += n;
    return;
  }
  if (defined_.size() + new_lists(lines.get(), n, defined_) > options_.max_defined_lists) {
    defined_.clear();  // bounded memory: the lists are defined again as they come
  }
  std::string buffer;
  if (newline_first_) {
    buffer.push_back('\n');
  }
  std::vector<Digest> new_here;  // lists this write defines (a definition before its first use)
  for (std::size_t i = 0; i < n; ++i) {
    const PendingLine& line = lines[i];
    if (!line.list) {
      append_with_resources(buffer, line.frame, line.inline_array);
      buffer.push_back('\n');
      continue;
    }
    const Digest d = digest_of(*line.list);
    if (!defined_.contains(d) && std::find(new_here.begin(), new_here.end(), d) == new_here.end()) {
      buffer.append(line.list->definition).push_back('\n');
      new_here.push_back(d);
    }
    append_with_reference(buffer, line.frame, line.list->digest);
    buffer.push_back('\n');
  }
  if (!write_all(buffer)) {
    failures_ += n;
    return;
  }
  newline_first_ = false;
  known_end_ += buffer.size();
  defined_.insert(new_here.begin(), new_here.end());
  definitions_ += new_here.size();
  lines_ += n;
}

RecordedLines::RecordedLines(std::vector<std::string> lines) : lines_(std::move(lines)) {
  digests_.reserve(lines_.size());
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    const auto digest = definition_digest(lines_[i]);
    digests_.push_back(digest);
    if (digest.has_value()) {
      definitions_[*digest].push_back(i);
    }
  }
}

const RecordedLines::Checked& RecordedLines::checked(std::size_t i) {
  if (const auto it = checked_.find(i); it != checked_.end()) {
    return it->second;
  }
  Checked c;
  auto def = parse_resources_definition(lines_[i]);
  if (def) {
    c.resources = std::move(def->resources);
  } else {
    c.error = def.error();
  }
  return checked_.emplace(i, std::move(c)).first->second;
}

const std::vector<RecordedResource>* RecordedLines::list_before(std::string_view digest,
                                                                std::size_t line) {
  const auto it = definitions_.find(digest);
  if (it == definitions_.end()) {
    return nullptr;
  }
  // The first good definition before the line: another process (or a restart) may have
  // defined the same list again after a torn one.
  for (const std::size_t at : it->second) {
    if (at >= line) {
      break;
    }
    if (const Checked& c = checked(at); !c.error) {
      return &c.resources;
    }
  }
  return nullptr;
}

Result<void> RecordedLines::check_definition(std::size_t i) {
  if (const Checked& c = checked(i); c.error) {
    return *c.error;
  }
  return {};
}

Result<RecordedInput> RecordedLines::input(std::size_t i) {
  return parse_recorded_input(
      lines_[i], [this, i](std::string_view digest) { return list_before(digest, i); });
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
    RecordedLines file(std::move(lines));
    for (std::size_t i = file.size(); i-- > 0 && out.inputs.size() < limit;) {
      if (file.is_definition(i)) {
        out.unreadable += file.check_definition(i) ? 0 : 1;
        continue;
      }
      auto r = file.input(i);
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
