#include "inlet/connectors/file_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "file_range.h"
#include "file_watch.h"
#include "inlet/waker.h"
#include "utf8.h"

namespace inlet {
namespace {

// Bytes asked of the kernel per read.
constexpr size_t kChunkBytes = size_t{64} << 10;
// Bounds the work of one `NextBatch` call (documented in file_input.h).
constexpr size_t kMaxBytesPerCall = size_t{1} << 20;
// A watched file is looked at anyway every this many poll intervals, for
// the changes no notification reports (documented in file_input.h).
constexpr int kSafetyPollIntervals = 50;

absl::Status NotRegularFile(const std::string& name, mode_t mode) {
  if (S_ISDIR(mode)) return absl::ErrnoToStatus(EISDIR, name);
  return absl::InvalidArgumentError(absl::StrCat(name, ": not a regular file"));
}

class FileSource final : public StatefulSource<std::string, int64_t> {
 public:
  // `after_cr`: the byte before `offset` is a '\r' that ended a line, so a
  // '\n' at `offset` belongs to that ending (universal line endings).
  FileSource(std::string name, int fd, int64_t offset, bool after_cr,
             const FileInputOptions& options, std::optional<internal::FileRange> range)
      : name_(std::move(name)),
        fd_(fd),
        offset_(offset),
        read_end_(offset),
        end_(range.has_value() ? range->end : std::numeric_limits<int64_t>::max()),
        range_start_(range.has_value() ? range->start : 0),
        // A range not started yet begins at the first line starting at or
        // after its start: the bytes up to the first newline from the byte
        // before the start belong to the range before.
        seek_line_(range.has_value() && range->start > 0 && offset == range->start),
        max_lines_(std::max<size_t>(options.batch_size, 1)),
        follow_(options.follow),
        universal_(options.line_ending == LineEnding::kUniversal),
        require_utf8_(options.require_utf8),
        poll_interval_(std::max(options.poll_interval, absl::Milliseconds(1))),
        skip_lf_(after_cr) {
    if (seek_line_) offset_ = read_end_ = range_start_ - 1;
  }

  ~FileSource() override { Close(); }

  // Where the OS reports changes, a followed file wakes its partition
  // instead of being polled. Only runtimes that can be woken bind a waker:
  // under the others the partition keeps polling every `poll_interval`.
  void BindWaker(Waker waker) override {
    if (follow_ && fd_ >= 0) watch_ = internal::FileWatch::Start(fd_, waker);
    WakeableSource::BindWaker(std::move(waker));
  }

  absl::StatusOr<Poll> NextBatch(std::vector<std::string>& out) override {
    awake_.reset();
    size_t head = 0;  // Start of the first line not yet handed out.
    size_t lines = 0;
    size_t bytes_read = 0;
    bool eof = false;
    bool past_end = false;  // The next line starts at or after the range's end.
    while (seek_line_) {
      const size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        Consume(newline + 1);
        seek_line_ = false;
        break;
      }
      Consume(buffer_.size());
      if (eof) return End();
      if (bytes_read >= kMaxBytesPerCall) return Poll::kMore;
      absl::StatusOr<size_t> n = ReadChunk();
      if (!n.ok()) return n.status();
      bytes_read += *n;
      eof = *n == 0;
    }
    while (lines < max_lines_) {
      if (offset_ + static_cast<int64_t>(head) >= end_) {
        past_end = true;
        break;
      }
      if (skip_lf_ && head < buffer_.size()) {
        skip_lf_ = false;
        if (buffer_[head] == '\n') scan_ = ++head;
      }
      const std::optional<LineEnd> end = FindLineEnd(eof);
      if (end.has_value()) {
        if (absl::Status valid = CheckLine(head, end->at); !valid.ok()) {
          Consume(head);
          if (lines > 0) return Poll::kMore;  // The lines before it first; the next call fails.
          return valid;
        }
        out.emplace_back(buffer_, head, end->at - head);
        head = end->at + end->length;
        scan_ = head;
        skip_lf_ = end->cr_alone;
        ++lines;
        continue;
      }
      if (eof || bytes_read >= kMaxBytesPerCall) break;
      absl::StatusOr<size_t> n = ReadChunk();
      if (!n.ok()) return n.status();
      bytes_read += *n;
      eof = *n == 0;
    }
    Consume(head);
    if (past_end) return End();

    if (!eof) return Poll::kMore;
    if (!follow_) {
      if (!buffer_.empty() && offset_ < end_) {
        if (absl::Status valid = CheckLine(0, buffer_.size()); !valid.ok()) {
          return lines > 0 ? absl::StatusOr<Poll>(Poll::kMore) : valid;
        }
        offset_ += static_cast<int64_t>(buffer_.size());
        out.push_back(std::move(buffer_));
        buffer_.clear();
        scan_ = 0;
      }
      return End();
    }
    struct stat st;
    if (fstat(fd_, &st) != 0) return absl::ErrnoToStatus(errno, name_);
    if (st.st_size < read_end_) {
      return absl::FailedPreconditionError(absl::StrCat(name_, ": file shrank to ", st.st_size,
                                                        " bytes while being followed at offset ",
                                                        read_end_));
    }
    if (lines == 0) {
      awake_ = absl::Now() +
               (watch_ != nullptr ? kSafetyPollIntervals * poll_interval_ : poll_interval_);
    }
    return Poll::kMore;
  }

