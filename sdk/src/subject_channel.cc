#include "subject_channel.h"

#include <iterator>
#include <stdexcept>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace inlet::internal {

SubjectChannel::SubjectChannel(std::string name, MessageDecoder decoder,
                               const SubjectOptions& options, nlohmann::json resumed_from)
    : name_(std::move(name)),
      decoder_(std::move(decoder)),
      autocommit_duration_(options.autocommit_duration),
      max_backlog_(options.max_backlog),
      on_error_(options.on_error),
      offsets_reported_(!resumed_from.is_null()),
      taken_offset_(std::move(resumed_from)) {}

void SubjectChannel::Push(MessageDecoder::Result decoded) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (stop_.stop_requested()) return;
  if (closed_) {
    throw std::logic_error(
        absl::StrCat("subject \"", name_, "\": a message was pushed after Close"));
  }
  const int64_t number = ++pushed_;
  if (MessageError* error = std::get_if<MessageError>(&decoded)) {
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
    // those an offset covers if there are any.
    if (committed_.empty()) CommitLocked(Scope::kCoveredByOffset);
    if (committed_.empty()) CommitLocked(Scope::kAll);
    ++waiting_producers_;
    space_.wait(lock);
    --waiting_producers_;
    if (stop_.stop_requested()) return;
  }
  if (pending_.empty()) pending_since_ = absl::Now();
  pending_.push_back(std::get<Message>(std::move(decoded)));
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
  if (autocommit_duration_ <= absl::ZeroDuration()) CommitLocked(Scope::kCoveredByOffset);
}

void SubjectChannel::CommitLocked(Scope scope) {
  size_t count = pending_.size();
  if (scope == Scope::kCoveredByOffset && offsets_reported_) count = pending_covered_;
  if (count == 0 && !pending_offset_.has_value()) return;
  if (count == pending_.size() && committed_.empty()) {
    committed_.swap(pending_);
  } else {
    committed_.insert(committed_.end(), std::make_move_iterator(pending_.begin()),
                      std::make_move_iterator(pending_.begin() + static_cast<ptrdiff_t>(count)));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(count));
  }
  if (pending_offset_.has_value()) {
    committed_offset_ = std::move(pending_offset_);
    pending_offset_.reset();
  }
  pending_covered_ = 0;
  if (!pending_.empty()) pending_since_ = absl::Now();
}

void SubjectChannel::Fail(std::string_view method, std::string_view what) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failure_.has_value()) {
      failure_ = absl::UnknownError(
          absl::StrCat("subject \"", name_, "\": ", absl::string_view(method.data(), method.size()),
                       ": ", absl::string_view(what.data(), what.size())));
    }
    pending_.clear();
    pending_offset_.reset();
    closed_ = true;
  }
  stop_.request_stop();
  space_.notify_all();
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
  }
  done_.notify_all();
}

absl::StatusOr<Poll> SubjectChannel::Take(std::vector<Message>& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (committed_.empty() && !pending_.empty() &&
      absl::Now() - pending_since_ >= autocommit_duration_) {
    CommitLocked(Scope::kCoveredByOffset);
  }
  if (committed_offset_.has_value()) {
    taken_offset_ = std::move(*committed_offset_);
    committed_offset_.reset();
  }
  // The stream ends once the subject's thread is done, so that an exception
  // after `Close` (or from `OnStop`) still fails the run.
  const bool ended = closed_ && pending_.empty() && done_flag_;
  if (!committed_.empty()) {
    if (out.empty()) {
      out.swap(committed_);
    } else {
      out.insert(out.end(), std::make_move_iterator(committed_.begin()),
                 std::make_move_iterator(committed_.end()));
      committed_.clear();
    }
    if (waiting_producers_ > 0) space_.notify_all();
    return ended && !failure_.has_value() ? Poll::kEnd : Poll::kMore;
  }
  if (failure_.has_value()) return *failure_;
  return ended ? Poll::kEnd : Poll::kMore;
}

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
