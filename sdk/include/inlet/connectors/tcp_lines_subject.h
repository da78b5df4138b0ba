// `TcpLinesSubject` is a `ConnectorSubject` that listens on a TCP address,
// accepts any number of clients at once and pushes every line each of them
// sends, with `NextStr`. The lines of one connection keep their order; the
// lines of different connections interleave as they arrive.
//
//   absl::StatusOr<std::unique_ptr<inlet::TcpLinesSubject>> listener =
//       inlet::TcpLinesSubject::Create("127.0.0.1:0");
//   if (!listener.ok()) return listener.status();
//   uint16_t port = (*listener)->port();  // The port the system picked.
//
// Lines end as for `StdinSubject`: "\n", or "\r\n" (both removed). A
// client's unterminated last line is pushed when it disconnects. What one
// read of a connection returns is committed at once. The subject reports no
// offsets: clients that sent while no run was listening are not replayed.
//
// `Create` binds on the calling thread; after that the subject is used from
// the subject's thread only, as every subject is. `port()` and `address()`
// may be called from any thread.

#ifndef INLET_CONNECTORS_TCP_LINES_SUBJECT_H_
#define INLET_CONNECTORS_TCP_LINES_SUBJECT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inlet/connector_subject.h"

namespace inlet {

struct TcpLinesOptions {
  // The longest line accepted, in bytes without its ending. A longer line is
  // dropped whole (the connection goes on with the next line) with a warning
  // (`inlet::Warn`) naming the listener, the client and the limit.
  // Default: 1 MiB.
  size_t max_line_bytes = size_t{1} << 20;
};

class TcpLinesSubject final : public ConnectorSubject {
 public:
  // Binds to and listens on `address`: "host:port" with an IPv4 literal, or
  // "[host]:port" with an IPv6 literal; port 0 lets the system pick a free
  // one. An address that does not parse is InvalidArgument; a failed bind
  // is Unavailable naming the address and the error, e.g.
  // `listen on 127.0.0.1:8080: bind: Address already in use`.
  static absl::StatusOr<std::unique_ptr<TcpLinesSubject>> Create(std::string_view address,
                                                                 TcpLinesOptions options = {});

  ~TcpLinesSubject() override;

  // The port listened on (the one picked, when 0 was asked for).
  uint16_t port() const { return port_; }
  // The address listened on with that port, e.g. "[::1]:40123".
  const std::string& address() const { return address_; }

  // Accepts clients and pushes their lines until a stop is requested, then
  // closes every connection and the listening socket and returns. A failed
  // accept or read (other than a client resetting its connection, which
  // ends that connection) throws, naming the address and the error.
  void Run() override;

 private:
  struct Connection;
  TcpLinesSubject(int listen_fd, uint16_t port, std::string address, TcpLinesOptions options);

  int listen_fd_;
  uint16_t port_;
  std::string address_;
  TcpLinesOptions options_;

  void AcceptClients(int listener, std::vector<std::unique_ptr<Connection>>& connections);
  // Reads what `connection` has sent and pushes its complete lines; false
  // once the client has disconnected.
  bool ReadFrom(Connection& connection, std::string& chunk);
};

}  // namespace inlet

#endif  // INLET_CONNECTORS_TCP_LINES_SUBJECT_H_
