// `StdinSubject` is a `ConnectorSubject` that pushes the lines of standard
// input, or of any other readable file descriptor (a pipe, a terminal, a
// file). Reading blocks, which is why it is a subject: it blocks on the
// subject's own thread, never on the runtime's workers.
//
//   inlet::SubjectInput<std::string> input(
//       [] { return std::make_unique<inlet::StdinSubject>(); },
//       {.format = inlet::MessageFormat::kRaw, .name = "stdin"});
//
// Each line is pushed with `NextStr`, without its ending: "\n" ends a line,
// and a "\r" right before it is dropped too, so "\r\n" files read like "\n"
// ones (a "\r" anywhere else stays). A last line without an ending is pushed
// at end of input. Lines have no length limit. What one read returns is
// committed at once. The subject reports no offsets: a resumed run starts
// reading wherever the descriptor stands.
//
// Used from the subject's thread only, as every subject is.

#ifndef INLET_CONNECTORS_STDIN_SUBJECT_H_
#define INLET_CONNECTORS_STDIN_SUBJECT_H_

#include "inlet/connector_subject.h"

namespace inlet {

class StdinSubject final : public ConnectorSubject {
 public:
  // Reads `fd` (default 0, standard input). The caller keeps `fd` open until
  // the run is over; the subject never closes it nor changes its flags.
  explicit StdinSubject(int fd = 0) : fd_(fd) {}

  // Pushes lines until end of input, then returns (ending the partition).
  // While it waits for input, a stop request makes it return at once (it
  // waits in poll() on `fd` and on a descriptor the stop signals); an
  // unterminated last line is then not pushed. A failed read (other than an
  // interrupted one) throws, naming the descriptor and the error, e.g.
  // `fd 7: read: Bad file descriptor`.
  void Run() override;

 private:
  int fd_;
};

}  // namespace inlet

#endif  // INLET_CONNECTORS_STDIN_SUBJECT_H_
