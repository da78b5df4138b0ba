// The bounded backlog between one `ConnectorSubject` (the producer, on its
// own thread) and the partition the runtime polls (the consumer).
//
// Pushed messages are pending until a commit moves them, as one group, to
// the committed queue; the consumer takes every committed message at once,
// so the messages of one commit always reach the sink in one batch. Offsets
// travel with commits: the consumer's state is the offset of the last commit
// it took.

#ifndef INLET_SRC_SUBJECT_CHANNEL_H_
#define INLET_SRC_SUBJECT_CHANNEL_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "inlet/connector_subject.h"
#include "inlet/message.h"
#include "inlet/source.h"
#include "inlet/subject_input.h"
#include "message_decoder.h"
#include "nlohmann/json.hpp"

namespace inlet::internal {

class SubjectChannel {
 public:
  // `name` is how errors name the subject, e.g. `orders` or `orders/part-1`.
  SubjectChannel(std::string name, MessageDecoder decoder, const SubjectOptions& options);

  // Connects `subject`'s producer API to this channel.
  void Attach(ConnectorSubject& subject) { subject.channel_ = this; }

  // Producer side: the `ConnectorSubject` methods of the same names.
  const MessageDecoder& decoder() const { return decoder_; }
  void Push(MessageDecoder::Result decoded);
  void Commit();
  void Close();
  void ReportOffset(nlohmann::json offset);
  std::stop_token stop_token() const { return stop_.get_token(); }

  // The subject's thread ended `Run` (or `Seek`, or `OnStop`) by throwing:
  // the run fails with `what` after the committed messages are delivered.
  void Fail(std::string_view method, std::string_view what);
  // `Run` returned: as `Close`, unless the run is stopping.
  void RunReturned();
  // The subject's thread is about to exit.
  void MarkDone();

  // Consumer side. Appends every committed message to `out` (committing the
  // pending ones first when autocommit is due) and says whether the stream
  // goes on; the failure, once everything committed before it is taken.
  absl::StatusOr<Poll> Take(std::vector<Message>& out);
  // The offset of the last commit taken: before any, the offset the
  // partition resumed from (null on a fresh start), so that a snapshot taken
  // before the subject's first commit does not forget where it resumed.
  const nlohmann::json& offset() const { return taken_offset_; }
  void ResumeFrom(nlohmann::json offset) { taken_offset_ = std::move(offset); }
  // Asks the subject to stop and wakes a producer blocked on a full backlog.
  void RequestStop();
  // Waits until the subject's thread is about to exit; false on timeout.
  bool WaitDone(absl::Duration timeout);

 private:
  // Moves pending messages to the committed queue: all of them, or only
  // those the last reported offset covers (autocommit of a subject that
  // reports offsets, so a message is never committed without its offset).
  enum class Scope { kAll, kCoveredByOffset };
  void CommitLocked(Scope scope);

  const std::string name_;
  const MessageDecoder decoder_;
  const absl::Duration autocommit_duration_;
  const size_t max_backlog_;
  const std::function<void(const MessageError&)> on_error_;
  std::stop_source stop_;

  std::mutex mutex_;
  std::condition_variable space_;  // Producers wait here for backlog space.
  std::condition_variable done_;
  int waiting_producers_ = 0;
  int64_t pushed_ = 0;
  std::vector<Message> pending_;
  absl::Time pending_since_ = absl::InfinitePast();
  std::vector<Message> committed_;
  bool offsets_reported_ = false;
  std::optional<nlohmann::json> pending_offset_;
  size_t pending_covered_ = 0;  // How many pending messages `pending_offset_` covers.
  std::optional<nlohmann::json> committed_offset_;
  bool closed_ = false;
  bool done_flag_ = false;
  std::optional<absl::Status> failure_;

  nlohmann::json taken_offset_;  // Consumer thread only.
};

}  // namespace inlet::internal

#endif  // INLET_SRC_SUBJECT_CHANNEL_H_
