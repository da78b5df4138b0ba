#include "json_lines_input.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "inlet/source.h"

namespace inlet::python {
namespace {

class JsonLinesSource final : public StatefulSource<ParsedJson, int64_t> {
 public:
  JsonLinesSource(std::string path, std::unique_ptr<StatefulSource<std::string, int64_t>> lines)
      : path_(std::move(path)), lines_(std::move(lines)) {}

  absl::StatusOr<Poll> NextBatch(std::vector<ParsedJson>& out) override {
    RecycleDocuments();
    batch_.clear();
    absl::StatusOr<Poll> poll = lines_->NextBatch(batch_);
    if (!poll.ok()) return poll.status();
    out.reserve(out.size() + batch_.size());
    for (const std::string& line : batch_) {
      std::shared_ptr<simdjson::dom::document> document = TakeDocument();
      const simdjson::error_code error =
          parser_.parse_into_document(*document, line.data(), line.size()).error();
      if (error != simdjson::SUCCESS) {
        return absl::InvalidArgumentError(absl::StrCat(path_, ": a line is not JSON (",
                                                       simdjson::error_message(error),
                                                       "): ", line.substr(0, 80)));
      }
      lent_.push_back(document);
      out.push_back(ParsedJson{.document = std::move(document)});
    }
    return poll;
  }

  std::optional<absl::Time> NextAwake() override { return lines_->NextAwake(); }
  int64_t Snapshot() override { return lines_->Snapshot(); }
  void Close() override { lines_->Close(); }

 private:
  std::string path_;
  std::unique_ptr<StatefulSource<std::string, int64_t>> lines_;
  // Documents whose items have all been dropped go back to the pool.
  void RecycleDocuments() {
    for (std::shared_ptr<simdjson::dom::document>& document : lent_) {
      if (document.use_count() == 1) free_.push_back(std::move(document));
    }
    lent_.clear();
  }

  std::shared_ptr<simdjson::dom::document> TakeDocument() {
    if (free_.empty()) return std::make_shared<simdjson::dom::document>();
    std::shared_ptr<simdjson::dom::document> document = std::move(free_.back());
    free_.pop_back();
    return document;
  }

  std::vector<std::string> batch_;
  simdjson::dom::parser parser_;
  std::vector<std::shared_ptr<simdjson::dom::document>> lent_;
  std::vector<std::shared_ptr<simdjson::dom::document>> free_;
};

}  // namespace

JsonLinesInput::JsonLinesInput(std::vector<std::filesystem::path> paths, FileInputOptions options)
    : files_(std::move(paths), options) {}

absl::StatusOr<std::vector<std::string>> JsonLinesInput::ListParts() { return files_.ListParts(); }

absl::StatusOr<std::unique_ptr<JsonLinesInput::Source>> JsonLinesInput::BuildPart(
    std::string_view step_id, std::string_view for_part, std::optional<int64_t> resume) {
  absl::StatusOr<std::unique_ptr<FileInput::Source>> lines =
      files_.BuildPart(step_id, for_part, resume);
  if (!lines.ok()) return lines.status();
  return std::make_unique<JsonLinesSource>(std::string(for_part), *std::move(lines));
}

}  // namespace inlet::python
