// `JsonLinesSink` writes every item as one line of JSON (JSON Lines), to
// standard output or to a file. Items are converted with nlohmann::json, so
// any type with a `to_json` overload works, as do strings, numbers, pairs,
// tuples and containers. Thread-safe: batches from different workers never
// interleave within a line.

#ifndef INLET_JSON_LINES_SINK_H_
#define INLET_JSON_LINES_SINK_H_

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inlet/internal/json_lines_writer.h"
#include "inlet/sink.h"
#include "nlohmann/json.hpp"

namespace inlet {

template <class T>
class JsonLinesSink final : public Sink<T> {
 public:
  // Writes to standard output.
  JsonLinesSink() : writer_(std::make_unique<internal::JsonLinesWriter>()) {}

  // Writes to `path`, creating or truncating it. The error names the path.
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
  absl::Status Flush() override { return writer_->Flush(); }
  absl::Status Close() override { return writer_->Close(); }

 private:
  explicit JsonLinesSink(std::unique_ptr<internal::JsonLinesWriter> writer)
      : writer_(std::move(writer)) {}

  std::unique_ptr<internal::JsonLinesWriter> writer_;
};

}  // namespace inlet

#endif  // INLET_JSON_LINES_SINK_H_
