// Reads every file matching a glob pattern, one partition per file, and
// writes each line as a JSON string: the built-in DirectoryInput on the
// standard command line.
//
//   inlet-read-files 'logs/*.log' --workers=2 --output=lines.jsonl
//   inlet-read-files --follow 'logs/*.log'      # keeps reading, like tail -f
//   inlet-read-files --split-bytes=64000000 --workers=2 big.log  # one file, two workers
//
// The output and the recovery file must lie outside the pattern: the input
// would read them back.

#include <fnmatch.h>
#include <glob.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "inlet/connectors/directory_input.h"
#include "inlet/internal/same_file.h"
#include "inlet/run_main.h"

ABSL_FLAG(bool, follow, false, "Keep reading lines appended to the files (tail -f).");
ABSL_FLAG(int64_t, split_bytes, 0,
          "Read each file larger than this many bytes as ranges of this size, each a partition "
          "of its own, so several workers read one big file (0: one partition per file).");
ABSL_DECLARE_FLAG(std::string, output);
ABSL_DECLARE_FLAG(std::string, recovery_db);

namespace {

namespace fs = std::filesystem;

// Whether glob(3) returns, for `pattern`, one of `paths` now.
bool GlobMatchesOneOf(const std::string& pattern, const std::vector<fs::path>& paths) {
  glob_t matches;
  bool found = false;
  if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (size_t i = 0; i < matches.gl_pathc && !found; ++i) {
      for (const fs::path& path : paths) {
        if (inlet::internal::SameFile(matches.gl_pathv[i], path)) found = true;
      }
    }
  }
  ::globfree(&matches);
  return found;
}

// Whether the input of `pattern` reads `path`: it matches now, or would once
// `path` is created (its directory matches the pattern's directory part and
// its name the pattern's last component).
bool PatternReads(const std::string& pattern, const fs::path& path) {
  if (GlobMatchesOneOf(pattern, {path})) return true;
  const fs::path pattern_path(pattern);
  const std::string name = path.filename().string();
  if (name.empty() || ::fnmatch(pattern_path.filename().c_str(), name.c_str(), FNM_PERIOD) != 0) {
    return false;
  }
  const fs::path directory = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const std::string directory_pattern =
      pattern_path.has_parent_path() ? pattern_path.parent_path().string() : ".";
  return GlobMatchesOneOf(directory_pattern, {directory});
}

absl::Status CheckOutsidePattern(const std::string& pattern) {
  const std::string output = absl::GetFlag(FLAGS_output);
  if (output != "-" && PatternReads(pattern, output)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--output ", output, " matches the input pattern \"", pattern,
        "\": the run would read its own output back. Write the output outside the pattern"));
  }
  const std::string db = absl::GetFlag(FLAGS_recovery_db);
  if (db.empty()) return absl::OkStatus();
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    if (PatternReads(pattern, db + suffix)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--recovery-db ", db, ": ", db, suffix, " matches the input pattern \"", pattern,
          "\": the run would read the recovery file as input. Keep it outside the pattern"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  return inlet::RunMain(
      argc, argv,
      [](const std::vector<std::string>& args)
          -> absl::StatusOr<std::unique_ptr<inlet::DirectoryInput>> {
        if (args.size() != 1) {
          return absl::InvalidArgumentError("expected one glob pattern, e.g. 'logs/*.log'");
        }
        if (absl::Status outside = CheckOutsidePattern(args[0]); !outside.ok()) return outside;
        return std::make_unique<inlet::DirectoryInput>(
            args[0], inlet::FileInputOptions{.follow = absl::GetFlag(FLAGS_follow),
                                             .split_bytes = absl::GetFlag(FLAGS_split_bytes)});
      });
}
