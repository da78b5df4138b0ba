// The bounded backlog between one `ConnectorSubject` (the producer, on its
// own thread) and the partition the runtime polls (the consumer).
//
// Pushed messages are pending until a commit moves them, as one group, to
// the committed queue; the consumer takes every committed message at once,
// so the messages of one commit always reach the sink in one batch. Offsets
// travel with commits: the consumer's state is the offset of the last commit
// it took.
//
// Raw and bytes payloads travel as bytes, back to back in one buffer, and
// become `Message`s on the consumer's thread: a message then costs no
// allocation on the producer's thread and none freed across threads.

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
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "inlet/connector_subject.h"
#include "inlet/internal/guarded_call.h"
#include "inlet/message.h"
#include "inlet/source.h"
#include "inlet/subject_input.h"
#include "inlet/waker.h"
#include "message_decoder.h"
#include "nlohmann/json.hpp"

namespace inlet::internal {

// Messages in order: decoded ones (JSON format) or payloads (raw, bytes).
struct MessageRun {
  std::vector<Message> decoded;
  std::string payloads;              // Back to back.
  std::vector<size_t> payload_ends;  // Where each payload ends in `payloads`.

  size_t size() const { return decoded.size() + payload_ends.size(); }
  bool empty() const { return size() == 0; }
  void clear();
  // Moves the first `count` messages to the end of `to`.
  void MoveFront(size_t count, MessageRun& to);
};

class SubjectChannel {
 public:
  // `name` is how errors name the subject, e.g. `orders` or `orders/part-1`;
  // `resumed_from` is the offset the partition resumes from (null if none).
  SubjectChannel(std::string name, MessageDecoder decoder, const SubjectOptions& options,
                 nlohmann::json resumed_from);

  // Connects `subject`'s producer API to this channel.
  void Attach(ConnectorSubject& subject) { subject.channel_ = this; }

  // Producer side: the `ConnectorSubject` methods of the same names.
  void PushJson(nlohmann::json message);
  void PushText(std::string_view message);
  void Commit();
  void Close();
  void ReportOffset(nlohmann::json offset);
  std::stop_token stop_token() const { return stop_.get_token(); }

  // The subject's thread ended `Run` (or `Seek`, or `OnStop`) by throwing:
  // the run fails with `failure` (named by `place()`) after the committed
  // messages are delivered.
  void Fail(absl::Status failure);
  // `subject "name"`, the place of the subject's calls.
  const Place& place() const { return place_; }
  // `Run` returned: as `Close`, unless the run is stopping.
  void RunReturned();
  // The subject's thread is about to exit.
  void MarkDone();

  // Consumer side. Appends every committed message to `out` (committing the
  // pending ones first when autocommit is due) and says whether the stream
  // goes on; the failure, once everything committed before it is taken.
  // `T` is `Message` or, for the raw and bytes formats, `std::string`.
  template <class T>
  absl::StatusOr<Poll> Take(std::vector<T>& out);
  // The offset of the last commit taken (before any, the one resumed from).
  const nlohmann::json& offset() const { return taken_offset_; }
  // Whether the messages the last `Take` appended end where a commit ends
  // (true when it appended none); false when a full backlog cut a commit.
  bool taken_ends_commit() const { return taken_ends_commit_; }
  // When the consumer should next call `Take`: now when something is
  // committed or the stream ended or failed, at the autocommit deadline when
  // messages are pending, otherwise not until `waker` is woken.
  absl::Time NextAwake();
  // Messages the subject pushed that `Take` has not handed out yet, committed
  // or not: the subject's backlog. Takes the channel's lock briefly.
  int64_t queued();
  // The consumer's waker, woken whenever `NextAwake` would move earlier.
  void SetWaker(Waker waker);
  // Blocks until `NextAwake` is due or `deadline` passes.
  void WaitUntilDue(absl::Time deadline);
  // Asks the subject to stop and wakes a producer blocked on a full backlog.
  void RequestStop();
  // Waits until the subject's thread is about to exit; false on timeout.
  bool WaitDone(absl::Duration timeout);

 private:
  // Tells the consumer that `NextAwake` may have moved earlier: wakes its
  // waker and any `WaitUntilDue`. Under `mutex_`.
  void NotifyConsumerLocked();
  // `Fail`'s change of state, under `mutex_`: the pending messages are
  // dropped and the channel closes. The caller then requests the stop and
  // wakes blocked producers, without the lock.
  void FailLocked(absl::Status failure);
  // `NextAwake`'s answer; under `mutex_`.
  absl::Time NextAwakeLocked() const;
  // Pushes a message the decoder has accepted or rejected.
  void PushDecoded(MessageDecoder::Result decoded);
  // Numbers a message and either rejects it (`error`) or, once the backlog
  // has room, lets `append` add it to the pending run; under `mutex_`.
  template <class Append>
  void Push(std::optional<MessageError> error, Append append);

  // Moves pending messages to the committed queue: all of them, or only
  // those the last reported offset covers (autocommit of a subject that
  // reports offsets, so a message is never committed without its offset).
  // `cut`: the subject did not commit; a full backlog makes room.
  enum class Scope { kAll, kCoveredByOffset };
  void CommitLocked(Scope scope, bool cut = false);

  const std::string name_;
  const Place place_;
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
  MessageRun pending_;
  absl::Time pending_since_ = absl::InfinitePast();
  MessageRun committed_;
  bool offsets_reported_ = false;
  std::optional<nlohmann::json> pending_offset_;
  size_t pending_covered_ = 0;  // How many pending messages `pending_offset_` covers.
  std::optional<nlohmann::json> committed_offset_;
  bool committed_ends_commit_ = true;  // False when `committed_` ends with a cut.
  bool closed_ = false;
  bool done_flag_ = false;
  std::optional<absl::Status> failure_;
  Waker waker_;
  std::condition_variable due_;  // `WaitUntilDue` waits here.

  // Consumer thread only.
  nlohmann::json taken_offset_;
  bool taken_ends_commit_ = true;
  MessageRun taken_;  // Keeps its capacity from one `Take` to the next.
};

}  // namespace inlet::internal

#endif  // INLET_SRC_SUBJECT_CHANNEL_H_
