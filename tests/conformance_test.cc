// Every built-in connector passes the conformance kit (inlet/testing/conformance.h).

#include "inlet/testing/conformance.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "inlet/connectors/directory_input.h"
#include "inlet/connectors/file_input.h"
#include "inlet/connectors/generator_input.h"
#include "inlet/connectors/spool_directory_input.h"
#include "inlet/subject_input.h"
#include "inlet/testing/testing.h"

namespace {

using ::inlet::conformance::Capabilities;

std::string ItemName(int partition, int64_t index) {
  return absl::StrCat("p", partition, "-item-", index);
}

// One partition: a list of items given to the input when it is created.
class TestingSourceHarness {
 public:
  using Input = inlet::TestingSource<std::string>;
  static constexpr Capabilities kCapabilities = {.many_partitions = false};

  absl::Status CreateDataSet(const std::filesystem::path&, int) {
    items_.clear();
    return absl::OkStatus();
  }
  std::string MakeItem(int partition, int64_t index) { return ItemName(partition, index); }
  absl::Status Write(int, const std::vector<std::string>& items) {
    items_.insert(items_.end(), items.begin(), items.end());
    return absl::OkStatus();
  }
  std::unique_ptr<Input> NewInput() {
    return std::make_unique<Input>(std::vector<Input::Entry>(items_.begin(), items_.end()));
  }

 private:
  std::vector<std::string> items_;
};

// Partition p is the text file `part-p.txt`, one item a line.
class TextFiles {
 public:
  absl::Status CreateDataSet(const std::filesystem::path& dir, int partitions) {
    dir_ = dir;
    paths_.clear();
    for (int p = 0; p < partitions; ++p) {
      paths_.push_back(dir / absl::StrCat("part-", p, ".txt"));
      if (!std::ofstream(paths_.back(), std::ios::trunc)) {
        return absl::InternalError(absl::StrCat("cannot create ", paths_.back().string()));
      }
    }
    return absl::OkStatus();
  }
  std::string MakeItem(int partition, int64_t index) { return ItemName(partition, index); }
  absl::Status Write(int partition, const std::vector<std::string>& items) {
    std::ofstream file(paths_.at(partition), std::ios::app);
    for (const std::string& item : items) file << item << '\n';
    return file ? absl::OkStatus()
                : absl::InternalError(absl::StrCat("cannot write ", paths_[partition].string()));
  }

 protected:
  // Small batches, so the kit can snapshot between them.
  static constexpr inlet::FileInputOptions kReadInBatchesOfThree = {.batch_size = 3};

  std::filesystem::path dir_;
  std::vector<std::filesystem::path> paths_;
};

class FileInputHarness : public TextFiles {
 public:
  using Input = inlet::FileInput;
  static constexpr Capabilities kCapabilities = {};
  std::unique_ptr<Input> NewInput() {
    return std::make_unique<Input>(paths_, kReadInBatchesOfThree);
  }
};

// Where the OS reports file changes, a followed file wakes its partition.
#if defined(__linux__) || defined(__APPLE__) || defined(__FreeBSD__)
constexpr bool kFileChangesWake = true;
#else
constexpr bool kFileChangesWake = false;
#endif

// `follow` never ends a partition: the kit stops each run itself.
class FollowedFileInputHarness : public TextFiles {
 public:
  using Input = inlet::FileInput;
  static constexpr Capabilities kCapabilities = {.bounded = false, .wakes = kFileChangesWake};
  std::unique_ptr<Input> NewInput() {
    inlet::FileInputOptions options = kReadInBatchesOfThree;
    options.follow = true;
    options.poll_interval = absl::Milliseconds(5);
    return std::make_unique<Input>(paths_, options);
  }
  // Polled once an hour: only the file's change notification is prompt.
  std::unique_ptr<Input> NewLiveInput() {
    inlet::FileInputOptions options = kReadInBatchesOfThree;
    options.follow = true;
    options.poll_interval = absl::Hours(1);
    return std::make_unique<Input>(paths_, options);
  }
};

class DirectoryInputHarness : public TextFiles {
 public:
  using Input = inlet::DirectoryInput;
  static constexpr Capabilities kCapabilities = {};
  std::unique_ptr<Input> NewInput() {
    return std::make_unique<Input>((dir_ / "*.txt").string(), kReadInBatchesOfThree);
  }
};

// Worker w hands out partition w; workers past the last partition end at once.
class GeneratorInputHarness {
 public:
  using Input = inlet::GeneratorInput<std::string>;
  static constexpr Capabilities kCapabilities = {};

  absl::Status CreateDataSet(const std::filesystem::path&, int partitions) {
    partitions_->assign(partitions, {});
    return absl::OkStatus();
  }
  std::string MakeItem(int partition, int64_t index) { return ItemName(partition, index); }
  absl::Status Write(int partition, const std::vector<std::string>& items) {
    std::vector<std::string>& part = partitions_->at(partition);
    part.insert(part.end(), items.begin(), items.end());
    return absl::OkStatus();
  }
  std::unique_ptr<Input> NewInput() {
    return std::make_unique<Input>(
        [partitions = partitions_](int worker, int, int64_t n) -> std::optional<std::string> {
          if (worker >= static_cast<int>(partitions->size())) return std::nullopt;
          const std::vector<std::string>& part = (*partitions)[worker];
          if (n >= static_cast<int64_t>(part.size())) return std::nullopt;
          return part[n];
        },
        inlet::GeneratorInputOptions{.batch_size = 3});
  }

