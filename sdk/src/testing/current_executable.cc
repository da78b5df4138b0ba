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

namespace {

// The path the system names the running program by, not yet resolved.
absl::StatusOr<std::string> ExecutablePath() {
#if defined(__APPLE__)
  uint32_t size = 0;
  _NSGetExecutablePath(nullptr, &size);
  std::string path(size, '\0');
  if (_NSGetExecutablePath(path.data(), &size) != 0) {
    return absl::InternalError("_NSGetExecutablePath failed");
  }
  path.resize(std::strlen(path.c_str()));
  return path;
#elif defined(__linux__)
  return std::string("/proc/self/exe");
#else
  return absl::UnimplementedError(
      "cannot find the running program: implemented for Linux and macOS only");
#endif
}

}  // namespace

absl::StatusOr<std::string> CurrentExecutable() {
  absl::StatusOr<std::string> path = ExecutablePath();
  if (!path.ok()) return path.status();
  std::error_code error;
  std::filesystem::path resolved = std::filesystem::canonical(*path, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot find the running program (", *path, "): ", error.message()));
  }
  return resolved.string();
}

}  // namespace inlet::internal::conformance
