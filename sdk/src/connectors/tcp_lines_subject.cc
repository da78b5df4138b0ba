#include "inlet/connectors/tcp_lines_subject.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "connectors/line_splitter.h"
#include "connectors/stoppable_poller.h"
#include "connectors/unique_fd.h"
#include "inlet/warning.h"

namespace inlet {
namespace {

constexpr size_t kChunkBytes = size_t{64} * 1024;

struct Endpoint {
  sockaddr_storage storage = {};
  socklen_t length = 0;
};

absl::StatusOr<Endpoint> ParseAddress(std::string_view address) {
  const absl::Status bad = absl::InvalidArgumentError(absl::StrCat(
      "address \"", absl::string_view(address.data(), address.size()),
      "\": expected host:port with an IPv4 literal or [host]:port with an IPv6 literal, e.g. "
      "127.0.0.1:8080 or [::1]:8080"));
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return bad;
  uint32_t port = 0;
  if (!absl::SimpleAtoi(absl::string_view(address.data() + colon + 1, address.size() - colon - 1),
                        &port) ||
      port > 65535) {
    return bad;
  }
  std::string host(address.substr(0, colon));
  Endpoint endpoint;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(endpoint.storage);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6.sin6_addr) != 1) {
      return bad;
    }
    endpoint.length = sizeof(v6);
  } else {
    auto& v4 = reinterpret_cast<sockaddr_in&>(endpoint.storage);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) != 1) return bad;
    endpoint.length = sizeof(v4);
  }
  return endpoint;
}

uint16_t PortOf(const sockaddr_storage& address) {
  return ntohs(address.ss_family == AF_INET6
                   ? reinterpret_cast<const sockaddr_in6&>(address).sin6_port
                   : reinterpret_cast<const sockaddr_in&>(address).sin_port);
}

// "127.0.0.1:8080" or "[::1]:8080".
std::string FormatAddress(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, host,
              sizeof(host));
    return absl::StrCat("[", host, "]:", PortOf(address));
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, host, sizeof(host));
  return absl::StrCat(host, ":", PortOf(address));
}

std::string ErrnoText(int error) { return std::generic_category().message(error); }

// Errors accept() reports for a connection that failed before it was taken;
// the listener itself is fine.
bool IsAbortedConnection(int error) {
  switch (error) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENETUNREACH:
    case EHOSTDOWN:
    case EHOSTUNREACH:
      return true;
    default:
      return false;
  }
}

#if !defined(__linux__)
// Makes `fd` non-blocking and close-on-exec; closes it and returns -1 (errno
// set) when that fails.
int NonBlockingAndCloseOnExec(int fd) {
  if (fd < 0) return fd;
  const int status = ::fcntl(fd, F_GETFL);
  if (status < 0 || ::fcntl(fd, F_SETFL, status | O_NONBLOCK) != 0 ||
      ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    const int error = errno;
    ::close(fd);
    errno = error;
    return -1;
  }
  return fd;
}
#endif

// A non-blocking, close-on-exec stream socket. Linux sets both flags in the
// call, so no fork of another thread can inherit the socket in between.
int StreamSocket(int family) {
#if defined(__linux__)
  return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
  return NonBlockingAndCloseOnExec(::socket(family, SOCK_STREAM, 0));
#endif
}

// accept(), with the accepted socket non-blocking and close-on-exec.
int AcceptNonBlocking(int listener, sockaddr_storage& peer, socklen_t& peer_length) {
#if defined(__linux__)
  return ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                   SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
  return NonBlockingAndCloseOnExec(
      ::accept(listener, reinterpret_cast<sockaddr*>(&peer), &peer_length));
#endif
}

}  // namespace

struct TcpLinesSubject::Connection {
  internal::UniqueFd socket;
  std::string peer;
  internal::LineSplitter lines;
};

