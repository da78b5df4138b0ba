// Reads every file matching a glob pattern, one partition per file, and
// writes each line as a JSON string: the built-in DirectoryInput on the
// standard command line.
//
//   inlet-read-files 'logs/*.log' --workers=2 --output=lines.jsonl
//   inlet-read-files --follow 'logs/*.log'      # keeps reading, like tail -f

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inlet/connectors/directory_input.h"
#include "inlet/run_main.h"

ABSL_FLAG(bool, follow, false, "Keep reading lines appended to the files (tail -f).");

int main(int argc, char** argv) {
  return inlet::RunMain(
      argc, argv,
      [](const std::vector<std::string>& args)
          -> absl::StatusOr<std::unique_ptr<inlet::DirectoryInput>> {
        if (args.size() != 1) {
          return absl::InvalidArgumentError("expected one glob pattern, e.g. 'logs/*.log'");
        }
        return std::make_unique<inlet::DirectoryInput>(
            args[0], inlet::FileInputOptions{.follow = absl::GetFlag(FLAGS_follow)});
      });
}
