#include "inlet_kafka/connector.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "inlet/source.h"

namespace inlet_kafka {
namespace {

// One live partition: an open file and the offset after the last line read.
class FileLinesSource final : public inlet::StatefulSource<std::string, int64_t> {
 public:
  FileLinesSource(std::ifstream file, int64_t offset, int batch_size)
      : file_(std::move(file)), offset_(offset), batch_size_(batch_size) {}

  // Appends the lines that are ready now. Called only when the partition is
  // due (see `NextAwake`). Must never block or sleep: a source that waits on
  // a network returns an empty batch and says when to retry in `NextAwake`.
  // Returns `kEnd` once the file is read to its end. An error stops the run.
  absl::StatusOr<inlet::Poll> NextBatch(std::vector<std::string>& out) override {
    std::string line;
    for (int i = 0; i < batch_size_ && std::getline(file_, line); ++i) {
      offset_ += static_cast<int64_t>(line.size()) + (file_.eof() ? 0 : 1);
      out.push_back(std::move(line));
    }
    if (file_.bad()) return absl::DataLossError(absl::StrCat("read failed at byte ", offset_));
    return file_.eof() ? inlet::Poll::kEnd : inlet::Poll::kMore;
  }

  // When `NextBatch` wants to be called next; `std::nullopt` means "soon".
  // A source polling a remote system returns the time of its next poll.
  std::optional<absl::Time> NextAwake() override { return std::nullopt; }

  // The state that resumes right AFTER the last line handed out: building
  // the partition from it must neither repeat nor skip a line. Called at
  // every epoch close, between `NextBatch` calls, never after `Close`.
  int64_t Snapshot() override { return offset_; }

  // Releases the file. Called exactly once; nothing is called after it.
  void Close() override { file_.close(); }

 private:
  std::ifstream file_;
  int64_t offset_;
  int batch_size_;
};

}  // namespace

InletKafka::InletKafka(  //
    std::vector<std::filesystem::path> paths, InletKafkaOptions options)
    : paths_(std::move(paths)), options_(options) {}

absl::StatusOr<std::vector<std::string>> InletKafka::ListParts() {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const std::filesystem::path& path : paths_) {
    std::string name = path.filename().string();
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("two files are named \"", name, "\"; partition names must be unique"));
    }
    names.push_back(std::move(name));
  }
  return names;
}

auto InletKafka::BuildPart(  //
    std::string_view, std::string_view for_part, std::optional<int64_t> resume)
    -> absl::StatusOr<std::unique_ptr<Source>> {
  for (const std::filesystem::path& path : paths_) {
    if (path.filename().string() != for_part) continue;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      return absl::NotFoundError(
          absl::StrCat("cannot open \"", path.string(), "\": ", std::strerror(errno)));
    }
    const int64_t offset = resume.value_or(0);
    file.seekg(offset);
    return std::make_unique<FileLinesSource>(std::move(file), offset, options_.batch_size);
  }
  return absl::NotFoundError(absl::StrCat("no file for partition \"", std::string(for_part), "\""));
}

}  // namespace inlet_kafka
