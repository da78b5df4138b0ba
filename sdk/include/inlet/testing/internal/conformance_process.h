// The conformance kit's crash case runs the current test again in a child
// process (this very test binary, filtered to this one test) and kills it
// with a real SIGKILL. The child knows it is the child from an environment
// variable holding the directory it shares with its parent.

#ifndef INLET_TESTING_INTERNAL_CONFORMANCE_PROCESS_H_
#define INLET_TESTING_INTERNAL_CONFORMANCE_PROCESS_H_

#include <sys/types.h>

#include <filesystem>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace inlet::internal::conformance {

inline constexpr char kChildDirectoryVariable[] = "INLET_CONFORMANCE_CHILD_DIR";

// The shared directory when this process is a crash-case child.
std::optional<std::filesystem::path> ChildDirectory();

// Starts this test binary again, running only the current test, as a child
// sharing `dir`; its output goes to `dir`/child.log.
absl::StatusOr<pid_t> SpawnCurrentTest(const std::filesystem::path& dir);

// Waits until `marker` exists while the child `pid` still runs. Fails when
// the child exits first or `limit` passes; either way the child is then
// gone and reaped.
absl::Status AwaitMarker(pid_t pid, const std::filesystem::path& marker, absl::Duration limit);

// Sends SIGKILL to `pid` and reaps it; fails unless SIGKILL is what ended it.
absl::Status KillAndReap(pid_t pid);

}  // namespace inlet::internal::conformance

#endif  // INLET_TESTING_INTERNAL_CONFORMANCE_PROCESS_H_
