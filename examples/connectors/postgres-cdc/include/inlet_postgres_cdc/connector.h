// PostgresCdc: the connector (README.md says what it reads).
//
// A connector subject (Pathway's ConnectorSubject): `Run` is a plain loop on
// a thread of its own that may block on a client library, and pushes
// messages with `Next*`; inlet's adapter (`inlet::SubjectInput`) turns it into
// an input whose workers never wait on it. This one reads a text file, one
// message per line, and reports the byte offset after each line, so a
// stopped or crashed run resumes at the next line.
//
// Replace this: keep the class shape and swap the file reading for your
// client's blocking receive loop (a message-queue consumer, a websocket, a
// change feed). The rules that matter are in the comments of each method;
// the conformance tests (tests/conformance_test.cc) check them for you.

#ifndef INLET_POSTGRES_CDC_CONNECTOR_H_
#define INLET_POSTGRES_CDC_CONNECTOR_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "inlet/connector_subject.h"
#include "inlet/subject_input.h"
#include "nlohmann/json.hpp"

namespace inlet_postgres_cdc {

// Reads one file; each line is one message.
class PostgresCdc final : public inlet::ConnectorSubject {
 public:
  explicit PostgresCdc(std::filesystem::path path) : path_(std::move(path)) {}

  // Called before `Run`, on the subject's thread, when the partition resumes:
  // `offset` is the last offset reported with `ReportOffset` that was
  // committed in a closed epoch. Positions the reader right after it.
  void Seek(const nlohmann::json& offset) override;

  // The subject's loop, on its own thread: pushes each line with `NextStr`,
  // reports the offset after it and commits. It may block (on a socket, a
  // client library) but should return soon after `stop_requested()` turns
  // true. Returning ends the partition; an exception fails the run after
  // the messages committed before it are delivered.
  void Run() override;

 private:
  std::filesystem::path path_;
  int64_t offset_ = 0;
};

// The input to run: one subject per file, in a partition named by the file's
// name. Items are the lines, as strings.
std::unique_ptr<inlet::SubjectInput<std::string>> MakePostgresCdcInput(
    std::vector<std::filesystem::path> paths, inlet::SubjectOptions options = {});

}  // namespace inlet_postgres_cdc

#endif  // INLET_POSTGRES_CDC_CONNECTOR_H_
