// `inlet::Warn` lets connector code report something a person should know
// without failing the run: a retry, a reconnection, dropped input. The
// library itself never prints; warnings reach whoever runs the connector.
//
//   if (!response.ok()) {
//     inlet::Warn(absl::StrCat("fetch failed (", response.status().message(),
//                              "), retrying in ", absl::FormatDuration(backoff)));
//     retry_at_ = absl::Now() + backoff;
//     return Poll::kMore;
//   }
//
// Thread-safe. Within a run of the embedded runtime (`inlet::Run`, and so
// `RunMain`) a warning raised inside any method of an input or source (on a
// worker thread or the coordinating thread), of the sink, or of a
// `ConnectorSubject` (`Seek`, `Run`, `OnStop`, on the subject's thread) is
// prefixed with where it was raised and lands in `RunReport::warnings` and
// in `RunOptions::on_warning`:
//
//   step "orders" partition "part-3": NextBatch: fetch failed (...), retrying in 1s
//   subject "tcp": Run: listen on 127.0.0.1:9000: client 127.0.0.1:50812: dropped 1 line ...
//
// Outside a run, and on threads the connector starts itself, there is no one
// to tell: the warning is discarded. So is a warning raised after the method
// it was raised in has returned.

#ifndef INLET_WARNING_H_
#define INLET_WARNING_H_

#include <string_view>

namespace inlet {

// Reports `message` (one line, no trailing newline) as a warning of the run
// the calling thread works for; see above. Never blocks for long, never
// throws, never fails the run.
void Warn(std::string_view message);

}  // namespace inlet

#endif  // INLET_WARNING_H_
