#include "inlet/connectors/tcp_lines_subject.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "connectors/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/callback_sink.h"
#include "inlet/run.h"
#include "inlet/subject_input.h"

namespace {

using ::inlet::internal::UniqueFd;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr auto kEventTimeout = std::chrono::seconds(20);

// A client connected to the loopback address of `family` at `port`.
UniqueFd Connect(int family, uint16_t port) {
  UniqueFd socket(::socket(family, SOCK_STREAM, 0));
  EXPECT_TRUE(socket.valid());
#if defined(SO_NOSIGPIPE)
  // macOS has no MSG_NOSIGNAL: the socket itself must not raise SIGPIPE.
  const int one = 1;
  EXPECT_EQ(::setsockopt(socket.get(), SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one)), 0);
#endif
  sockaddr_storage address = {};
  socklen_t length = 0;
  if (family == AF_INET6) {
    auto& v6 = reinterpret_cast<sockaddr_in6&>(address);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    v6.sin6_addr = in6addr_loopback;
    length = sizeof(v6);
  } else {
    auto& v4 = reinterpret_cast<sockaddr_in&>(address);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof(v4);
  }
  EXPECT_EQ(::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), length), 0)
      << "connect to port " << port;
  return socket;
}

void SendAll(const UniqueFd& socket, std::string_view data) {
  while (!data.empty()) {
#if defined(__linux__)
    const int flags = MSG_NOSIGNAL;
#else
    const int flags = 0;  // SO_NOSIGPIPE, set by Connect.
#endif
    const ssize_t sent = ::send(socket.get(), data.data(), data.size(), flags);
    ASSERT_GT(sent, 0);
    data.remove_prefix(static_cast<size_t>(sent));
  }
}

// A run of one `TcpLinesSubject` on a thread of its own, collecting the lines
// it delivers, until `Stop`.
class ListeningRun {
 public:
  explicit ListeningRun(std::unique_ptr<inlet::TcpLinesSubject> subject)
      : port_(subject->port()),
        input_([subject = std::make_shared<std::unique_ptr<inlet::ConnectorSubject>>(
                    std::move(subject))] { return std::move(*subject); },
               {.format = inlet::MessageFormat::kRaw, .name = "tcp"}),
        sink_([this](std::span<const std::string> batch) {
          std::lock_guard<std::mutex> lock(mutex_);
          for (const std::string& m : batch) lines_.push_back(m);
          arrived_.notify_all();
          return absl::OkStatus();
        }),
        thread_([this] {
          absl::StatusOr<inlet::RunReport> report =
              inlet::Run(input_, sink_, {.stop = stop_.get_token()});
          std::lock_guard<std::mutex> lock(mutex_);
          report_ = std::move(report);
          arrived_.notify_all();
        }) {}

  ~ListeningRun() {
    stop_.request_stop();
    if (thread_.joinable()) thread_.join();
  }

  uint16_t port() const { return port_; }

  // The lines delivered once there are at least `count`, or the run ended,
  // or the wait timed out.
  std::vector<std::string> WaitForLines(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    arrived_.wait_for(lock, kEventTimeout,
                      [&] { return lines_.size() >= count || report_.has_value(); });
    return lines_;
  }

  // Asks the run to stop and returns its result.
  absl::StatusOr<inlet::RunReport> Stop() {
    stop_.request_stop();
    thread_.join();
    return *report_;
  }

 private:
  uint16_t port_;
  std::stop_source stop_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::string> lines_;
  std::optional<absl::StatusOr<inlet::RunReport>> report_;
  inlet::SubjectInput<std::string> input_;
  inlet::CallbackSink<std::string> sink_;
  std::thread thread_;  // Last: starts once everything it uses is built.
};

std::unique_ptr<inlet::TcpLinesSubject> Listen(std::string_view address,
                                               inlet::TcpLinesOptions options = {}) {
  absl::StatusOr<std::unique_ptr<inlet::TcpLinesSubject>> subject =
      inlet::TcpLinesSubject::Create(address, options);
  EXPECT_TRUE(subject.ok()) << subject.status();
  return subject.ok() ? *std::move(subject) : nullptr;
}

