#include "subject_channel.h"

#include <iterator>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace inlet::internal {

void MessageRun::clear() {
  decoded.clear();
  payloads.clear();
  payload_ends.clear();
}

void MessageRun::MoveFront(size_t count, MessageRun& to) {
  if (count == 0) return;
  if (count == size() && to.empty()) {
    std::swap(*this, to);
    return;
  }
  const auto moved = static_cast<ptrdiff_t>(count);
  if (!decoded.empty()) {
    to.decoded.insert(to.decoded.end(), std::make_move_iterator(decoded.begin()),
                      std::make_move_iterator(decoded.begin() + moved));
    decoded.erase(decoded.begin(), decoded.begin() + moved);
    return;
  }
  const size_t bytes = payload_ends[count - 1];
  const size_t base = to.payloads.size();
  to.payloads.append(payloads, 0, bytes);
  for (size_t i = 0; i < count; ++i) to.payload_ends.push_back(base + payload_ends[i]);
  payloads.erase(0, bytes);
  payload_ends.erase(payload_ends.begin(), payload_ends.begin() + moved);
  for (size_t& end : payload_ends) end -= bytes;
}

SubjectChannel::SubjectChannel(std::string name, MessageDecoder decoder,
                               const SubjectOptions& options, nlohmann::json resumed_from)
    : name_(std::move(name)),
      place_(Place::Subject(name_)),
      decoder_(std::move(decoder)),
      autocommit_duration_(options.autocommit_duration),
      max_backlog_(options.max_backlog),
      on_error_(options.on_error),
      offsets_reported_(!resumed_from.is_null()),
      taken_offset_(std::move(resumed_from)) {}

void SubjectChannel::PushJson(nlohmann::json message) {
  if (decoder_.decodes_json()) {
    PushDecoded(decoder_.FromJson(std::move(message)));
  } else {
    PushText(message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

void SubjectChannel::PushText(std::string_view message) {
  if (decoder_.decodes_json()) {
    PushDecoded(decoder_.FromText(message));
    return;
  }
  Push(decoder_.CheckPayload(message), [&](MessageRun& run) {
    run.payloads.append(message);
    run.payload_ends.push_back(run.payloads.size());
  });
}

void SubjectChannel::PushDecoded(MessageDecoder::Result decoded) {
  if (MessageError* error = std::get_if<MessageError>(&decoded)) {
    Push(std::move(*error), [](MessageRun&) {});
    return;
  }
  Push(std::nullopt,
       [&](MessageRun& run) { run.decoded.push_back(std::get<Message>(std::move(decoded))); });
}

template <class Append>
void SubjectChannel::Push(std::optional<MessageError> error, Append append) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (stop_.stop_requested()) return;
  if (closed_) {
    throw std::logic_error(place_.Prefix("", "a message was pushed after Close"));
  }
  const int64_t number = ++pushed_;
  if (error.has_value()) {
    error->subject = name_;
    error->message_number = number;
    if (on_error_) {
      lock.unlock();
      on_error_(*error);
      return;
    }
    // The messages before the bad one are delivered; then the run fails.
    CommitLocked(Scope::kAll);
    failure_ = absl::InvalidArgumentError(error->ToString());
    lock.unlock();
    stop_.request_stop();
    return;
  }
  while (pending_.size() + committed_.size() >= max_backlog_) {
    // A backlog full of pending messages could never drain: commit them,
    // only those an offset covers when the subject reports offsets.
    if (committed_.empty()) CommitLocked(Scope::kCoveredByOffset, /*cut=*/true);
    if (committed_.empty() && offsets_reported_) {
      // None is covered: committing them would resume before them (they
      // would repeat), and waiting for an offset that comes after them
      // would wait forever. The messages committed so far are delivered.
      absl::Status full = absl::ResourceExhaustedError(place_.Prefix(
          "", absl::StrCat(max_backlog_,
                           " messages (max_backlog) were pushed after the last ReportOffset, "
                           "so none of them can be committed without repeating on resume; "
                           "report an offset at least every max_backlog messages (a position "
                           "inside a large transaction too) or raise max_backlog")));
      FailLocked(std::move(full));
      lock.unlock();
      stop_.request_stop();
      space_.notify_all();
      return;
    }
    if (committed_.empty()) CommitLocked(Scope::kAll, /*cut=*/true);
    ++waiting_producers_;
    space_.wait(lock);
    --waiting_producers_;
    if (stop_.stop_requested()) return;
  }
  const bool first_pending = pending_.empty();
  if (first_pending) pending_since_ = absl::Now();
  append(pending_);
  if (first_pending) NotifyConsumerLocked();  // An autocommit deadline now exists.
  if (autocommit_duration_ <= absl::ZeroDuration()) CommitLocked(Scope::kCoveredByOffset);
}

void SubjectChannel::Commit() {
  std::lock_guard<std::mutex> lock(mutex_);
  CommitLocked(Scope::kAll);
}

void SubjectChannel::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  CommitLocked(Scope::kAll);
  closed_ = true;
}

void SubjectChannel::ReportOffset(nlohmann::json offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Messages pushed after a stop request are dropped, so an offset reported
  // after them would skip them on resume.
  if (stop_.stop_requested()) return;
  offsets_reported_ = true;
  pending_offset_ = std::move(offset);
  pending_covered_ = pending_.size();
  if (autocommit_duration_ <= absl::ZeroDuration()) {
    CommitLocked(Scope::kCoveredByOffset);
  } else if (!pending_.empty()) {
    NotifyConsumerLocked();  // An overdue autocommit may now commit what this covers.
  }
}

void SubjectChannel::CommitLocked(Scope scope, bool cut) {
  size_t count = pending_.size();
  if (scope == Scope::kCoveredByOffset && offsets_reported_) count = pending_covered_;
  if (count == 0 && !pending_offset_.has_value()) return;
  pending_.MoveFront(count, committed_);
  if (count > 0) committed_ends_commit_ = !cut;
  if (pending_offset_.has_value()) {
    committed_offset_ = std::move(pending_offset_);
    pending_offset_.reset();
  }
  pending_covered_ = 0;
  if (!pending_.empty()) pending_since_ = absl::Now();
  NotifyConsumerLocked();
}

void SubjectChannel::NotifyConsumerLocked() {
  waker_.Wake();
  due_.notify_all();
}

absl::Time SubjectChannel::NextAwake() {
  std::lock_guard<std::mutex> lock(mutex_);
  return NextAwakeLocked();
}

void SubjectChannel::WaitUntilDue(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    const absl::Time due = NextAwakeLocked();
    const absl::Time now = absl::Now();
    if (due <= now || deadline <= now) return;
    due_.wait_until(lock, absl::ToChronoTime(std::min(due, deadline)));
  }
}

