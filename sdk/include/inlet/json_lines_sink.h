// `JsonLinesSink` writes every item as one line of JSON (JSON Lines), to
// standard output or to a file. Items are converted with nlohmann::json, so
// any type with a `to_json` overload works, as do strings, numbers, pairs,
// tuples and containers; invalid UTF-8 in strings is replaced by U+FFFD.
// Thread-safe: batches from different workers never interleave within a line.
//
// Lines are written out as they arrive (`Flush`, when a worker goes idle
// and at least every flush interval), so readers of a pipe or a followed file
// see them promptly. The file sink is transactional: its `Commit` marker is
// the file's length (made durable with fdatasync;
// fsync off Linux), and `Restore` truncates
// the file back to it, so with a recovery store the file receives every
// item exactly once; lines after the last marker may be read before their
// epoch commits and are removed on resume (read-uncommitted). On standard
// output a resumed run repeats what followed the last epoch (at-least-once).

#ifndef INLET_JSON_LINES_SINK_H_
#define INLET_JSON_LINES_SINK_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "inlet/internal/json_lines_writer.h"
#include "inlet/sink.h"
#include "nlohmann/json.hpp"

namespace inlet {

template <class T>
class JsonLinesSink final : public Sink<T> {
 public:
  // Writes to standard output.
  JsonLinesSink() : writer_(std::make_unique<internal::JsonLinesWriter>()) {}

  // Writes to `path`, creating it. Its old content is replaced, except the
  // committed prefix `Restore` keeps. The error names the path.
  static absl::StatusOr<std::unique_ptr<JsonLinesSink>> Open(const std::filesystem::path& path) {
    absl::StatusOr<std::unique_ptr<internal::JsonLinesWriter>> writer =
        internal::JsonLinesWriter::Open(path);
    if (!writer.ok()) return writer.status();
    return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(*std::move(writer)));
  }

  absl::Status Write(std::span<const T> items) override {
    std::string lines;
    for (const T& item : items) {
      lines += nlohmann::json(item).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      lines += '\n';
    }
    return writer_->Append(lines);
  }
  absl::Status Restore(const nlohmann::json& marker) override {
    if (marker.is_null()) return absl::OkStatus();
    if (!marker.is_number_integer()) {
      return absl::InvalidArgumentError(
          absl::StrCat("JsonLinesSink: stored marker ", marker.dump(), " is not a file length"));
    }
    return writer_->Restore(marker.get<int64_t>());
  }
  absl::Status Flush() override { return writer_->Flush(); }
  absl::StatusOr<nlohmann::json> Commit() override {
    absl::StatusOr<std::optional<int64_t>> length = writer_->Commit();
    if (!length.ok()) return length.status();
    return length->has_value() ? nlohmann::json(**length) : nlohmann::json();
  }
  absl::Status Close() override { return writer_->Close(); }

 private:
  explicit JsonLinesSink(std::unique_ptr<internal::JsonLinesWriter> writer)
      : writer_(std::move(writer)) {}

  std::unique_ptr<internal::JsonLinesWriter> writer_;
};

}  // namespace inlet

#endif  // INLET_JSON_LINES_SINK_H_
