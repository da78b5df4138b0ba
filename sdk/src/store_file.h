// The recovery store's file on disk, apart from what it holds: the checks
// made before SQLite opens it (type, permissions, its directory) and the
// lock that lets one process at a time use it. Every message starts with
// `name` ("recovery file <path>").

#ifndef INLET_SRC_STORE_FILE_H_
#define INLET_SRC_STORE_FILE_H_

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace inlet::internal {

// How long a statement waits for another connection's lock (a second writer,
// or a reader recovering the -wal) before it fails with SQLITE_BUSY.
inline constexpr int kBusyTimeoutMs = 1000;

// What `ExamineStoreFile` found at the path.
struct StoreFileFound {
  bool exists = false;
  // The file exists and is not empty: it must be checked as a store.
  bool has_content = false;
};

// Checks that `path`, when it exists, is a readable regular file; creates
// and changes nothing.
absl::StatusOr<StoreFileFound> ExamineStoreFile(const std::string& name,
                                                const std::filesystem::path& path);

// Checks that the file (when it exists) can be written, and that its
// directory can take the -wal and -shm files SQLite creates next to it.
absl::Status CheckStoreFileWritable(const std::string& name, const std::filesystem::path& path,
                                    const StoreFileFound& found);

// An exclusive flock(2) on the store's file, held while the store is open, so
// two processes never interleave their epochs in one file.
class StoreLock {
 public:
  StoreLock() = default;  // Holds no lock.
  // FAILED_PRECONDITION naming the file when another process holds it.
  static absl::StatusOr<StoreLock> Acquire(const std::string& name,
                                           const std::filesystem::path& path);
  ~StoreLock();
  StoreLock(StoreLock&& other) noexcept;
  StoreLock& operator=(StoreLock&& other) noexcept;
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  explicit StoreLock(int fd) : fd_(fd) {}

  int fd_ = -1;
};

// An error of a file-system check, reported as PERMISSION_DENIED when it is
// about permissions (EROFS included: the file cannot be written either way).
absl::Status StoreFileErrnoError(const std::string& name, absl::string_view problem, int error);

// A `file:` URI naming `path`, with every byte that could be read as URI
// syntax percent-encoded.
std::string FileUri(const std::filesystem::path& path);

}  // namespace inlet::internal

#endif  // INLET_SRC_STORE_FILE_H_
