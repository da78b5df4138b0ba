// A `ConnectorSubject` is a push-style connector (Pathway's
// `pw.io.python.ConnectorSubject`): its `Run` is a plain loop on a thread of
// its own that may block on a client library, and pushes messages with
// `Next*`. The subject adapter (subject_input.h) turns it into a partition of
// the pull contract, so the runtime's workers never wait on it.
//
//   class Ticks final : public inlet::ConnectorSubject {
//     void Run() override {
//       for (int i = 0; i < 10 && !stop_requested(); ++i) {
//         NextJson({{"tick", i}});
//         Commit();
//       }
//     }
//   };
//
// Delivery: pushed messages stay invisible until committed, by `Commit`, by
// the adapter's autocommit, or by `Close`; the messages of one commit reach
// the sink in one batch, inside one epoch. A subject that reports offsets
// (`ReportOffset`) and can `Seek` to them resumes after a crash or stop
// without losing or repeating a message; any other subject starts afresh and
// loses what it pushed after the last closed epoch.

#ifndef INLET_CONNECTOR_SUBJECT_H_
#define INLET_CONNECTOR_SUBJECT_H_

#include <stop_token>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace inlet {
namespace internal {
class SubjectChannel;
}  // namespace internal

class ConnectorSubject {
 public:
  ConnectorSubject() = default;
  ConnectorSubject(const ConnectorSubject&) = delete;
  ConnectorSubject& operator=(const ConnectorSubject&) = delete;
  virtual ~ConnectorSubject() = default;

  // The producer loop, called once on the subject's own thread when its
  // partition is built. It may block (that is what subjects are for), but
  // must return soon after `stop_requested()` becomes true: the partition's
  // `Close` waits for it. Returning closes the subject (see `Close`). An
  // exception ends the run with an error naming the subject and carrying the
  // exception's message; messages committed before it are still delivered.
  virtual void Run() = 0;

  // Called on the subject's thread before `Run` when the partition resumes:
  // `offset` is the last `ReportOffset` value whose messages were all
  // delivered in a committed epoch. Position the source right after it. An
  // exception fails the run like one from `Run`. Not called on a fresh start.
  virtual void Seek(const nlohmann::json& offset) { static_cast<void>(offset); }

  // Called on the subject's thread after `Run` returned (or threw): release
  // what `Run` used. Pathway's `on_stop`.
  virtual void OnStop() {}

  // Says that `offset`, a value this subject passed to `ReportOffset`, is
  // durable: every message pushed before it reached the sink in an epoch
  // that committed (with a recovery store: a crashed run resumes from it or
  // from a later offset). Tell the system now (confirm a replication
  // slot's flush position, acknowledge a queue); never earlier. Called on a
  // runtime worker thread, concurrently with `Run`, after an epoch close,
  // once per new offset, in order; never for an offset that was not
  // committed, and not at all for a subject that reports no offsets. Must
  // not block: record the offset (an atomic, a queue) for `Run` to act on.
  // An exception fails the run like one from `Run`.
  virtual void OnCommitted(const nlohmann::json& offset) { static_cast<void>(offset); }

 protected:
  // The producer API. Thread-safe: callable from `Run` and from threads it
  // starts, until `Run` returns. Each call is one message, numbered from 1
  // in call order; it is decoded with the adapter's format and schema at
  // once, so a bad message is reported with its number.
  //
  // When the backlog is full the call blocks until the runtime takes
  // messages or a stop is requested. After a stop request the message is
  // dropped and the call returns at once.

  // One row given field by field, as a JSON object (Pathway's `next(**kw)`).
  void Next(nlohmann::json fields);
  // A JSON value. For the raw and bytes formats it is pushed as its text.
  void NextJson(const nlohmann::json& message);
  // Text: parsed as JSON, checked as UTF-8 (raw) or taken as bytes.
  void NextStr(std::string_view message);
  // Bytes: parsed as JSON, checked as UTF-8 (raw) or taken as they are.
  void NextBytes(std::string_view message);

  // Makes every message pushed so far visible to the runtime, in one batch.
  void Commit();

  // Ends the stream: what was pushed is committed, and the partition ends
  // once the runtime has taken it. Later `Next*` calls are errors. Returning
  // from `Run` does the same.
  void Close();

  // Records where the source stands after the messages pushed so far: the
  // value (any JSON) that `Seek` receives when the partition resumes. For
  // exactly-once resume, report the starting offset before the first
  // message, then after the messages each offset covers and before
  // `Commit`: autocommit and a full backlog then never commit a message
  // without its offset. Report one at least every `max_backlog` messages
  // (SubjectOptions), inside one long commit too: a backlog full of messages
  // no offset covers fails the run.
  void ReportOffset(nlohmann::json offset);

  // True once the run is stopping (an orderly stop, an error elsewhere, or
  // the end of the run): `Run` should return. A blocking read can be woken
  // by a `std::stop_callback` on `stop_token()`.
  bool stop_requested() const;
  std::stop_token stop_token() const;

 private:
  friend class internal::SubjectChannel;
  internal::SubjectChannel& channel() const;

  internal::SubjectChannel* channel_ = nullptr;
};

}  // namespace inlet

#endif  // INLET_CONNECTOR_SUBJECT_H_
