// `DirectoryInput` reads every regular file matching a glob pattern, such as
// "logs/*.log", line by line: one partition per file, with the same reading,
// resume and follow semantics as `FileInput` (see file_input.h).
//
//   inlet::DirectoryInput input("logs/*.log", {.follow = true});
//
// The pattern is matched by POSIX glob(3): `*`, `?` and `[...]` within one
// path component, no `**`, and a leading '.' of a name only matches an
// explicit '.'.
//
// Threading: as for every `PartitionedInput` (see partitioned_input.h). The
// input object itself is not modified by `ListParts` or `BuildPart`, and the
// sources it builds share nothing with each other.

#ifndef INLET_CONNECTORS_DIRECTORY_INPUT_H_
#define INLET_CONNECTORS_DIRECTORY_INPUT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inlet/connectors/file_input.h"
#include "inlet/partitioned_input.h"

namespace inlet {

class DirectoryInput final : public PartitionedInput<std::string, int64_t> {
 public:
  // Reads the files matching `pattern` with `options`. Nothing is matched
  // here: the pattern is evaluated by each `ListParts` call.
  explicit DirectoryInput(std::string pattern, FileInputOptions options = {});

  // Evaluates the pattern now and returns the paths of the matching regular
  // files (others, such as directories, are skipped), sorted by byte value.
  // Each path, exactly as glob(3) spells it (relative when the pattern is),
  // is a partition's name, so files created between runs are picked up by
  // the next run, and a run resumes only the files it finds under the same
  // names. Fails when a directory on the way cannot be read (the directory
  // and the errno's text, e.g. NOT_FOUND `logs: No such file or directory`),
  // or when no regular file matches (NOT_FOUND
  // `no file matches "logs/*.log"`).
  absl::StatusOr<std::vector<std::string>> ListParts() override;

  // Opens the file named `for_part` with `OpenFileSource`, positioned at
  // `resume`. Fails with NOT_FOUND `"<name>" does not match "<pattern>"` for
  // a name the pattern cannot produce, and otherwise as `OpenFileSource`.
  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view step_id,
                                                    std::string_view for_part,
                                                    std::optional<int64_t> resume) override;

 private:
  std::string pattern_;
  FileInputOptions options_;
};

}  // namespace inlet

#endif  // INLET_CONNECTORS_DIRECTORY_INPUT_H_
