#include "inlet/internal/json_lines_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace inlet::internal {
namespace {

absl::Status ErrnoError(const std::filesystem::path& path, absl::string_view doing, int error) {
  std::string where = path.empty() ? "standard output" : path.string();
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrCat(where, ": ", doing, ": ", std::strerror(error)));
}

}  // namespace

JsonLinesWriter::JsonLinesWriter() : file_(stdout), positioned_(true) {}

JsonLinesWriter::JsonLinesWriter(std::FILE* file, std::filesystem::path path)
    : file_(file), path_(std::move(path)) {}

absl::StatusOr<std::unique_ptr<JsonLinesWriter>> JsonLinesWriter::Open(
    const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(path, "cannot open for writing", errno);
  std::FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) {
    const int error = errno;
    ::close(fd);
    return ErrnoError(path, "cannot open for writing", error);
  }
  return std::unique_ptr<JsonLinesWriter>(new JsonLinesWriter(file, path));
}

JsonLinesWriter::~JsonLinesWriter() { (void)Close(); }

absl::Status JsonLinesWriter::Restore(int64_t length) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (path_.empty() || file_ == nullptr) return absl::OkStatus();
  struct stat st;
  if (::fstat(::fileno(file_), &st) != 0) return ErrnoError(path_, "cannot examine", errno);
  if (st.st_size < length) {
    return absl::DataLossError(absl::StrCat(
        path_.string(), ": the output is ", st.st_size, " bytes, shorter than the ", length,
        " bytes committed to the recovery store; it was changed outside this program"));
  }
  if (::ftruncate(::fileno(file_), length) != 0) {
    return ErrnoError(path_, "cannot truncate to the committed length", errno);
  }
  if (std::fseek(file_, 0, SEEK_END) != 0) return ErrnoError(path_, "cannot seek", errno);
  positioned_ = true;
  return absl::OkStatus();
}

absl::Status JsonLinesWriter::PositionLocked() {
  if (positioned_) return absl::OkStatus();
  positioned_ = true;
  if (::ftruncate(::fileno(file_), 0) != 0) return ErrnoError(path_, "cannot truncate", errno);
  return absl::OkStatus();
}

absl::Status JsonLinesWriter::Append(absl::string_view lines) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return absl::FailedPreconditionError("JsonLinesWriter is closed");
  if (absl::Status positioned = PositionLocked(); !positioned.ok()) return positioned;
  if (std::fwrite(lines.data(), 1, lines.size(), file_) != lines.size()) {
    return ErrnoError(path_, "write failed", errno);
  }
  return absl::OkStatus();
}

absl::Status JsonLinesWriter::Flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return absl::FailedPreconditionError("JsonLinesWriter is closed");
  if (absl::Status positioned = PositionLocked(); !positioned.ok()) return positioned;
  if (std::fflush(file_) != 0) return ErrnoError(path_, "flush failed", errno);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int64_t>> JsonLinesWriter::Commit() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return absl::FailedPreconditionError("JsonLinesWriter is closed");
  if (absl::Status positioned = PositionLocked(); !positioned.ok()) return positioned;
  if (std::fflush(file_) != 0) return ErrnoError(path_, "flush failed", errno);
  if (path_.empty()) return std::nullopt;
#if defined(__linux__)
  if (::fdatasync(::fileno(file_)) != 0) return ErrnoError(path_, "fdatasync failed", errno);
#else
  // macOS declares no fdatasync; fsync gives what SQLite's default gives there.
  if (::fsync(::fileno(file_)) != 0) return ErrnoError(path_, "fsync failed", errno);
#endif
  const long length = std::ftell(file_);
  if (length < 0) return ErrnoError(path_, "cannot tell the length", errno);
  return static_cast<int64_t>(length);
}

absl::Status JsonLinesWriter::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return absl::OkStatus();
  // Never truncates: a run that failed before its first epoch close must
  // leave the committed output as it was.
  std::FILE* file = std::exchange(file_, nullptr);
  if (path_.empty()) {
    if (std::fflush(file) != 0) return ErrnoError(path_, "flush failed", errno);
    return absl::OkStatus();
  }
  if (std::fclose(file) != 0) return ErrnoError(path_, "close failed", errno);
  return absl::OkStatus();
}

}  // namespace inlet::internal
