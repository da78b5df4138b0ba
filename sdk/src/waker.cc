#include "inlet/waker.h"

#include "wake_target.h"

namespace inlet {

void Waker::Wake() const {
  if (target_ != nullptr) target_->Wake();
}

}  // namespace inlet
