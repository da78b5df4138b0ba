#include "inlet/internal/json_lines_writer.h"

#include <cerrno>
#include <cstring>
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

JsonLinesWriter::JsonLinesWriter() : file_(stdout) {}

JsonLinesWriter::JsonLinesWriter(std::FILE* file, std::filesystem::path path)
    : file_(file), path_(std::move(path)) {}

absl::StatusOr<std::unique_ptr<JsonLinesWriter>> JsonLinesWriter::Open(
    const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return ErrnoError(path, "cannot open for writing", errno);
  return std::unique_ptr<JsonLinesWriter>(new JsonLinesWriter(file, path));
}

JsonLinesWriter::~JsonLinesWriter() { (void)Close(); }

absl::Status JsonLinesWriter::Append(std::string_view lines) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return absl::FailedPreconditionError("JsonLinesWriter is closed");
  if (std::fwrite(lines.data(), 1, lines.size(), file_) != lines.size()) {
    return ErrnoError(path_, "write failed", errno);
  }
  return absl::OkStatus();
}

absl::Status JsonLinesWriter::Flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ != nullptr && std::fflush(file_) != 0) return ErrnoError(path_, "flush failed", errno);
  return absl::OkStatus();
}

absl::Status JsonLinesWriter::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return absl::OkStatus();
  std::FILE* file = std::exchange(file_, nullptr);
  if (path_.empty()) {
    if (std::fflush(file) != 0) return ErrnoError(path_, "flush failed", errno);
    return absl::OkStatus();
  }
  if (std::fclose(file) != 0) return ErrnoError(path_, "close failed", errno);
  return absl::OkStatus();
}

}  // namespace inlet::internal
