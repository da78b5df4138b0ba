// A resumable ConnectorSubject: it reads one file line by line with plain
// blocking reads, as a client library would, reports the byte offset after
// each line, and seeks back to the last delivered offset when it resumes.
// With --recovery-db and a file --output, every line of the file reaches the
// output exactly once, in file order, however often the program is killed.
//
//   inlet-resumable-subject --recovery-db=state.db --output=lines.jsonl app.log

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inlet/connector_subject.h"
#include "inlet/run_main.h"
#include "inlet/subject_input.h"

class FileLines final : public inlet::ConnectorSubject {
 public:
  explicit FileLines(std::string path) : path_(std::move(path)) {}

  // Called before Run on resume, with the offset of the last delivered line.
  void Seek(const nlohmann::json& offset) override { offset_ = offset.get<int64_t>(); }

  void Run() override {
    std::ifstream file(path_, std::ios::binary);
    if (!file) throw std::system_error(errno, std::generic_category(), "open " + path_);
    file.seekg(offset_);
    ReportOffset(offset_);  // Where it starts, before the first line.
    std::string line;
    while (!stop_requested() && std::getline(file, line)) {
      offset_ += static_cast<int64_t>(line.size()) + (file.eof() ? 0 : 1);  // The "\n" read.
      NextStr(line);
      ReportOffset(offset_);  // After the line it covers and before the commit.
      Commit();
    }
    if (file.bad()) throw std::system_error(errno, std::generic_category(), "read " + path_);
  }  // Returning at end of file ends the partition.

 private:
  std::string path_;
  int64_t offset_ = 0;
};

int main(int argc, char** argv) {
  return inlet::RunMain(
      argc, argv,
      [](const std::vector<std::string>& args)
          -> absl::StatusOr<std::unique_ptr<inlet::SubjectInput<std::string>>> {
        if (args.size() != 1) return absl::InvalidArgumentError("expected one file");
        return std::make_unique<inlet::SubjectInput<std::string>>(
            [path = args[0]] { return std::make_unique<FileLines>(path); },
            inlet::SubjectOptions{.format = inlet::MessageFormat::kRaw, .name = "file"});
      });
}
