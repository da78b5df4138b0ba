// The connector on inlet's standard command line: reads the files given as
// arguments on the embedded runtime and writes every line as a JSON string to
// stdout (or --output), with live progress on a terminal.
//
//   postgres-cdc --workers=2 data/*.txt
//   postgres-cdc --recovery-db=state.db --output=out.jsonl data/*.txt
//
// --help lists the flags (workers, epoch interval, recovery file, output).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "inlet/run_main.h"
#include "inlet/subject_input.h"

#include "inlet_postgres_cdc/connector.h"

namespace {

using Input = inlet::SubjectInput<std::string>;

constexpr char kProgram[] = "postgres-cdc";

// The input over the files named on the command line.
absl::StatusOr<std::unique_ptr<Input>> MakeInput(const std::vector<std::string>& args) {
  if (args.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no files given; usage: ", kProgram, " [flags] FILE..."));
  }
  std::vector<std::filesystem::path> paths(args.begin(), args.end());
  return inlet_postgres_cdc::MakePostgresCdcInput(std::move(paths));
}

}  // namespace

int main(int argc, char** argv) { return inlet::RunMain(argc, argv, MakeInput); }
