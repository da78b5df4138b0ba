// JsonLinesInput (sdk/python/src/json_lines_input.h, built here without
// Python) over a file holding the input, against a reference that splits
// the file as FileInput does and parses each line on its own:
// - the source hands out, in order, one document per line up to the first
//   line that is not JSON, each equal to the line parsed alone, and then
//   fails with INVALID_ARGUMENT `<path>: a line is not JSON (...)`;
// - documents stay intact while items refer to them (they are recycled once
//   no item does);
// - after every batch the snapshot is the byte offset just after the last
//   line handed out, and a source resumed there hands out the rest.
//
// Input: byte 0 is the batch size (1..8), the rest is the file.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "fuzz_check.h"
#include "json_lines_input.h"
#include "scratch_dir.h"

namespace {

using inlet::python::JsonLinesInput;
using inlet::python::ParsedJson;

struct Line {
  int64_t end = 0;                  // File offset just after the line.
  std::optional<std::string> json;  // The document as minified text, or none.
};

std::vector<Line> Reference(std::string_view file) {
  std::vector<Line> lines;
  simdjson::dom::parser parser;
  size_t begin = 0;
  while (begin < file.size()) {
    size_t newline = file.find('\n', begin);
    const size_t end = newline == std::string_view::npos ? file.size() : newline;
    const std::string text(file.substr(begin, end - begin));
    Line line{.end = static_cast<int64_t>(newline == std::string_view::npos ? end : end + 1)};
    simdjson::dom::element element;
    if (parser.parse(text).get(element) == simdjson::SUCCESS)
      line.json = simdjson::to_string(element);
    begin = static_cast<size_t>(line.end);
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string Minified(const ParsedJson& item) { return simdjson::to_string(item.document->root()); }

struct Reading {
  std::vector<std::string> documents;
  std::optional<absl::Status> error;
  std::vector<int64_t> snapshots;  // After each batch that succeeded.
};

// Reads `path` from `resume` to its end or first error, keeping every other
// item alive to the end and checking those still read as they did.
Reading ReadAll(JsonLinesInput& input, const std::string& path, std::optional<int64_t> resume) {
  Reading reading;
  absl::StatusOr<std::unique_ptr<JsonLinesInput::Source>> source =
      input.BuildPart("fuzz", path, resume);
  FUZZ_CHECK(source.ok(), "BuildPart: ", source.status());
  std::vector<ParsedJson> kept;
  std::vector<std::string> kept_text;
  for (int calls = 0;; ++calls) {
    FUZZ_CHECK(calls < 100000, "the source never ends");
    std::vector<ParsedJson> batch;
    absl::StatusOr<inlet::Poll> poll = (*source)->NextBatch(batch);
    for (const ParsedJson& item : batch) {
      reading.documents.push_back(Minified(item));
      if (reading.documents.size() % 2 == 0) {
        kept.push_back(item);
        kept_text.push_back(reading.documents.back());
      }
    }
    if (!poll.ok()) {
      reading.error = poll.status();
      break;
    }
    reading.snapshots.push_back((*source)->Snapshot());
    if (*poll == inlet::Poll::kEnd) break;
  }
  (*source)->Close();
  for (size_t i = 0; i < kept.size(); ++i) {
    FUZZ_CHECK(Minified(kept[i]) == kept_text[i],
               "a document changed while an item held it: ", kept_text[i], " became ",
               Minified(kept[i]));
  }
  return reading;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t batch_size = 1 + data[0] % 8;
  const std::string_view file(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string path = (inlet::fuzz::ScratchDir() / "lines.jsonl").string();
  inlet::fuzz::WriteFile(path, file);

  const std::vector<Line> lines = Reference(file);
  size_t valid = 0;
  while (valid < lines.size() && lines[valid].json.has_value()) ++valid;

  JsonLinesInput input({path}, {.batch_size = batch_size});
  const Reading reading = ReadAll(input, path, std::nullopt);
  FUZZ_CHECK(reading.documents.size() == valid, "handed out ", reading.documents.size(),
             " documents; the file has ", valid, " JSON lines before ",
             valid < lines.size() ? "one that is not JSON" : "its end");
  for (size_t i = 0; i < valid; ++i) {
    FUZZ_CHECK(reading.documents[i] == *lines[i].json, "line ", i + 1, " parsed alone is ",
               *lines[i].json, " but the source handed out ", reading.documents[i]);
  }
  if (valid < lines.size()) {
    FUZZ_CHECK(reading.error.has_value() && absl::IsInvalidArgument(*reading.error) &&
                   absl::StartsWith(reading.error->message(), path + ": a line is not JSON ("),
               "line ", valid + 1, " is not JSON but the source ended with ",
               reading.error.has_value() ? reading.error->ToString() : "no error");
  } else {
    FUZZ_CHECK(!reading.error.has_value(), "an error on a file of JSON lines: ", *reading.error);
  }

  // Every snapshot is the end of a line handed out (or 0), in order.
  size_t line = 0;
  for (const int64_t snapshot : reading.snapshots) {
    while (line < valid && lines[line].end < snapshot) ++line;
    const bool at_line_end = snapshot == 0 || (line < valid && lines[line].end == snapshot);
    FUZZ_CHECK(at_line_end, "snapshot ", snapshot, " is not just after a line handed out");
  }
  if (!reading.error.has_value()) {
    FUZZ_CHECK(reading.snapshots.back() == static_cast<int64_t>(file.size()),
               "the last snapshot is ", reading.snapshots.back(), ", not the file's size ",
               file.size());
  }

  // Resumed from the middle snapshot, the source hands out the rest.
  const int64_t resume =
      reading.snapshots.empty() ? 0 : reading.snapshots[reading.snapshots.size() / 2];
  size_t done = 0;
  while (done < valid && lines[done].end <= resume) ++done;
  const Reading rest = ReadAll(input, path, resume);
  FUZZ_CHECK(rest.documents.size() == valid - done, "resumed at ", resume, ", handed out ",
             rest.documents.size(), " documents instead of ", valid - done);
  for (size_t i = 0; i < rest.documents.size(); ++i) {
    FUZZ_CHECK(rest.documents[i] == reading.documents[done + i], "resumed at ", resume,
               ", document ", i + 1, " differs");
  }
  return 0;
}
