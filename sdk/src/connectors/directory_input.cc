#include "inlet/connectors/directory_input.h"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
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
#include "file_range.h"

namespace inlet {
namespace {

// glob(3) reports a directory it cannot read through a plain function
// pointer, with no user data; the first such error of the current call on
// this thread is kept here.
struct GlobError {
  bool set = false;
  std::string path;
  int error = 0;
};
thread_local GlobError glob_error;

int RecordGlobError(const char* path, int error) {
  if (!glob_error.set) {
    glob_error.set = true;
    glob_error.path = path;
    glob_error.error = error;
  }
  return 0;  // GLOB_ERR makes glob stop anyway.
}

// Owns a glob_t filled by glob(3).
class GlobResult {
 public:
  GlobResult() = default;
  GlobResult(const GlobResult&) = delete;
  GlobResult& operator=(const GlobResult&) = delete;
  ~GlobResult() { globfree(&glob_); }
  glob_t* get() { return &glob_; }

 private:
  glob_t glob_ = {};
};

}  // namespace

DirectoryInput::DirectoryInput(std::string pattern, FileInputOptions options)
    : pattern_(std::move(pattern)), options_(options) {}

absl::StatusOr<std::vector<std::string>> DirectoryInput::ListParts() {
  if (absl::Status usable = internal::CheckSplitOptions(options_); !usable.ok()) return usable;
  GlobResult result;
  glob_error = GlobError();
  const int rc = glob(pattern_.c_str(), GLOB_ERR | GLOB_NOSORT, RecordGlobError, result.get());
  switch (rc) {
    case 0:
      break;
    case GLOB_NOMATCH:
      return absl::NotFoundError(absl::StrCat("no file matches \"", pattern_, "\""));
    case GLOB_ABORTED:
      if (glob_error.set) return absl::ErrnoToStatus(glob_error.error, glob_error.path);
      return absl::UnknownError(
          absl::StrCat("reading the directories of \"", pattern_, "\" failed"));
    case GLOB_NOSPACE:
      return absl::ResourceExhaustedError(
          absl::StrCat("out of memory while matching \"", pattern_, "\""));
    default:
      return absl::UnknownError(
          absl::StrCat("glob(3) returned ", rc, " while matching \"", pattern_, "\""));
  }

  std::vector<std::pair<std::string, int64_t>> files;
  for (size_t i = 0; i < result.get()->gl_pathc; ++i) {
    const char* path = result.get()->gl_pathv[i];
    struct stat st;
    if (::stat(path, &st) != 0) {
      // Removed between the match and now: as if it had not matched.
      if (errno == ENOENT) continue;
      return absl::ErrnoToStatus(errno, path);
    }
    if (S_ISREG(st.st_mode)) files.emplace_back(path, st.st_size);
  }
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat("no file matches \"", pattern_, "\""));
  }
  // By byte value: glob(3) would sort by the locale's collation.
  std::sort(files.begin(), files.end());
  std::vector<std::string> names;
  for (const auto& [path, size] : files) {
    internal::AppendPartNames(path, size, options_.split_bytes, names);
  }
  return names;
}

absl::StatusOr<std::unique_ptr<DirectoryInput::Source>> DirectoryInput::BuildPart(
    std::string_view /*step_id*/, std::string_view for_part, std::optional<int64_t> resume) {
  const std::string name(for_part);
  auto matches = [&](const std::string& path) {
    return fnmatch(pattern_.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0;
  };
  if (matches(name)) return OpenFileSource(name, resume, options_);
  if (std::optional<internal::RangePart> part = internal::ParseRangeName(name)) {
    if (matches(part->path))
      return internal::OpenFileRange(part->path, part->range, resume, options_);
  }
  return absl::NotFoundError(absl::StrCat("\"", name, "\" does not match \"", pattern_, "\""));
}

}  // namespace inlet
