// The untyped half of `JsonLinesSink`: a thread-safe appender of text lines
// to standard output or a file.

#ifndef INLET_INTERNAL_JSON_LINES_WRITER_H_
#define INLET_INTERNAL_JSON_LINES_WRITER_H_

#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace inlet::internal {

class JsonLinesWriter {
 public:
  // Writes to standard output.
  JsonLinesWriter();
  // Opens (creating or truncating) `path`.
  static absl::StatusOr<std::unique_ptr<JsonLinesWriter>> Open(const std::filesystem::path& path);
  ~JsonLinesWriter();

  // Appends already-terminated lines, atomically with respect to other calls.
  absl::Status Append(std::string_view lines);
  absl::Status Flush();
  absl::Status Close();

 private:
  JsonLinesWriter(std::FILE* file, std::filesystem::path path);

  std::mutex mutex_;
  std::FILE* file_;
  std::filesystem::path path_;  // Empty for standard output.
};

}  // namespace inlet::internal

#endif  // INLET_INTERNAL_JSON_LINES_WRITER_H_