  std::optional<absl::Time> NextAwake() override { return awake_; }

  // While a range seeks its first line, its start: the state of a range not
  // started yet.
  int64_t Snapshot() override { return seek_line_ ? range_start_ : offset_; }

  // Bytes of the file after the last line handed out; an fstat, so it sees
  // what a followed file grew by.
  std::optional<Backlog> EstimateBacklog() override {
    struct stat st;
    if (fstat(fd_, &st) != 0) return std::nullopt;
    return Backlog{.amount = std::max<int64_t>(st.st_size - offset_, 0),
                   .unit = Backlog::Unit::kBytes};
  }

  void Close() override {
    watch_.reset();  // Before its descriptor is closed.
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  // Where a line ends in `buffer_`: its ending starts at `at` and is
  // `length` bytes long; `cr_alone` when it is a '\r' whose next byte is not
  // read yet.
  struct LineEnd {
    size_t at;
    size_t length;
    bool cr_alone;
  };

  // The end of the line that starts at or before `scan_`, or nullopt when `buffer_`
  // does not hold it whole yet (`eof`: nothing more could be read now).
  std::optional<LineEnd> FindLineEnd(bool eof) {
    if (!universal_) {
      const size_t newline = buffer_.find('\n', scan_);
      if (newline != std::string::npos) return LineEnd{newline, 1, false};
      scan_ = buffer_.size();
      return std::nullopt;
    }
    // Two memchr scans, not find_first_of, which tests each byte against the
    // set one by one: the first '\n', then a '\r' only before it.
    size_t at = buffer_.find('\n', scan_);
    const size_t cr_limit = at == std::string::npos ? buffer_.size() : at;
    if (const void* cr = std::memchr(buffer_.data() + scan_, '\r', cr_limit - scan_)) {
      at = static_cast<size_t>(static_cast<const char*>(cr) - buffer_.data());
    }
    if (at == std::string::npos) {
      scan_ = buffer_.size();
      return std::nullopt;
    }
    if (buffer_[at] == '\n') return LineEnd{at, 1, false};
    if (at + 1 < buffer_.size())
      return LineEnd{at, buffer_[at + 1] == '\n' ? size_t{2} : size_t{1}, false};
    // A '\r' last: read on to see whether "\r\n" ends the line, unless
    // nothing more can be read now.
    if (eof) return LineEnd{at, 1, true};
    scan_ = at;
    return std::nullopt;
  }

  // With `require_utf8`, fails when `buffer_[begin, end)` is not UTF-8.
  absl::Status CheckLine(size_t begin, size_t end) const {
    if (!require_utf8_) return absl::OkStatus();
    const std::optional<size_t> invalid =
        internal::FindInvalidUtf8(std::string_view(buffer_).substr(begin, end - begin));
    if (!invalid.has_value()) return absl::OkStatus();
    const size_t at = begin + *invalid;
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: invalid UTF-8 at byte %d (0x%02x)", name_, offset_ + static_cast<int64_t>(at),
        static_cast<int>(static_cast<unsigned char>(buffer_[at]))));
  }

  // A partition that ended may stay open until its final state is
  // committed: with thousands of them waiting, the read buffer each keeps
  // would be most of the process's memory.
  Poll End() {
    std::string().swap(buffer_);
    scan_ = 0;
    return Poll::kEnd;
  }

  // Appends up to `kChunkBytes` from the file to `buffer_`; returns how many
  // (0 at the end of the file).
  absl::StatusOr<size_t> ReadChunk() {
    const size_t old_size = buffer_.size();
    buffer_.resize(old_size + kChunkBytes);
    ssize_t n;
    do {
      n = ::pread(fd_, buffer_.data() + old_size, kChunkBytes, read_end_);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      const int error = errno;
      buffer_.resize(old_size);
      return absl::ErrnoToStatus(error, name_);
    }
    buffer_.resize(old_size + static_cast<size_t>(n));
    read_end_ += n;
    return static_cast<size_t>(n);
  }

  // Drops the first `bytes` of `buffer_`, which have been handed out.
  void Consume(size_t bytes) {
    buffer_.erase(0, bytes);
    scan_ = bytes <= scan_ ? scan_ - bytes : 0;
    offset_ += static_cast<int64_t>(bytes);
  }

