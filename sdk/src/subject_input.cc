#include "inlet/subject_input.h"

#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "message_decoder.h"
#include "subject_channel.h"

namespace inlet {
namespace {

constexpr absl::Duration kSlowStopWarning = absl::Seconds(5);

// One partition: a subject running on its own thread, and the channel the
// runtime polls.
template <class T>
class SubjectPartition final : public SubjectSource<T> {
 public:
  SubjectPartition(std::string name, internal::MessageDecoder decoder,
                   const SubjectOptions& options, std::unique_ptr<ConnectorSubject> subject,
                   std::optional<nlohmann::json> resume)
      : name_(std::move(name)),
        channel_(name_, std::move(decoder), options, resume.value_or(nullptr)),
        subject_(std::move(subject)) {
    channel_.Attach(*subject_);
    thread_ = std::thread([this, resume = std::move(resume)] { RunSubject(resume); });
  }

  ~SubjectPartition() override { Stop(); }

  absl::StatusOr<Poll> NextBatch(std::vector<T>& out) override { return channel_.Take(out); }
  bool batch_ends_commit() const override { return channel_.taken_ends_commit(); }
  void WaitUntilDue(absl::Time deadline) override { channel_.WaitUntilDue(deadline); }
  std::optional<absl::Time> NextAwake() override {
    if (!waker_handed_over_) {
      channel_.SetWaker(this->waker());
      waker_handed_over_ = true;
    }
    return channel_.NextAwake();
  }
  nlohmann::json Snapshot() override { return channel_.offset(); }
  // Tells the subject the last offset whose messages are durable, once per
  // new offset (a subject that reports none hears nothing).
  void Committed(const nlohmann::json& offset) override {
    if (offset.is_null() || offset == acknowledged_) return;
    acknowledged_ = offset;
    subject_->OnCommitted(offset);
  }
  void Close() override { Stop(); }

 private:
  void RunSubject(const std::optional<nlohmann::json>& resume) {
    const bool sought = !resume.has_value() || resume->is_null() ||
                        Guarded("Seek", [&] { subject_->Seek(*resume); });
    if (sought && Guarded("Run", [&] { subject_->Run(); })) channel_.RunReturned();
    Guarded("OnStop", [&] { subject_->OnStop(); });
    channel_.MarkDone();
  }

  // Calls one method of the subject; an exception fails the channel, naming
  // `method`, and makes this false.
  template <class Call>
  bool Guarded(std::string_view method, Call call) {
    try {
      call();
      return true;
    } catch (const std::exception& e) {
      channel_.Fail(method, e.what());
    } catch (...) {
      channel_.Fail(method, "exception of unknown type");
    }
    return false;
  }

  void Stop() {
    if (!thread_.joinable()) return;
    channel_.RequestStop();
    if (!channel_.WaitDone(kSlowStopWarning)) {
      std::fprintf(stderr,
                   "inlet: subject \"%s\" has not returned from Run %s after the stop request; "
                   "still waiting\n",
                   name_.c_str(), absl::FormatDuration(kSlowStopWarning).c_str());
    }
    thread_.join();
  }

  std::string name_;
  internal::SubjectChannel channel_;
  std::unique_ptr<ConnectorSubject> subject_;
  std::thread thread_;
  bool waker_handed_over_ = false;
  nlohmann::json acknowledged_;
};

}  // namespace

template <class T>
SubjectInput<T>::SubjectInput(Factory make_subject, SubjectOptions options)
    : partitions_({options.name}),
      make_subject_([make = std::move(make_subject)](std::string_view) { return make(); }),
      options_(std::move(options)) {}

template <class T>
SubjectInput<T>::SubjectInput(std::vector<std::string> partitions, PartitionFactory make_subject,
                              SubjectOptions options)
    : partitions_(std::move(partitions)),
      make_subject_(std::move(make_subject)),
      options_(std::move(options)) {}

template <class T>
absl::StatusOr<std::vector<std::string>> SubjectInput<T>::ListParts() {
  absl::StatusOr<internal::MessageDecoder> decoder =
      internal::MessageDecoder::Create(options_.format, options_.schema);
  if (!decoder.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject \"", options_.name, "\": ", decoder.status().message()));
  }
  if (std::is_same_v<T, std::string> && options_.format == MessageFormat::kJson) {
    return absl::InvalidArgumentError(absl::StrCat(
        "subject \"", options_.name,
        "\": std::string items need the raw or bytes format; JSON messages are inlet::Message"));
  }
  if (options_.max_backlog == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject \"", options_.name, "\": max_backlog must be at least 1"));
  }
  return partitions_;
}

template <class T>
absl::StatusOr<std::unique_ptr<typename SubjectInput<T>::Source>> SubjectInput<T>::BuildPart(
    std::string_view, std::string_view for_part, std::optional<nlohmann::json> resume) {
  absl::StatusOr<internal::MessageDecoder> decoder =
      internal::MessageDecoder::Create(options_.format, options_.schema);
  if (!decoder.ok()) return decoder.status();
  std::string name = options_.name;
  if (partitions_.size() != 1 || partitions_[0] != options_.name) {
    absl::StrAppend(&name, "/", absl::string_view(for_part.data(), for_part.size()));
  }
  std::unique_ptr<ConnectorSubject> subject = make_subject_(for_part);
  if (subject == nullptr) {
    return absl::InternalError(absl::StrCat("subject \"", name, "\": the factory returned null"));
  }
  return std::make_unique<SubjectPartition<T>>(std::move(name), *std::move(decoder), options_,
                                               std::move(subject), std::move(resume));
}

template class SubjectInput<Message>;
template class SubjectInput<std::string>;

}  // namespace inlet