absl::Time SubjectChannel::NextAwakeLocked() const {
  if (!committed_.empty() || committed_offset_.has_value() || failure_.has_value() ||
      (closed_ && done_flag_)) {
    return absl::InfinitePast();
  }
  // Autocommit of a subject that reports offsets commits only what an offset
  // covers; with nothing covered it waits for the next `ReportOffset`.
  const bool committable = !offsets_reported_ || pending_covered_ > 0;
  if (!pending_.empty() && committable) return pending_since_ + autocommit_duration_;
  return absl::InfiniteFuture();
}

int64_t SubjectChannel::queued() {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(pending_.size() + committed_.size());
}

void SubjectChannel::SetWaker(Waker waker) {
  std::lock_guard<std::mutex> lock(mutex_);
  waker_ = std::move(waker);
}

void SubjectChannel::Fail(absl::Status failure) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    FailLocked(std::move(failure));
  }
  stop_.request_stop();
  space_.notify_all();
}

void SubjectChannel::FailLocked(absl::Status failure) {
  if (!failure_.has_value()) failure_ = std::move(failure);
  pending_.clear();
  pending_offset_.reset();
  closed_ = true;
  NotifyConsumerLocked();
}

void SubjectChannel::RunReturned() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!stop_.stop_requested()) CommitLocked(Scope::kAll);
  closed_ = true;
}

void SubjectChannel::MarkDone() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_flag_ = true;
    NotifyConsumerLocked();
  }
  done_.notify_all();
}

template <class T>
absl::StatusOr<Poll> SubjectChannel::Take(std::vector<T>& out) {
  std::optional<absl::Status> failure;
  bool ended = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (committed_.empty() && !pending_.empty() &&
        absl::Now() - pending_since_ >= autocommit_duration_) {
      CommitLocked(Scope::kCoveredByOffset);
    }
    if (committed_offset_.has_value()) {
      taken_offset_ = std::move(*committed_offset_);
      committed_offset_.reset();
    }
    taken_ends_commit_ = committed_.empty() || committed_ends_commit_;
    std::swap(taken_, committed_);  // `committed_` gets the capacity of the last run taken.
    if (!taken_.empty() && waiting_producers_ > 0) space_.notify_all();
    // The stream ends once the subject's thread is done, so that an
    // exception after `Close` (or from `OnStop`) still fails the run.
    ended = closed_ && pending_.empty() && done_flag_;
    failure = failure_;
  }
  if (taken_.empty()) {
    if (failure.has_value()) return *failure;
    return ended ? Poll::kEnd : Poll::kMore;
  }
  if constexpr (std::is_same_v<T, Message>) {
    if (out.empty()) {
      out.swap(taken_.decoded);
    } else {
      out.insert(out.end(), std::make_move_iterator(taken_.decoded.begin()),
                 std::make_move_iterator(taken_.decoded.end()));
    }
  }
  std::string_view payloads = taken_.payloads;
  size_t begin = 0;
  out.reserve(out.size() + taken_.payload_ends.size());
  for (size_t end : taken_.payload_ends) {
    if constexpr (std::is_same_v<T, Message>) {
      out.push_back(decoder_.FromPayload(payloads.substr(begin, end - begin)));
    } else {
      out.emplace_back(payloads.substr(begin, end - begin));
    }
    begin = end;
  }
  taken_.clear();
  return ended && !failure.has_value() ? Poll::kEnd : Poll::kMore;
}

template absl::StatusOr<Poll> SubjectChannel::Take(std::vector<Message>& out);
template absl::StatusOr<Poll> SubjectChannel::Take(std::vector<std::string>& out);

void SubjectChannel::RequestStop() {
  stop_.request_stop();
  // Taking the lock orders this after a producer's check of the stop flag.
  {
    std::lock_guard<std::mutex> lock(mutex_);
  }
  space_.notify_all();
}

bool SubjectChannel::WaitDone(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return done_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return done_flag_; });
}

}  // namespace inlet::internal
