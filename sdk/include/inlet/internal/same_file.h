// Whether two paths name the same file, for the checks that keep a program's
// output, its recovery file and its input apart.

#ifndef INLET_INTERNAL_SAME_FILE_H_
#define INLET_INTERNAL_SAME_FILE_H_

#include <filesystem>

namespace inlet::internal {

// True when `a` and `b` name one file: the same device and inode when both
// exist; otherwise the same path once made absolute, with the symbolic
// links of its existing part resolved (a file that does not exist yet is
// the file that path would create).
bool SameFile(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace inlet::internal

#endif  // INLET_INTERNAL_SAME_FILE_H_