 private:
  std::shared_ptr<std::vector<std::vector<std::string>>> partitions_ =
      std::make_shared<std::vector<std::vector<std::string>>>();
};

// Reads one file with plain blocking reads, as a client library would: the
// byte offset after each line is its resume offset, and a commit follows
// every third line, so a commit holds several messages. When following, it
// waits at the end of the file for more lines (checking every millisecond)
// until the run stops, and commits what it has whenever it reaches the end.
class FileLinesSubject final : public inlet::ConnectorSubject {
 public:
  FileLinesSubject(std::filesystem::path path, bool follow)
      : path_(std::move(path)), follow_(follow) {}

  void Seek(const nlohmann::json& offset) override { offset_ = offset.get<int64_t>(); }

  void Run() override {
    std::ifstream file(path_, std::ios::binary);
    if (!file) throw std::runtime_error(absl::StrCat("cannot open ", path_.string()));
    file.seekg(offset_);
    ReportOffset(offset_);
    int64_t uncommitted = 0;
    while (!stop_requested()) {
      std::string line;
      // A line without its newline is still being written.
      if (std::getline(file, line) && !file.eof()) {
        offset_ += static_cast<int64_t>(line.size()) + 1;
        NextStr(line);
        ReportOffset(offset_);
        if (++uncommitted == 3) {
          Commit();
          uncommitted = 0;
        }
        continue;
      }
      if (!follow_) break;
      if (uncommitted > 0) {
        Commit();
        uncommitted = 0;
      }
      file.clear();
      file.seekg(offset_);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  std::filesystem::path path_;
  const bool follow_;
  int64_t offset_ = 0;
};

// Partition "part-p" is a FileLinesSubject over `part-p.txt`.
class SubjectInputHarness : public TextFiles {
 public:
  using Input = inlet::SubjectInput<std::string>;
  static constexpr Capabilities kCapabilities = {.wakes = true};
  std::unique_ptr<Input> NewInput() { return NewSubjectInput(false); }
  // Its subjects follow their files.
  std::unique_ptr<Input> NewLiveInput() { return NewSubjectInput(true); }

 private:
  std::unique_ptr<Input> NewSubjectInput(bool follow) {
    std::vector<std::string> partitions;
    for (const std::filesystem::path& path : paths_) partitions.push_back(path.stem().string());
    return std::make_unique<Input>(
        std::move(partitions),
        [dir = dir_, follow](std::string_view partition) {
          return std::make_unique<FileLinesSubject>(dir / (std::string(partition) + ".txt"),
                                                    follow);
        },
        // A small backlog keeps batches small, so the kit can act between them.
        inlet::SubjectOptions{.format = inlet::MessageFormat::kRaw,
                              .autocommit_duration = absl::Milliseconds(2),
                              .max_backlog = 3,
                              .name = "files"});
  }
};

// Each Write drops one complete file, `part-p-k.txt`, into the spool
// directory (written under a dot name, then renamed, as producers must). A
// file is deleted once its lines are committed, so the connector's
// acknowledgements are the files that are gone.
class SpoolDirectoryInputHarness {
 public:
  using Input = inlet::SpoolDirectoryInput;
  static constexpr Capabilities kCapabilities = {.delivery =
                                                     inlet::conformance::Delivery::kAtLeastOnce};

  absl::Status CreateDataSet(const std::filesystem::path& dir, int) {
    spool_ = dir / "spool";
    files_.clear();
    std::error_code error;
    std::filesystem::remove_all(spool_, error);
    if (!std::filesystem::create_directories(spool_, error)) {
      return absl::InternalError(
          absl::StrCat("cannot create ", spool_.string(), ": ", error.message()));
    }
    return absl::OkStatus();
  }
  std::string MakeItem(int partition, int64_t index) { return ItemName(partition, index); }
  absl::Status Write(int partition, const std::vector<std::string>& items) {
    if (items.empty()) return absl::OkStatus();
    const std::string name = absl::StrCat("part-", partition, "-", files_.size(), ".txt");
    const std::filesystem::path hidden = spool_ / ("." + name);
    {
      std::ofstream file(hidden, std::ios::trunc);
      for (const std::string& item : items) file << item << '\n';
      if (!file) return absl::InternalError(absl::StrCat("cannot write ", hidden.string()));
    }
    std::error_code error;
    std::filesystem::rename(hidden, spool_ / name, error);
    if (error) return absl::InternalError(absl::StrCat("cannot rename ", hidden.string()));
    files_.emplace_back(name, items);
    return absl::OkStatus();
  }
  std::unique_ptr<Input> NewInput() {
    return std::make_unique<Input>(inlet::SpoolDirectoryOptions{
        .directory = spool_,
        .scan_interval = absl::Milliseconds(5),
        .batch_size = 3,  // Small batches, so the kit can act between them.
        .stop_when_empty = true});
  }
  // The lines of every file the connector removed.
  std::vector<std::string> Acknowledged() {
    std::vector<std::string> removed;
    for (const auto& [name, items] : files_) {
      if (!std::filesystem::exists(spool_ / name)) {
        removed.insert(removed.end(), items.begin(), items.end());
      }
    }
    return removed;
  }

 private:
  std::filesystem::path spool_;
  std::vector<std::pair<std::string, std::vector<std::string>>> files_;
};

}  // namespace

INLET_CONFORMANCE_TEST(SubjectInput, SubjectInputHarness);
INLET_CONFORMANCE_TEST(TestingSource, TestingSourceHarness);
INLET_CONFORMANCE_TEST(FileInput, FileInputHarness);
INLET_CONFORMANCE_TEST(FollowedFileInput, FollowedFileInputHarness);
INLET_CONFORMANCE_TEST(DirectoryInput, DirectoryInputHarness);
INLET_CONFORMANCE_TEST(GeneratorInput, GeneratorInputHarness);
INLET_CONFORMANCE_TEST(SpoolDirectoryInput, SpoolDirectoryInputHarness);