absl::StatusOr<std::unique_ptr<TcpLinesSubject>> TcpLinesSubject::Create(std::string_view address,
                                                                         TcpLinesOptions options) {
  absl::StatusOr<Endpoint> endpoint = ParseAddress(address);
  if (!endpoint.ok()) return endpoint.status();
  auto failed = [&](const char* call) {
    return absl::UnavailableError(absl::StrCat("listen on ",
                                               absl::string_view(address.data(), address.size()),
                                               ": ", call, ": ", ErrnoText(errno)));
  };
  internal::UniqueFd listener(StreamSocket(endpoint->storage.ss_family));
  if (!listener.valid()) return failed("socket");
  const int one = 1;
  if (::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return failed("setsockopt");
  }
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&endpoint->storage),
             endpoint->length) != 0) {
    return failed("bind");
  }
  if (::listen(listener.get(), SOMAXCONN) != 0) return failed("listen");
  sockaddr_storage bound = {};
  socklen_t bound_length = sizeof(bound);
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) {
    return failed("getsockname");
  }
  return std::unique_ptr<TcpLinesSubject>(
      new TcpLinesSubject(listener.Release(), PortOf(bound), FormatAddress(bound), options));
}

TcpLinesSubject::TcpLinesSubject(int listen_fd, uint16_t port, std::string address,
                                 TcpLinesOptions options)
    : listen_fd_(listen_fd), port_(port), address_(std::move(address)), options_(options) {}

TcpLinesSubject::~TcpLinesSubject() {
  if (listen_fd_ >= 0) ::close(listen_fd_);  // Run never ran.
}

void TcpLinesSubject::Run() {
  internal::StoppablePoller poller(stop_token());
  const internal::UniqueFd listener(std::exchange(listen_fd_, -1));
  std::vector<std::unique_ptr<Connection>> connections;
  std::vector<pollfd> fds;
  std::string chunk(kChunkBytes, '\0');
  while (true) {
    fds.clear();
    fds.push_back({.fd = listener.get(), .events = POLLIN, .revents = 0});
    for (const std::unique_ptr<Connection>& connection : connections) {
      fds.push_back({.fd = connection->socket.get(), .events = POLLIN, .revents = 0});
    }
    if (!poller.Wait(fds)) return;
    for (size_t i = 0; i < connections.size(); ++i) {
      if (fds[i + 1].revents != 0 && !ReadFrom(*connections[i], chunk)) connections[i].reset();
    }
    std::erase(connections, nullptr);
    if (fds[0].revents != 0) AcceptClients(listener.get(), connections);
  }
}

void TcpLinesSubject::AcceptClients(int listener,
                                    std::vector<std::unique_ptr<Connection>>& connections) {
  while (true) {
    sockaddr_storage peer = {};
    socklen_t peer_length = sizeof(peer);
    const int socket = AcceptNonBlocking(listener, peer, peer_length);
    if (socket < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (IsAbortedConnection(errno)) continue;
      throw std::system_error(errno, std::generic_category(),
                              absl::StrCat("listen on ", address_, ": accept"));
    }
    connections.push_back(std::make_unique<Connection>(Connection{
        .socket = internal::UniqueFd(socket),
        .peer = FormatAddress(peer),
        .lines = internal::LineSplitter(options_.max_line_bytes),
    }));
  }
}

bool TcpLinesSubject::ReadFrom(Connection& connection, std::string& chunk) {
  auto push = [this](const std::string& line) { NextStr(line); };
  const ssize_t read = ::read(connection.socket.get(), chunk.data(), chunk.size());
  const int error = read < 0 ? errno : 0;
  if (error == EINTR || error == EAGAIN || error == EWOULDBLOCK) return true;
  if (error != 0 && error != ECONNRESET) {
    throw std::system_error(
        error, std::generic_category(),
        absl::StrCat("listen on ", address_, ": client ", connection.peer, ": read"));
  }
  const bool open = read > 0;
  const size_t dropped =
      open ? connection.lines.Feed(std::string_view(chunk.data(), static_cast<size_t>(read)), push)
           : connection.lines.Finish(push);
  if (dropped > 0) {
    Warn(absl::StrCat("listen on ", address_, ": client ", connection.peer, ": dropped ", dropped,
                      " line", dropped == 1 ? "" : "s", " longer than ", options_.max_line_bytes,
                      " bytes"));
  }
  Commit();
  return open;
}

}  // namespace inlet
