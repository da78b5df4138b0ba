#include "store_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace inlet::internal {

namespace fs = std::filesystem;

absl::Status StoreFileErrnoError(const std::string& name, absl::string_view problem, int error) {
  absl::StatusCode code = absl::ErrnoToStatusCode(error);
  if (error == EACCES || error == EPERM || error == EROFS) {
    code = absl::StatusCode::kPermissionDenied;
  }
  return absl::Status(code, absl::StrCat(name, ": ", problem, " (", std::strerror(error), ")"));
}

std::string FileUri(const fs::path& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) absolute = path;
  std::string uri = "file:";
  for (const unsigned char c : absolute.string()) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
        c == '-' || c == '.' || c == '_' || c == '~') {
      uri.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&uri, "%%%02X", c);
    }
  }
  return uri;
}

absl::StatusOr<StoreFileFound> ExamineStoreFile(const std::string& name, const fs::path& path) {
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (const int error = errno; !exists && error != ENOENT) {
    return StoreFileErrnoError(name, "cannot be examined", error);
  }
  if (!exists) return StoreFileFound{};
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(name, ": not a regular file"));
  }
  if (::access(path.c_str(), R_OK) != 0) return StoreFileErrnoError(name, "not readable", errno);
  return StoreFileFound{.exists = true, .has_content = st.st_size > 0};
}

absl::Status CheckStoreFileWritable(const std::string& name, const fs::path& path,
                                    const StoreFileFound& found) {
  if (found.exists && ::access(path.c_str(), W_OK) != 0) {
    return StoreFileErrnoError(name, "not writable", errno);
  }
  // The -wal and -shm files are created next to the file, even when it exists.
  const fs::path directory = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (::access(directory.c_str(), W_OK) != 0) {
    const int error = errno;
    if (error == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat(name, ": directory ", directory.string(), " does not exist"));
    }
    return StoreFileErrnoError(
        name, absl::StrCat("directory ", directory.string(), " is not writable"), error);
  }
  return absl::OkStatus();
}

absl::StatusOr<StoreLock> StoreLock::Acquire(const std::string& name, const fs::path& path) {
  StoreLock lock(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (lock.fd_ < 0) return StoreFileErrnoError(name, "cannot be opened", errno);
  if (::flock(lock.fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat(name, ": in use by another process (one file serves one run at a time)"));
    }
    return StoreFileErrnoError(name, "cannot be locked", errno);
  }
  return lock;
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);
}

StoreLock::StoreLock(StoreLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

StoreLock& StoreLock::operator=(StoreLock&& other) noexcept {
  std::swap(fd_, other.fd_);
  return *this;
}

}  // namespace inlet::internal
