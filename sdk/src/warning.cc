#include "inlet/warning.h"

#include <string>
#include <string_view>

#include "inlet/internal/guarded_call.h"
#include "warning_route.h"

namespace inlet {
namespace internal {

constinit thread_local WarningContext warning_context;

WarningReceiver* CurrentWarningReceiver() { return warning_context.receiver; }

WarningRoute::WarningRoute(WarningReceiver* receiver) : previous_(warning_context.receiver) {
  warning_context.receiver = receiver;
}

WarningRoute::~WarningRoute() { warning_context.receiver = previous_; }

}  // namespace internal

void Warn(std::string_view message) {
  const internal::WarningContext& here = internal::warning_context;
  if (here.receiver == nullptr || here.place == nullptr) return;
  try {
    here.receiver->ReceiveWarning(here.place->Prefix(here.method, message));
  } catch (...) {  // NOLINT(bugprone-empty-catch): a warning never fails the run.
  }
}

}  // namespace inlet
