// A byte range of a file as a partition of its own
// (`FileInputOptions::split_bytes`): how ranges are named, listed and opened.

#ifndef INLET_SRC_CONNECTORS_FILE_RANGE_H_
#define INLET_SRC_CONNECTORS_FILE_RANGE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inlet/connectors/file_input.h"
#include "inlet/source.h"

namespace inlet::internal {

// The lines starting in [start, end) of a file.
struct FileRange {
  int64_t start = 0;
  int64_t end = 0;
};

// A partition name `<path>@<start>-<end>`, taken apart.
struct RangePart {
  std::string path;
  FileRange range;
};

// OK unless `split_bytes` is negative, or positive with follow mode or
// universal line endings: INVALID_ARGUMENT naming the option.
absl::Status CheckSplitOptions(const FileInputOptions& options);

// Appends the partition names of the file `path` of `size` bytes: `path`
// itself when `split_bytes` is 0 or the file is no larger, else one
// `<path>@<start>-<end>` per range of `split_bytes` (the last one shorter).
void AppendPartNames(const std::string& path, int64_t size, int64_t split_bytes,
                     std::vector<std::string>& names);

// The path and range of a name `AppendPartNames` made for a range; none for
// any other name.
std::optional<RangePart> ParseRangeName(std::string_view name);

// `OpenFileSource` for the lines starting in `range` (none: the whole file).
// `resume` is a snapshot of such a source, or none for the range's start.
absl::StatusOr<std::unique_ptr<StatefulSource<std::string, int64_t>>> OpenFileRange(
    const std::filesystem::path& path, std::optional<FileRange> range,
    std::optional<int64_t> resume, const FileInputOptions& options);

}  // namespace inlet::internal

#endif  // INLET_SRC_CONNECTORS_FILE_RANGE_H_
