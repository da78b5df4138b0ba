#include "wake_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace inlet::internal {
namespace {

// poll() on the wake fd alone: true when it is readable within `timeout`.
bool Readable(const WakeFd& wake, std::chrono::milliseconds timeout) {
  pollfd polled = {.fd = wake.fd(), .events = POLLIN, .revents = 0};
  int ready;
  do {
    ready = ::poll(&polled, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  EXPECT_GE(ready, 0) << "poll: " << std::strerror(errno);
  return ready > 0 && (polled.revents & POLLIN) != 0;
}

bool ReadableNow(const WakeFd& wake) { return Readable(wake, std::chrono::milliseconds(0)); }

// The process's open descriptors below 1024 (listing /dev/fd would open one
// more of its own).
std::set<int> OpenDescriptors() {
  std::set<int> fds;
  for (int fd = 0; fd < 1024; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0) fds.insert(fd);
  }
  return fds;
}

// Runs /bin/sh and returns whether it found any of `fds` open.
bool ChildSeesAnyOpen(const std::vector<int>& fds) {
  std::string script;
  for (const int fd : fds) absl::StrAppend(&script, "[ -e /dev/fd/", fd, " ] && exit 1; ");
  absl::StrAppend(&script, "exit 0");
  std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::vector<char*> argv = {shell.data(), dash_c.data(), script.data(), nullptr};
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << script;
  return WEXITSTATUS(status) != 0;
}

TEST(WakeFdTest, StartsUnreadable) {
  WakeFd wake;
  EXPECT_FALSE(ReadableNow(wake));
}

TEST(WakeFdTest, SignalFromAnotherThreadWakesAPoll) {
  WakeFd wake;
  const auto start = std::chrono::steady_clock::now();
  std::thread signaller([&wake] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    wake.Signal();
  });
  // Blocks until the other thread signals; the timeout only keeps a broken
  // wake fd from hanging the test.
  const bool woken = Readable(wake, std::chrono::seconds(20));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  signaller.join();
  EXPECT_TRUE(woken);
  EXPECT_GE(elapsed, std::chrono::milliseconds(40)) << "poll returned before the signal";
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(WakeFdTest, RepeatedSignalsCoalesceAndOneDrainResets) {
  WakeFd wake;
  // More signals than a pipe holds: Signal must not block when it is full.
  for (int i = 0; i < 200'000; ++i) wake.Signal();
  EXPECT_TRUE(ReadableNow(wake));
  wake.Drain();
  EXPECT_FALSE(ReadableNow(wake));
}

TEST(WakeFdTest, DrainResetsAndTheNextSignalWakesAgain) {
  WakeFd wake;
  wake.Drain();  // Draining an unsignalled wake fd neither blocks nor signals.
  EXPECT_FALSE(ReadableNow(wake));
  for (int round = 0; round < 3; ++round) {
    wake.Signal();
    EXPECT_TRUE(ReadableNow(wake)) << "round " << round;
    wake.Drain();
    EXPECT_FALSE(ReadableNow(wake)) << "round " << round;
  }
}

TEST(WakeFdTest, SignalsRacingWithDrainsAreNeverLost) {
  // Whatever the interleaving, after the signaller's last Signal the waiter
  // (drain, then check, then poll) sees the counter it was woken for.
  WakeFd wake;
  std::atomic<int> sent{0};
  constexpr int kSignals = 20'000;
  std::thread signaller([&] {
    for (int i = 1; i <= kSignals; ++i) {
      sent.store(i);
      wake.Signal();
    }
  });
  int seen = 0;
  while (seen < kSignals) {
    wake.Drain();
    const int now = sent.load();
    if (now > seen) {
      seen = now;
      continue;
    }
    ASSERT_TRUE(Readable(wake, std::chrono::seconds(20))) << "lost a signal after " << seen;
  }
  signaller.join();
  EXPECT_EQ(seen, kSignals);
}

WakeFd* handler_wake = nullptr;

void SignalWakeFromHandler(int) { handler_wake->Signal(); }

TEST(WakeFdTest, SignalFromASignalHandlerWakesAndKeepsErrno) {
  WakeFd wake;
  handler_wake = &wake;
  struct sigaction action = {};
  action.sa_handler = SignalWakeFromHandler;
  sigemptyset(&action.sa_mask);
  struct sigaction previous = {};
  ASSERT_EQ(sigaction(SIGUSR1, &action, &previous), 0);
  errno = EDOM;
  ASSERT_EQ(raise(SIGUSR1), 0);
  const int errno_after = errno;
  ASSERT_EQ(sigaction(SIGUSR1, &previous, nullptr), 0);
  handler_wake = nullptr;
  EXPECT_EQ(errno_after, EDOM);
  EXPECT_TRUE(ReadableNow(wake));
}

TEST(WakeFdTest, EveryDescriptorIsNonBlockingAndCloseOnExec) {
  const std::set<int> before = OpenDescriptors();
  WakeFd wake;
  std::vector<int> opened;
  for (const int fd : OpenDescriptors()) {
    if (!before.contains(fd)) opened.push_back(fd);
  }
  // An eventfd (Linux) or the two ends of a pipe.
  ASSERT_THAT(opened, ::testing::Contains(wake.fd()));
  ASSERT_LE(opened.size(), 2u);
  for (const int fd : opened) {
    EXPECT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "fd " << fd << " is inherited by exec";
    EXPECT_NE(fcntl(fd, F_GETFL) & O_NONBLOCK, 0) << "fd " << fd << " blocks";
  }

  // And a real exec does not inherit them, while it does inherit a duplicate
  // without the flag (which proves the child's check).
  EXPECT_FALSE(ChildSeesAnyOpen(opened));
  const int inherited = dup(wake.fd());
  ASSERT_GE(inherited, 0);
  EXPECT_TRUE(ChildSeesAnyOpen({inherited}));
  close(inherited);
}

}  // namespace
}  // namespace inlet::internal
