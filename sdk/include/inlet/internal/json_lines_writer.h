// The untyped half of `JsonLinesSink`: a thread-safe appender of text lines
// to standard output or a file, able to go back to a committed length.

#ifndef INLET_INTERNAL_JSON_LINES_WRITER_H_
#define INLET_INTERNAL_JSON_LINES_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace inlet::internal {

class JsonLinesWriter {
 public:
  // Writes to standard output.
  JsonLinesWriter();
  // Opens (creating) `path`. Its old content is dropped at the first
  // `Append`, `Flush` or `Commit`, unless `Restore` keeps a prefix of it.
  static absl::StatusOr<std::unique_ptr<JsonLinesWriter>> Open(const std::filesystem::path& path);
  ~JsonLinesWriter();

  // Keeps the file's first `length` bytes and appends after them; an error
  // naming the file when it is shorter than that. No-op for standard output.
  absl::Status Restore(int64_t length);
  // Appends already-terminated lines, atomically with respect to other calls.
  absl::Status Append(absl::string_view lines);
  // Writes out what was appended (visible to readers, not durable).
  absl::Status Flush();
  // Makes what was appended durable (fdatasync, or fsync off Linux, for a file); returns the
  // file's length, or nullopt for standard output.
  absl::StatusOr<std::optional<int64_t>> Commit();
  absl::Status Close();

 private:
  JsonLinesWriter(std::FILE* file, std::filesystem::path path);
  // Truncates to 0 unless `Restore` already chose where to append.
  absl::Status PositionLocked();

  std::mutex mutex_;
  std::FILE* file_;
  std::filesystem::path path_;  // Empty for standard output.
  bool positioned_ = false;
};

}  // namespace inlet::internal

#endif  // INLET_INTERNAL_JSON_LINES_WRITER_H_
