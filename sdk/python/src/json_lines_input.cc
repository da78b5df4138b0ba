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

class JsonLinesSource final : public StatefulSource<nlohmann::json, int64_t> {
 public:
  JsonLinesSource(std::string path, std::unique_ptr<StatefulSource<std::string, int64_t>> lines)
      : path_(std::move(path)), lines_(std::move(lines)) {}

  absl::StatusOr<Poll> NextBatch(std::vector<nlohmann::json>& out) override {
    batch_.clear();
    absl::StatusOr<Poll> poll = lines_->NextBatch(batch_);
    if (!poll.ok()) return poll.status();
    out.reserve(out.size() + batch_.size());
    for (const std::string& line : batch_) {
      nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path_, ": a line is not JSON: ", line.substr(0, 80)));
      }
      out.push_back(std::move(parsed));
    }
    return poll;
  }

  std::optional<absl::Time> NextAwake() override { return lines_->NextAwake(); }
  int64_t Snapshot() override { return lines_->Snapshot(); }
  void Close() override { lines_->Close(); }

 private:
  std::string path_;
  std::unique_ptr<StatefulSource<std::string, int64_t>> lines_;
  std::vector<std::string> batch_;
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
