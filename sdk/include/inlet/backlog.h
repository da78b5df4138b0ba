// What a partition has yet to hand out, as its source estimates it: bytes
// left in a file, a Kafka partition's high watermark minus its position, the
// messages a subject has queued. Returned by `EstimateBacklog` (source.h) and
// reported in the run's metrics (metrics.h).

#ifndef INLET_BACKLOG_H_
#define INLET_BACKLOG_H_

#include <cstdint>

namespace inlet {

struct Backlog {
  enum class Unit {
    kItems,  // Items (messages, records, lines) not yet handed out.
    kBytes,  // Bytes not yet read.
  };
  // Zero or more; an estimate, not a promise of how many items follow.
  int64_t amount = 0;
  Unit unit = Unit::kItems;
};

}  // namespace inlet

#endif  // INLET_BACKLOG_H_
