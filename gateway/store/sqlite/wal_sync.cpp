// Shared WAL syncs (leader/follower group commit).
#include "gateway/store/sqlite/wal_sync.hpp"

#include <cerrno>
#include <map>
#include <string>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace gw::store::sqlite {

Result<void> sync_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(Errc::kUnavailable,
                      "store: cannot open the write-ahead log to sync it: " +
                          std::error_code(errno, std::generic_category()).message());
  }
  int rc = 0;
  do {
    rc = ::fdatasync(fd);
  } while (rc != 0 && errno == EINTR);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return make_error(Errc::kUnavailable,
                      "store: the write-ahead log could not be synced: " +
                          std::error_code(err, std::generic_category()).message());
  }
  return {};
}

WalSync::WalSync(std::filesystem::path database_file, SyncFile sync)
    : wal_(database_file.string() + "-wal"), sync_(sync ? std::move(sync) : SyncFile(sync_file)) {}

Result<void> WalSync::wait_durable() {
  std::unique_lock lock(mu_);
  const std::uint64_t ticket = ++requested_;
  ++stats_.waits;
  while (synced_ < ticket) {
    if (failed_upto_ >= ticket) {
      return last_error_;  // the sync meant to cover this commit failed
    }
    if (syncing_) {
      cv_.wait(lock);
      continue;
    }
    // Leader: one sync covers every ticket handed out so far (their COMMITs all returned).
    syncing_ = true;
    const std::uint64_t upto = requested_;
    ++stats_.syncs;
    lock.unlock();
    auto r = sync_(wal_);
    lock.lock();
    syncing_ = false;
    if (r) {
      synced_ = upto;
    } else {
      failed_upto_ = upto;
      last_error_ = r.error();
    }
    cv_.notify_all();
  }
  return {};
}

WalSync::SyncStats WalSync::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::shared_ptr<WalSync> shared_wal_sync(const std::filesystem::path& database_file) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<WalSync>> by_file;
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(database_file, ec);
  const std::string key = ec ? database_file.string() : canonical.string();
  std::lock_guard lock(mu);
  if (auto existing = by_file[key].lock()) {
    return existing;
  }
  auto made = std::make_shared<WalSync>(database_file);
  by_file[key] = made;
  return made;
}

}  // namespace gw::store::sqlite
