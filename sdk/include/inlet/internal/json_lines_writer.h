// The untyped half of `JsonLinesSink`: a thread-safe appender of text lines
// to standard output, a file, or a stream such as a FIFO or /dev/null, and
// the sink's commit marker, which records the file the output was committed
// to so that a resumed run refuses any other.

#ifndef INLET_INTERNAL_JSON_LINES_WRITER_H_
#define INLET_INTERNAL_JSON_LINES_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace inlet::internal {

// Appends `value` to `out` exactly as `value.dump(-1, ' ', false,
// nlohmann::json::error_handler_t::replace)` writes it (invalid UTF-8
// replaced by U+FFFD), without copying it or dumping it whole into a
// temporary string: only strings that need escapes, doubles and binaries go
// through `dump`.
void AppendJson(std::string& out, const nlohmann::json& value);

class JsonLinesWriter {
 public:
  // Writes to standard output.
  JsonLinesWriter();
  // Opens `path`: a regular file, created when missing, whose old content is
  // dropped at the first `Append`, `Flush` or `Commit` unless `Restore` keeps
  // a committed prefix of it; or a FIFO or character device (/dev/null), a
  // stream that is never truncated. Opening a FIFO waits for its reader, as
  // a shell's redirection does. Any other kind of file is an error naming
  // the path.
  static absl::StatusOr<std::unique_ptr<JsonLinesWriter>> Open(const std::filesystem::path& path);
  // Closes; a file `Open` created is removed again when nothing was ever
  // appended or flushed (a run that failed before it started).
  ~JsonLinesWriter();

  // Goes back to `marker`, what `Commit` returned at the epoch a run resumes
  // from (null: a fresh start). For a file: keeps the committed prefix and
  // appends after it, provided this is the file the marker names, or a copy
  // of it; otherwise an error naming both files and what to do. On standard
  // output or a stream nothing can be taken back (at-least-once), and a
  // marker naming a file is an error: that file, not this stream, holds the
  // committed output.
  absl::Status Restore(const nlohmann::json& marker);
  // Appends already-terminated lines, atomically with respect to other calls.
  absl::Status Append(absl::string_view lines);
  // Writes out what was appended (visible to readers, not durable).
  absl::Status Flush();
  // Makes what was appended durable (fdatasync, or fsync off Linux, for a
  // file) and returns the marker of the position reached: for a file, which
  // file and its length; null for standard output and streams.
  absl::StatusOr<nlohmann::json> Commit();
  absl::Status Close();

 private:
  enum class Kind { kStandardOutput, kFile, kStream };

  JsonLinesWriter(std::FILE* file, std::filesystem::path path, Kind kind, bool created);
  // Truncates a file to 0 unless `Restore` already chose where to append.
  absl::Status PositionLocked();
  absl::Status RestoreFileLocked(const nlohmann::json& marker);
  // "<path>", or "standard output".
  std::string Where() const;

  std::mutex mutex_;
  std::FILE* file_;
  std::filesystem::path path_;      // Empty for standard output.
  std::filesystem::path absolute_;  // `path_` made absolute, as markers record it.
  Kind kind_;
  bool created_ = false;     // `Open` created the file.
  bool positioned_ = false;  // The write position is chosen (see PositionLocked).
  bool used_ = false;        // Something was appended or flushed.
};

}  // namespace inlet::internal

#endif  // INLET_INTERNAL_JSON_LINES_WRITER_H_
