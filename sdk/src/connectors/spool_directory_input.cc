#include "inlet/connectors/spool_directory_input.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "connectors/line_splitter.h"
#include "connectors/unique_fd.h"
#include "inlet/source.h"
#include "stable_hash.h"

namespace inlet {
namespace {

constexpr size_t kReadChunk = size_t{64} * 1024;

std::string ErrnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

class SpoolSource final : public StatelessSource<std::string> {
 public:
  SpoolSource(const SpoolDirectoryOptions& options, int worker_index, int worker_count)
      : options_(options), worker_index_(worker_index), worker_count_(worker_count) {}

  absl::StatusOr<Poll> NextBatch(std::vector<std::string>& out) override {
    const auto on_line = [&](std::string line) { out.push_back(std::move(line)); };
    while (out.size() < options_.batch_size) {
      if (!file_.valid()) {
        if (queue_.empty() && absl::Now() >= next_scan_) {
          if (absl::Status scanned = Scan(); !scanned.ok()) return scanned;
        }
        if (queue_.empty()) break;
        if (absl::Status opened = OpenNext(); !opened.ok()) return opened;
        continue;
      }
      const ssize_t got = ::read(file_.get(), chunk_.data(), chunk_.size());
      if (got < 0) {
        if (errno == EINTR) continue;
        return absl::InternalError(absl::StrCat("read ", (options_.directory / current_).string(),
                                                ": ", ErrnoText(errno)));
      }
      if (got == 0) {
        splitter_.Finish(on_line);
        file_.Reset();
        read_.push_back(std::exchange(current_, std::string()));
        continue;
      }
      splitter_.Feed(std::string_view(chunk_.data(), static_cast<size_t>(got)), on_line);
    }
    const bool idle = !file_.valid() && queue_.empty();
    return options_.stop_when_empty && idle && scanned_empty_ ? Poll::kEnd : Poll::kMore;
  }

  std::optional<absl::Time> NextAwake() override {
    if (file_.valid() || !queue_.empty()) return absl::InfinitePast();
    return next_scan_;
  }

  // Every file read to its end before this call is durable: remove it.
  void Committed() override {
    for (const std::string& name : read_) {
      const std::filesystem::path path = options_.directory / name;
      if (options_.done_directory.empty()) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
          throw std::runtime_error(
              absl::StrCat("cannot delete delivered file ", path.string(), ": ", ErrnoText(errno)));
        }
      } else {
        const std::filesystem::path done = options_.done_directory / name;
        if (::rename(path.c_str(), done.c_str()) != 0) {
          throw std::runtime_error(absl::StrCat("cannot move delivered file ", path.string(),
                                                " to ", done.string(), ": ", ErrnoText(errno)));
        }
      }
      seen_.erase(name);
    }
    read_.clear();
  }

  void Close() override { file_.Reset(); }

 private:
  // Queues the files of this worker that this run has not read yet, in name
  // order.
  absl::Status Scan() {
    std::error_code error;
    std::filesystem::directory_iterator entries(options_.directory, error);
    if (error) {
      return absl::NotFoundError(absl::StrCat("cannot read spool directory ",
                                              options_.directory.string(), ": ", error.message()));
    }
    std::vector<std::string> found;
    for (const std::filesystem::directory_entry& entry : entries) {
      std::string name = entry.path().filename().string();
      if (name.empty() || name.front() == '.') continue;
      if (!entry.is_regular_file(error)) continue;
      // A stable hash, so the processes of a cluster agree on the worker.
      if (internal::Fnv1a64(name) % static_cast<uint64_t>(worker_count_) !=
          static_cast<uint64_t>(worker_index_)) {
        continue;
      }
      if (seen_.contains(name)) continue;
      found.push_back(std::move(name));
    }
    std::sort(found.begin(), found.end());
    scanned_empty_ = found.empty();
    for (std::string& name : found) {
      seen_.insert(name);
      queue_.push_back(std::move(name));
    }
    next_scan_ = absl::Now() + options_.scan_interval;
    return absl::OkStatus();
  }

  absl::Status OpenNext() {
    current_ = std::move(queue_.front());
    queue_.pop_front();
    const std::filesystem::path path = options_.directory / current_;
    file_.Reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file_.valid()) {
      return absl::NotFoundError(
          absl::StrCat("cannot open ", path.string(), ": ", ErrnoText(errno)));
    }
    return absl::OkStatus();
  }

  const SpoolDirectoryOptions& options_;
  const int worker_index_;
  const int worker_count_;
  std::deque<std::string> queue_;  // Found, not yet opened.
  std::set<std::string> seen_;     // Queued, being read, or read and not yet removed.
  std::vector<std::string> read_;  // Read to the end, waiting for `Committed`.
  std::string current_;
  internal::UniqueFd file_;
  internal::LineSplitter splitter_;
  std::string chunk_ = std::string(kReadChunk, '\0');
  absl::Time next_scan_ = absl::InfinitePast();
  bool scanned_empty_ = false;
};

}  // namespace

absl::Status SpoolDirectoryOptions::Validate() const {
  const auto is_directory = [](const std::filesystem::path& path) {
    std::error_code error;
    return std::filesystem::is_directory(path, error);
  };
  if (directory.empty()) {
    return absl::InvalidArgumentError("SpoolDirectoryOptions.directory is empty");
  }
  if (!is_directory(directory)) {
    return absl::NotFoundError(absl::StrCat("SpoolDirectoryOptions.directory ", directory.string(),
                                            " is not a directory"));
  }
  if (!done_directory.empty()) {
    if (!is_directory(done_directory)) {
      return absl::NotFoundError(absl::StrCat("SpoolDirectoryOptions.done_directory ",
                                              done_directory.string(), " is not a directory"));
    }
    std::error_code error;
    if (std::filesystem::equivalent(directory, done_directory, error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("SpoolDirectoryOptions.done_directory ", done_directory.string(),
                       " is the spool directory itself; delivered files would be read again"));
    }
  }
  if (scan_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SpoolDirectoryOptions.scan_interval must be positive, got ",
                     absl::FormatDuration(scan_interval)));
  }
  if (batch_size == 0) {
    return absl::InvalidArgumentError("SpoolDirectoryOptions.batch_size must be at least 1");
  }
  return absl::OkStatus();
}

SpoolDirectoryInput::SpoolDirectoryInput(SpoolDirectoryOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<SpoolDirectoryInput::Source>> SpoolDirectoryInput::Build(
    std::string_view, int worker_index, int worker_count) {
  if (absl::Status valid = options_.Validate(); !valid.ok()) return valid;
  return std::make_unique<SpoolSource>(options_, worker_index, worker_count);
}

}  // namespace inlet