  const std::string name_;
  int fd_;
  // File offset of `buffer_[0]`: just after the last line handed out.
  int64_t offset_;
  // File offset just after `buffer_`'s last byte.
  int64_t read_end_;
  // A byte range reads the lines that start in [range_start_, end_); a whole
  // file has no end.
  const int64_t end_;
  const int64_t range_start_;
  // The range has not reached its first line yet.
  bool seek_line_;
  // Bytes of the file between `offset_` and `read_end_`, not yet handed out.
  std::string buffer_;
  // `buffer_[0, scan_)` holds no line ending.
  size_t scan_ = 0;
  const size_t max_lines_;
  const bool follow_;
  const bool universal_;
  const bool require_utf8_;
  const absl::Duration poll_interval_;
  // The last line handed out ended at a '\r' that was the last byte read;
  // a '\n' right after it is part of that ending.
  bool skip_lf_;
  std::optional<absl::Time> awake_;
  // Set in follow mode when the OS reports changes to the file.
  std::unique_ptr<internal::FileWatch> watch_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<StatefulSource<std::string, int64_t>>> OpenFileSource(
    const std::filesystem::path& path, std::optional<int64_t> resume,
    const FileInputOptions& options) {
  return internal::OpenFileRange(path, std::nullopt, resume, options);
}

namespace internal {

absl::StatusOr<std::unique_ptr<StatefulSource<std::string, int64_t>>> OpenFileRange(
    const std::filesystem::path& path, std::optional<FileRange> range,
    std::optional<int64_t> resume, const FileInputOptions& options) {
  const std::string name = path.string();
  const int64_t offset = resume.value_or(range.has_value() ? range->start : 0);
  if (range.has_value() && offset < range->start) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": resume offset ", offset,
                                                   " is before the range's start ", range->start));
  }
  if (offset < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": resume offset ", offset, " is negative"));
  }
  int fd;
  do {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is then
    // rejected as not a regular file.
    fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return absl::ErrnoToStatus(errno, name);
  auto fail = [fd](absl::Status status) {
    ::close(fd);
    return status;
  };

  struct stat st;
  if (fstat(fd, &st) != 0) return fail(absl::ErrnoToStatus(errno, name));
  if (!S_ISREG(st.st_mode)) return fail(NotRegularFile(name, st.st_mode));
  if (offset > st.st_size) {
    return fail(absl::OutOfRangeError(
        absl::StrCat(name, ": resume offset ", offset, " is beyond the end of the file (",
                     st.st_size, " bytes); was it truncated since the snapshot?")));
  }
  const bool universal = options.line_ending == LineEnding::kUniversal;
  bool after_cr = false;
  // At the end of the file any offset is where a line ended (the last line
  // may have no ending); a '\r' before it still matters for a '\n' appended
  // later.
  const bool range_not_started = range.has_value() && offset == range->start;
  if (offset > 0 && (offset < st.st_size || universal) && !range_not_started) {
    char previous = 0;
    ssize_t n;
    do {
      n = ::pread(fd, &previous, 1, offset - 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return fail(absl::ErrnoToStatus(errno, name));
    after_cr = universal && n == 1 && previous == '\r';
    if (offset < st.st_size && (n != 1 || (previous != '\n' && !after_cr))) {
      return fail(absl::FailedPreconditionError(
          absl::StrCat(name, ": resume offset ", offset,
                       " is not at the start of a line; was the file rewritten since the "
                       "snapshot?")));
    }
  }
  return std::make_unique<FileSource>(name, fd, offset, after_cr, options, range);
}

}  // namespace internal

FileInput::FileInput(std::vector<std::filesystem::path> paths, FileInputOptions options)
    : paths_(std::move(paths)), options_(options) {}

absl::StatusOr<std::vector<std::string>> FileInput::ListParts() {
  if (paths_.empty()) return absl::InvalidArgumentError("FileInput needs at least one path");
  if (absl::Status usable = internal::CheckSplitOptions(options_); !usable.ok()) return usable;
  std::vector<std::string> names;
  names.reserve(paths_.size());
  std::set<std::string> seen_names;
  std::map<std::pair<dev_t, ino_t>, std::string> seen_files;
  for (const std::filesystem::path& path : paths_) {
    std::string name = path.string();
    if (!seen_names.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("\"", name, "\" is listed twice"));
    }
    struct stat st;
    if (::stat(name.c_str(), &st) != 0) return absl::ErrnoToStatus(errno, name);
    if (!S_ISREG(st.st_mode)) return NotRegularFile(name, st.st_mode);
    auto [it, inserted] = seen_files.emplace(std::make_pair(st.st_dev, st.st_ino), name);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", it->second, "\" and \"", name, "\" are the same file"));
    }
    internal::AppendPartNames(name, st.st_size, options_.split_bytes, names);
  }
  return names;
}

absl::StatusOr<std::unique_ptr<FileInput::Source>> FileInput::BuildPart(
    std::string_view /*step_id*/, std::string_view for_part, std::optional<int64_t> resume) {
  const std::string name(for_part);
  for (const std::filesystem::path& path : paths_) {
    if (path.string() == name) return OpenFileSource(path, resume, options_);
  }
  if (std::optional<internal::RangePart> part = internal::ParseRangeName(name)) {
    for (const std::filesystem::path& path : paths_) {
      if (path.string() == part->path) {
        return internal::OpenFileRange(path, part->range, resume, options_);
      }
    }
  }
  return absl::NotFoundError(
      absl::StrCat("\"", name, "\" is not one of the paths FileInput was given"));
}

}  // namespace inlet
