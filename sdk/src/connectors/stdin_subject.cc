#include "inlet/connectors/stdin_subject.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "connectors/line_splitter.h"
#include "connectors/stoppable_poller.h"

namespace inlet {
namespace {

constexpr size_t kChunkBytes = size_t{64} * 1024;

}  // namespace

void StdinSubject::Run() {
  internal::StoppablePoller poller(stop_token());
  internal::LineSplitter lines;
  auto push = [this](const std::string& line) { NextStr(line); };
  std::string chunk(kChunkBytes, '\0');
  pollfd input = {.fd = fd_, .events = POLLIN, .revents = 0};
  while (poller.Wait({&input, 1})) {
    const ssize_t read = ::read(fd_, chunk.data(), chunk.size());
    if (read == 0) {
      lines.Finish(push);
      return;
    }
    if (read < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw std::system_error(errno, std::generic_category(), absl::StrCat("fd ", fd_, ": read"));
    }
    lines.Feed(std::string_view(chunk.data(), static_cast<size_t>(read)), push);
    Commit();
  }
}

}  // namespace inlet
