// Where `inlet::Warn` sends a thread's warnings: the embedded runtime routes
// its worker threads and its coordinating thread to itself, and the subject
// adapter routes a subject's thread to the run that built it.

#ifndef INLET_SRC_WARNING_ROUTE_H_
#define INLET_SRC_WARNING_ROUTE_H_

#include <string>

namespace inlet::internal {

// Receives warnings, from any thread, possibly concurrently.
class WarningReceiver {
 public:
  // `message` is already prefixed with its place.
  virtual void ReceiveWarning(std::string message) = 0;

 protected:
  ~WarningReceiver() = default;
};

// The receiver of this thread's warnings; null outside a run.
WarningReceiver* CurrentWarningReceiver();

// Routes this thread's warnings to `receiver` (null: nowhere) while it
// lives, then restores the previous route. REQUIRES: `receiver` outlives it.
class WarningRoute {
 public:
  explicit WarningRoute(WarningReceiver* receiver);
  ~WarningRoute();
  WarningRoute(const WarningRoute&) = delete;
  WarningRoute& operator=(const WarningRoute&) = delete;

 private:
  WarningReceiver* previous_;
};

}  // namespace inlet::internal

#endif  // INLET_SRC_WARNING_ROUTE_H_
