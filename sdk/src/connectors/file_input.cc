#include "inlet/connectors/file_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
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
#include "utf8.h"

namespace inlet {
namespace {

// Bytes asked of the kernel per read.
constexpr size_t kChunkBytes = size_t{64} << 10;
// Bounds the work of one `NextBatch` call (documented in file_input.h).
constexpr size_t kMaxBytesPerCall = size_t{1} << 20;

absl::Status NotRegularFile(const std::string& name, mode_t mode) {
  if (S_ISDIR(mode)) return absl::ErrnoToStatus(EISDIR, name);
  return absl::InvalidArgumentError(absl::StrCat(name, ": not a regular file"));
}

class FileSource final : public StatefulSource<std::string, int64_t> {
 public:
  // `after_cr`: the byte before `offset` is a '\r' that ended a line, so a
  // '\n' at `offset` belongs to that ending (universal line endings).
  FileSource(std::string name, int fd, int64_t offset, bool after_cr,
             const FileInputOptions& options)
      : name_(std::move(name)),
        fd_(fd),
        offset_(offset),
        read_end_(offset),
        max_lines_(std::max<size_t>(options.batch_size, 1)),
        follow_(options.follow),
        universal_(options.line_ending == LineEnding::kUniversal),
        require_utf8_(options.require_utf8),
        poll_interval_(std::max(options.poll_interval, absl::Milliseconds(1))),
        skip_lf_(after_cr) {}

  ~FileSource() override { Close(); }

  absl::StatusOr<Poll> NextBatch(std::vector<std::string>& out) override {
    awake_.reset();
    size_t head = 0;  // Start of the first line not yet handed out.
    size_t lines = 0;
    size_t bytes_read = 0;
    bool eof = false;
    while (lines < max_lines_) {
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

    if (!eof) return Poll::kMore;
    if (!follow_) {
      if (!buffer_.empty()) {
        if (absl::Status valid = CheckLine(0, buffer_.size()); !valid.ok()) {
          return lines > 0 ? absl::StatusOr<Poll>(Poll::kMore) : valid;
        }
        offset_ += static_cast<int64_t>(buffer_.size());
        out.push_back(std::move(buffer_));
        buffer_.clear();
        scan_ = 0;
      }
      return Poll::kEnd;
    }
    struct stat st;
    if (fstat(fd_, &st) != 0) return absl::ErrnoToStatus(errno, name_);
    if (st.st_size < read_end_) {
      return absl::FailedPreconditionError(absl::StrCat(name_, ": file shrank to ", st.st_size,
                                                        " bytes while being followed at offset ",
                                                        read_end_));
    }
    if (lines == 0) awake_ = absl::Now() + poll_interval_;
    return Poll::kMore;
  }

  std::optional<absl::Time> NextAwake() override { return awake_; }

  int64_t Snapshot() override { return offset_; }

  // Bytes of the file after the last line handed out; an fstat, so it sees
  // what a followed file grew by.
  std::optional<Backlog> EstimateBacklog() override {
    struct stat st;
    if (fstat(fd_, &st) != 0) return std::nullopt;
    return Backlog{.amount = std::max<int64_t>(st.st_size - offset_, 0),
                   .unit = Backlog::Unit::kBytes};
  }

  void Close() override {
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
    const size_t at = buffer_.find_first_of("\r\n", scan_);
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
};

}  // namespace

absl::StatusOr<std::unique_ptr<StatefulSource<std::string, int64_t>>> OpenFileSource(
    const std::filesystem::path& path, std::optional<int64_t> resume,
    const FileInputOptions& options) {
  const std::string name = path.string();
  const int64_t offset = resume.value_or(0);
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
  if (offset > 0 && (offset < st.st_size || universal)) {
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
  return std::make_unique<FileSource>(name, fd, offset, after_cr, options);
}

FileInput::FileInput(std::vector<std::filesystem::path> paths, FileInputOptions options)
    : paths_(std::move(paths)), options_(options) {}

absl::StatusOr<std::vector<std::string>> FileInput::ListParts() {
  if (paths_.empty()) return absl::InvalidArgumentError("FileInput needs at least one path");
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
    names.push_back(std::move(name));
  }
  return names;
}

absl::StatusOr<std::unique_ptr<FileInput::Source>> FileInput::BuildPart(
    std::string_view /*step_id*/, std::string_view for_part, std::optional<int64_t> resume) {
  const std::string name(for_part);
  for (const std::filesystem::path& path : paths_) {
    if (path.string() == name) return OpenFileSource(path, resume, options_);
  }
  return absl::NotFoundError(
      absl::StrCat("\"", name, "\" is not one of the paths FileInput was given"));
}

}  // namespace inlet
