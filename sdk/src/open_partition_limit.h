// How many partitions a worker keeps open (built) at once: the rest wait in
// the order they were assigned and are built as earlier ones are closed, so
// a run over more files than the process may open still reads them all.

#ifndef INLET_SRC_OPEN_PARTITION_LIMIT_H_
#define INLET_SRC_OPEN_PARTITION_LIMIT_H_

#include <cstdint>

namespace inlet::internal {

// Descriptors kept aside for everything that is not a partition: standard
// streams, the sink's file, the recovery store (database, WAL, shared
// memory), a metrics socket, the program's own files.
inline constexpr int64_t kReservedDescriptors = 64;

// The default of `RunOptions::max_open_partitions`, from a soft
// RLIMIT_NOFILE of `descriptor_limit` (negative: unlimited): half of what is
// left after `kReservedDescriptors`, shared by `workers`, at least 1 each.
// Half, so a partition that holds two descriptors (a file and an inotify
// watch, a socket and a timer) still fits.
int DefaultOpenPartitions(int64_t descriptor_limit, int workers);

// The process's soft RLIMIT_NOFILE, or -1 when it is unlimited or unknown.
int64_t SoftDescriptorLimit();

// `requested` when positive, else `DefaultOpenPartitions` for this process.
int OpenPartitionsPerWorker(int requested, int workers);

}  // namespace inlet::internal

#endif  // INLET_SRC_OPEN_PARTITION_LIMIT_H_
