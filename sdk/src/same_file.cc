#include "inlet/internal/same_file.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

namespace inlet::internal {

bool SameFile(const std::filesystem::path& a, const std::filesystem::path& b) {
  struct stat sa;
  struct stat sb;
  const bool a_exists = ::stat(a.c_str(), &sa) == 0;
  const bool b_exists = ::stat(b.c_str(), &sb) == 0;
  if (a_exists && b_exists) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (a_exists != b_exists) return false;
  std::error_code error_a;
  std::error_code error_b;
  const std::filesystem::path canonical_a = std::filesystem::weakly_canonical(a, error_a);
  const std::filesystem::path canonical_b = std::filesystem::weakly_canonical(b, error_b);
  return !error_a && !error_b && canonical_a == canonical_b;
}

}  // namespace inlet::internal
