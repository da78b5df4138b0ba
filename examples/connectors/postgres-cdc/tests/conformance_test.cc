// PostgresCdc against inlet's conformance suite: order within a
// partition, resume without gap or duplicate, rescaling, never blocking, the
// order of calls, stable partition names and a real SIGKILL mid-stream. When
// you replace the file reading, make the harness write to your system.

#include "inlet/testing/conformance.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "inlet/subject_input.h"

#include "inlet_postgres_cdc/connector.h"

namespace {

// A data set is a directory of text files, one per partition.
class PostgresCdcHarness {
 public:
  using Input = inlet::SubjectInput<std::string>;
  static constexpr inlet::conformance::Capabilities kCapabilities = {};

  absl::Status CreateDataSet(const std::filesystem::path& dir, int partitions) {
    paths_.clear();
    for (int p = 0; p < partitions; ++p) {
      paths_.push_back(dir / absl::StrCat("part-", p, ".txt"));
      if (!std::ofstream(paths_.back(), std::ios::trunc)) {
        return absl::InternalError(absl::StrCat("cannot create ", paths_.back().string()));
      }
    }
    return absl::OkStatus();
  }

  std::string MakeItem(int partition, int64_t index) {
    return absl::StrCat("partition ", partition, " line ", index);
  }

  absl::Status Write(int partition, const std::vector<std::string>& items) {
    std::ofstream file(paths_.at(partition), std::ios::app);
    for (const std::string& item : items) file << item << '\n';
    return file ? absl::OkStatus()
                : absl::InternalError(absl::StrCat("cannot write ", paths_[partition].string()));
  }

  std::unique_ptr<Input> NewInput() {
    // A small backlog keeps batches small, so the suite can act between them.
    inlet::SubjectOptions options{.autocommit_duration = absl::Milliseconds(2), .max_backlog = 3};
    return inlet_postgres_cdc::MakePostgresCdcInput(paths_, options);
  }

 private:
  std::vector<std::filesystem::path> paths_;
};

}  // namespace

INLET_CONFORMANCE_TEST(PostgresCdc, PostgresCdcHarness);
