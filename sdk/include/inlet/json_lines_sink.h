// `JsonLinesSink` writes every item as one line of JSON (JSON Lines), to
// standard output, to a file, or to a stream such as a FIFO or /dev/null.
// Items are converted with nlohmann::json, so any type with a `to_json`
// overload works, as do strings, numbers, pairs, tuples and containers;
// invalid UTF-8 in strings is replaced by U+FFFD.
// Thread-safe: batches from different workers never interleave within a line.
//
// Lines are written out as they arrive (`Flush`, when a worker goes idle
// and at least every flush interval), so readers of a pipe or a followed file
// see them promptly. The file sink is transactional: its `Commit` marker
// records the file and its length (made durable with fdatasync; fsync off
// Linux), and `Restore` truncates the file back to that length, so with a
// recovery store the file receives every item exactly once; lines after the
// last marker may be read before their epoch commits and are removed on
// resume (read-uncommitted). `Restore` refuses any file but the committed one
// (or a copy of it restored from a backup): the marker holds the file's
// device, inode and a hash of its last committed bytes, so a resume never
// truncates another file. On standard output and streams, which cannot be
// taken back, a resumed run repeats what followed the last epoch
// (at-least-once); a stream is never truncated. The output must not be the
// recovery file (or its -wal or -shm): `RunMain` checks that; a program that
// opens both itself must keep them apart.

#ifndef INLET_JSON_LINES_SINK_H_
#define INLET_JSON_LINES_SINK_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "inlet/internal/json_lines_writer.h"
#include "inlet/message.h"
#include "inlet/sink.h"
#include "nlohmann/json.hpp"

namespace inlet {

template <class T>
class JsonLinesSink final : public Sink<T> {
 public:
  // Writes to standard output.
  JsonLinesSink() : writer_(std::make_unique<internal::JsonLinesWriter>()) {}

  // Writes to `path`: a file, created when missing, whose old content is
  // replaced except the committed prefix `Restore` keeps; or a FIFO or a
  // character device (see JsonLinesWriter::Open). A file created here is
  // removed again when the run writes nothing to it (a run that failed to
  // start). The error names the path.
  static absl::StatusOr<std::unique_ptr<JsonLinesSink>> Open(const std::filesystem::path& path) {
    absl::StatusOr<std::unique_ptr<internal::JsonLinesWriter>> writer =
        internal::JsonLinesWriter::Open(path);
    if (!writer.ok()) return writer.status();
    return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(*std::move(writer)));
  }

  absl::Status Write(std::span<const T> items) override {
    std::string lines;
    for (const T& item : items) {
      // Messages and JSON values are written where they are: converting
      // them would copy every one.
      if constexpr (std::is_same_v<T, Message>) {
        if (item.key.empty()) {
          internal::AppendJson(lines, item.value);
        } else {  // As `to_json` makes it: [key, value].
          lines += '[';
          internal::AppendJson(lines, nlohmann::json(item.key));
          lines += ',';
          internal::AppendJson(lines, item.value);
          lines += ']';
        }
      } else if constexpr (std::is_same_v<T, nlohmann::json>) {
        internal::AppendJson(lines, item);
      } else {
        lines +=
            nlohmann::json(item).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
      lines += '\n';
    }
    return writer_->Append(lines);
  }
  absl::Status Restore(const nlohmann::json& marker) override { return writer_->Restore(marker); }
  absl::Status Flush() override { return writer_->Flush(); }
  absl::StatusOr<nlohmann::json> Commit() override { return writer_->Commit(); }
  absl::Status Close() override { return writer_->Close(); }

 private:
  explicit JsonLinesSink(std::unique_ptr<internal::JsonLinesWriter> writer)
      : writer_(std::move(writer)) {}

  std::unique_ptr<internal::JsonLinesWriter> writer_;
};

}  // namespace inlet

#endif  // INLET_JSON_LINES_SINK_H_
