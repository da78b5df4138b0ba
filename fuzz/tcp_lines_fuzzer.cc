// TcpLinesSubject (inlet/connectors/tcp_lines_subject.h) on a real loopback
// socket: one subject with a small line limit runs for the whole process
// (on the embedded runtime, bytes format), and each input is sent by a new
// client in chunks of sizes taken from the input, with TCP_NODELAY so the
// subject's reads cut the stream in many places. The lines delivered must be
// the reference split of the stream: "\n" or "\r\n" endings removed, lines
// longer than the limit dropped whole, the unterminated last line delivered
// when the client disconnects.
//
// Input: byte 0 seeds the chunk sizes (1..64 bytes), the rest is the stream.
//
// A line delivered late would show up in the next input; the run checks
// before each input that nothing arrived since the previous one was
// complete. The subject prints a warning per dropped line on stderr; run
// with -close_fd_mask=2 to keep the output readable.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "fuzz_check.h"
#include "inlet/callback_sink.h"
#include "inlet/connectors/tcp_lines_subject.h"
#include "inlet/run.h"
#include "inlet/subject_input.h"

namespace {

constexpr size_t kMaxLineBytes = 24;
constexpr auto kDeliveryTimeout = std::chrono::seconds(20);

std::vector<std::string> Reference(std::string_view stream) {
  std::vector<std::string> lines;
  while (!stream.empty()) {
    const size_t newline = stream.find('\n');
    std::string_view line = stream.substr(0, newline);
    if (newline != std::string_view::npos && !line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.size() <= kMaxLineBytes) lines.emplace_back(line);
    if (newline == std::string_view::npos) break;
    stream.remove_prefix(newline + 1);
  }
  return lines;
}

// The subject's run, for the whole process. Never destroyed: libFuzzer
// exits without unwinding, and the run thread must outlive every input.
class Listener {
 public:
  explicit Listener(std::unique_ptr<inlet::TcpLinesSubject> subject)
      : port_(subject->port()),
        input_([subject = std::make_shared<std::unique_ptr<inlet::ConnectorSubject>>(
                    std::move(subject))] { return std::move(*subject); },
               {.format = inlet::MessageFormat::kBytes, .name = "tcp"}),
        sink_([this](std::span<const std::string> batch) {
          std::lock_guard<std::mutex> lock(mutex_);
          lines_.insert(lines_.end(), batch.begin(), batch.end());
          arrived_.notify_all();
          return absl::OkStatus();
        }),
        thread_([this] {
          absl::StatusOr<inlet::RunReport> report = inlet::Run(input_, sink_, {});
          FUZZ_CHECK(false, "the run ended: ", report.status());
        }) {}

  uint16_t port() const { return port_; }

  // The lines delivered since the last call once there are at least
  // `count`; fails after a long wait.
  std::vector<std::string> Take(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    const bool arrived =
        arrived_.wait_for(lock, kDeliveryTimeout, [&] { return lines_.size() >= count; });
    FUZZ_CHECK(arrived, "only ", lines_.size(), " of ", count, " lines arrived");
    return std::exchange(lines_, {});
  }

 private:
  uint16_t port_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::string> lines_;
  inlet::SubjectInput<std::string> input_;
  inlet::CallbackSink<std::string> sink_;
  std::jthread thread_;
};

void Send(uint16_t port, std::string_view stream, uint32_t seed) {
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  FUZZ_CHECK(client >= 0, "socket: ", errno);
  const int one = 1;
  ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  FUZZ_CHECK(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0,
             "connect: ", errno);
  uint32_t state = seed * 2654435761u + 1;
  while (!stream.empty()) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    const size_t length = std::min<size_t>(1 + state % 64, stream.size());
    const ssize_t sent = ::send(client, stream.data(), length, MSG_NOSIGNAL);
    FUZZ_CHECK(sent > 0, "send: ", errno);
    stream.remove_prefix(static_cast<size_t>(sent));
  }
  ::close(client);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static Listener* const listener = [] {
    absl::StatusOr<std::unique_ptr<inlet::TcpLinesSubject>> subject =
        inlet::TcpLinesSubject::Create("127.0.0.1:0", {.max_line_bytes = kMaxLineBytes});
    FUZZ_CHECK(subject.ok(), "listen: ", subject.status());
    return new Listener(*std::move(subject));
  }();
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<std::string> expected = Reference(stream);

  const std::vector<std::string> late = listener->Take(0);
  FUZZ_CHECK(late.empty(), late.size(), " lines of the previous input arrived after it was done");
  Send(listener->port(), stream, data[0]);
  const std::vector<std::string> lines = listener->Take(expected.size());
  FUZZ_CHECK(lines == expected, "sent ", expected.size(), " lines, received ", lines.size());
  return 0;
}