TEST(TcpLinesSubjectTest, LinesOfAClientArriveInOrderOnIpv4AndIpv6Loopback) {
  for (const auto& [address, family] :
       std::vector<std::pair<std::string, int>>{{"127.0.0.1:0", AF_INET}, {"[::1]:0", AF_INET6}}) {
    SCOPED_TRACE(address);
    std::unique_ptr<inlet::TcpLinesSubject> subject = Listen(address);
    ASSERT_NE(subject, nullptr);
    ASSERT_NE(subject->port(), 0);
    EXPECT_EQ(subject->address(), family == AF_INET6 ? absl::StrCat("[::1]:", subject->port())
                                                     : absl::StrCat("127.0.0.1:", subject->port()));
    ListeningRun run(std::move(subject));
    UniqueFd client = Connect(family, run.port());
    SendAll(client, "one\ntwo\r\n\nthree\n");
    EXPECT_THAT(run.WaitForLines(4), ElementsAre("one", "two", "", "three"));
    absl::StatusOr<inlet::RunReport> report = run.Stop();
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->stopped);
  }
}

TEST(TcpLinesSubjectTest, ConcurrentClientsEachKeepTheirOwnOrder) {
  constexpr int kClients = 6;
  constexpr int kLinesEach = 3000;
  ListeningRun run(Listen("127.0.0.1:0"));
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&run, c] {
      UniqueFd client = Connect(AF_INET, run.port());
      std::string data;
      for (int i = 0; i < kLinesEach; ++i) absl::StrAppend(&data, "c", c, "-", i, "\n");
      // Uneven writes, so lines are split across reads.
      for (size_t at = 0, size = 1; at < data.size(); at += size, size = size * 7 % 1013 + 1) {
        SendAll(client, std::string_view(data).substr(at, size));
      }
    });
  }
  for (std::thread& client : clients) client.join();
  const std::vector<std::string> lines = run.WaitForLines(kClients * kLinesEach);
  ASSERT_EQ(lines.size(), size_t{kClients * kLinesEach});
  std::map<std::string, int> next;
  for (const std::string& line : lines) {
    const size_t dash = line.find('-');
    ASSERT_NE(dash, std::string::npos) << line;
    EXPECT_EQ(line.substr(dash + 1), absl::StrCat(next[line.substr(0, dash)]++)) << line;
  }
  EXPECT_EQ(next.size(), size_t{kClients});
  EXPECT_TRUE(run.Stop().ok());
}

TEST(TcpLinesSubjectTest, ManyLinesAcrossChunkBoundariesArriveWhole) {
  ListeningRun run(Listen("127.0.0.1:0"));
  std::vector<std::string> expected;
  std::string data;
  for (int i = 0; i < 20000; ++i) {
    expected.push_back(absl::StrCat("line-", i, std::string(static_cast<size_t>(i % 89), 'x')));
    absl::StrAppend(&data, expected.back(), "\n");
  }
  expected.push_back(std::string(300000, 'y'));  // Longer than several reads.
  absl::StrAppend(&data, expected.back(), "\n");
  UniqueFd client = Connect(AF_INET, run.port());
  SendAll(client, data);
  EXPECT_EQ(run.WaitForLines(expected.size()), expected);
  EXPECT_TRUE(run.Stop().ok());
}

TEST(TcpLinesSubjectTest, ADisconnectMidLinePushesThePartialLineAndOthersGoOn) {
  ListeningRun run(Listen("127.0.0.1:0"));
  UniqueFd staying = Connect(AF_INET, run.port());
  {
    UniqueFd leaving = Connect(AF_INET, run.port());
    SendAll(leaving, "whole\npart");
  }
  EXPECT_THAT(run.WaitForLines(2), ElementsAre("whole", "part"));
  SendAll(staying, "still here\n");
  EXPECT_THAT(run.WaitForLines(3), ElementsAre("whole", "part", "still here"));
  EXPECT_TRUE(run.Stop().ok());
}

TEST(TcpLinesSubjectTest, StopWhileWaitingReturnsPromptlyAndClosesEveryConnection) {
  ListeningRun run(Listen("[::1]:0"));
  UniqueFd idle = Connect(AF_INET6, run.port());
  SendAll(idle, "hello\n");
  ASSERT_THAT(run.WaitForLines(1), ElementsAre("hello"));
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<inlet::RunReport> report = run.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->stopped);
  char byte = 0;
  EXPECT_EQ(::recv(idle.get(), &byte, 1, 0), 0) << "the server side is closed";
}

