// The absolute path of the running program, so the conformance kit can start
// the current test binary again as a crash-case child.

#ifndef INLET_SRC_TESTING_CURRENT_EXECUTABLE_H_
#define INLET_SRC_TESTING_CURRENT_EXECUTABLE_H_

#include <string>

#include "absl/status/statusor.h"

namespace inlet::internal::conformance {

absl::StatusOr<std::string> CurrentExecutable();

}  // namespace inlet::internal::conformance

#endif  // INLET_SRC_TESTING_CURRENT_EXECUTABLE_H_
