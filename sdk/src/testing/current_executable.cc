#include "testing/current_executable.h"

#include <climits>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#if defined(__APPLE__)
#include <mach-o/dyld.h>
#endif

namespace inlet::internal::conformance {

absl::StatusOr<std::string> CurrentExecutable() {
#if defined(__APPLE__)
  uint32_t size = 0;
  _NSGetExecutablePath(nullptr, &size);
  std::string path(size, '\0');
  if (_NSGetExecutablePath(path.data(), &size) != 0) {
    return absl::InternalError("_NSGetExecutablePath failed");
  }
  path.resize(std::strlen(path.c_str()));
#else
  // Linux and the BSDs with a Linux-compatible /proc; elsewhere the error
  // says which path was missing.
  const std::string path = "/proc/self/exe";
#endif
  std::error_code error;
  std::filesystem::path resolved = std::filesystem::canonical(path, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot find the running program (", path, "): ", error.message()));
  }
  return resolved.string();
}

}  // namespace inlet::internal::conformance