TEST(TcpLinesSubjectTest, OverLongLinesAreDroppedWithAWarningAndTheConnectionGoesOn) {
  std::unique_ptr<inlet::TcpLinesSubject> subject = Listen("127.0.0.1:0", {.max_line_bytes = 8});
  ASSERT_NE(subject, nullptr);
  const std::string address = subject->address();
  ::testing::internal::CaptureStderr();
  ListeningRun run(std::move(subject));
  UniqueFd client = Connect(AF_INET, run.port());
  SendAll(client, "short\n123456789\n12345678\r\n");
  SendAll(client, std::string(200000, 'z'));  // Dropped long before its end arrives.
  SendAll(client, "zzz\nafter\n");
  const std::vector<std::string> lines = run.WaitForLines(3);
  EXPECT_THAT(lines, ElementsAre("short", "12345678", "after"));
  absl::StatusOr<inlet::RunReport> report = run.Stop();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << "the library never prints";
  ASSERT_TRUE(report.ok()) << report.status();
  // The warnings reach the run's report, named after the subject; one
  // warning a read: the two lines may come in one read or in two.
  ASSERT_FALSE(report->warnings.empty());
  int dropped = 0;
  for (const std::string& warning : report->warnings) {
    const std::string prefix =
        absl::StrCat("subject \"tcp\": Run: listen on ", address, ": client 127.0.0.1:");
    EXPECT_THAT(warning, ::testing::StartsWith(prefix));
    const size_t at = warning.find(": dropped ");
    ASSERT_NE(at, std::string::npos) << warning;
    const size_t count_end = warning.find(' ', at + 10);
    dropped += std::stoi(warning.substr(at + 10, count_end - at - 10));
    EXPECT_THAT(warning.substr(count_end), ::testing::StartsWith(" line"));
    EXPECT_THAT(warning, ::testing::EndsWith("longer than 8 bytes"));
  }
  EXPECT_EQ(dropped, 2) << absl::StrJoin(report->warnings, "\n");
}

TEST(TcpLinesSubjectTest, InvalidUtf8IsReportedWithTheMessageNumber) {
  ListeningRun run(Listen("127.0.0.1:0"));
  UniqueFd client = Connect(AF_INET, run.port());
  SendAll(client, "fine\nalso fine\n\xC3\x28 broken\n");
  EXPECT_THAT(run.WaitForLines(3), ElementsAre("fine", "also fine"));
  absl::StatusOr<inlet::RunReport> report = run.Stop();
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(
      std::string(report.status().message()),
      HasSubstr(R"(subject "tcp": message 3: expected valid UTF-8, got byte 0xC3 at offset 0)"));
}

TEST(TcpLinesSubjectTest, BindErrorNamesTheAddressAndTheError) {
  std::unique_ptr<inlet::TcpLinesSubject> first = Listen("127.0.0.1:0");
  ASSERT_NE(first, nullptr);
  const std::string taken = absl::StrCat("127.0.0.1:", first->port());
  absl::StatusOr<std::unique_ptr<inlet::TcpLinesSubject>> second =
      inlet::TcpLinesSubject::Create(taken);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(second.status().message(),
            absl::StrCat("listen on ", taken, ": bind: Address already in use"));
}

TEST(TcpLinesSubjectTest, AnAddressThatDoesNotParseIsInvalidArgument) {
  for (const char* address : {"localhost:80", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:x",
                              "::1:80", "[::1]", "[nope]:80", ""}) {
    absl::StatusOr<std::unique_ptr<inlet::TcpLinesSubject>> subject =
        inlet::TcpLinesSubject::Create(address);
    ASSERT_FALSE(subject.ok()) << address;
    EXPECT_EQ(subject.status().code(), absl::StatusCode::kInvalidArgument) << address;
    EXPECT_THAT(subject.status().message(), HasSubstr(absl::StrCat("address \"", address, "\"")));
  }
}

}  // namespace
