#include "file_watch.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "inlet/waker.h"
#include "unique_fd.h"
#include "wake_fd.h"

#if defined(__linux__)
#include <sys/inotify.h>
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__DragonFly__)
#include <sys/event.h>
#define INLET_FILE_WATCH_KQUEUE 1
#endif

namespace inlet::internal {

#if defined(__linux__) || defined(INLET_FILE_WATCH_KQUEUE)

// The process's watcher: one notification descriptor, one thread, the
// partitions to wake. Shared by every `FileWatch`; the last one to go stops
// the thread.
class FileWatcher {
 public:
  // The running watcher, started if there is none; nullptr when it cannot
  // be started.
  static std::shared_ptr<FileWatcher> Shared() {
    // Never destroyed: a watch may outlive static destruction's order.
    static std::mutex* const kMutex = new std::mutex;
    static std::weak_ptr<FileWatcher>* const kCurrent = new std::weak_ptr<FileWatcher>;
    std::lock_guard<std::mutex> lock(*kMutex);
    std::shared_ptr<FileWatcher> watcher = kCurrent->lock();
    if (watcher != nullptr) return watcher;
    try {
      watcher.reset(new FileWatcher);
      if (!watcher->notify_.valid()) return nullptr;
#if defined(INLET_FILE_WATCH_KQUEUE)
      struct kevent stop;
      EV_SET(&stop, watcher->stop_.fd(), EVFILT_READ, EV_ADD, 0, 0, nullptr);
      if (::kevent(watcher->notify_.get(), &stop, 1, nullptr, 0, nullptr) != 0) return nullptr;
#endif
      watcher->thread_ = std::thread(&FileWatcher::Loop, watcher.get());
    } catch (const std::system_error&) {  // No wake fd or no thread.
      return nullptr;
    }
    *kCurrent = watcher;
    return watcher;
  }

  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;
  ~FileWatcher() {
    if (thread_.joinable()) {
      stop_.Signal();
      thread_.join();
    }
  }

  // Watches the file open as `fd`; returns the watch's id, or 0 when the
  // file cannot be watched.
  uint64_t Add(int fd, Waker waker) {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t id = next_id_++;
#if defined(__linux__)
    // Through /proc the watch is on the open file itself, even when its
    // name was renamed or removed since it was opened.
    const std::string open_file = "/proc/self/fd/" + std::to_string(fd);
    const int key = ::inotify_add_watch(notify_.get(), open_file.c_str(),
                                        IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF);
    if (key < 0) return 0;  // ENOSPC: fs.inotify.max_user_watches reached.
#else
    // A descriptor of our own: the watch ends when it is closed, whatever the
    // source does with its own.
    const int key = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (key < 0) return 0;
    struct kevent change;
    EV_SET(&change, key, EVFILT_VNODE, EV_ADD | EV_CLEAR,
           NOTE_WRITE | NOTE_EXTEND | NOTE_ATTRIB | NOTE_LINK | NOTE_RENAME | NOTE_DELETE |
               NOTE_REVOKE,
           0, reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
    if (::kevent(notify_.get(), &change, 1, nullptr, 0, nullptr) != 0) {
      ::close(key);
      return 0;
    }
#endif
    watches_.emplace(id, Watch{key, std::move(waker)});
#if defined(__linux__)
    by_key_.emplace(key, id);
#endif
    return id;
  }

  // Ends the watch `id`; its waker is not called after this returns.
  void Remove(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = watches_.find(id);
    if (it == watches_.end()) return;
    const int key = it->second.key;
    watches_.erase(it);
#if defined(__linux__)
    auto [first, last] = by_key_.equal_range(key);
    for (auto at = first; at != last; ++at) {
      if (at->second == id) {
        by_key_.erase(at);
        break;
      }
    }
    // Watches of one file share its watch descriptor: it goes with the last.
    if (by_key_.count(key) == 0) ::inotify_rm_watch(notify_.get(), key);
#else
    ::close(key);  // Removes its event from the kqueue.
#endif
  }

 private:
  struct Watch {
    int key;  // The inotify watch descriptor, or the kqueue's duplicate of the file's fd.
    Waker waker;
  };

  FileWatcher() {
#if defined(__linux__)
    notify_.Reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
#else
    notify_.Reset(::kqueue());
    if (notify_.valid()) ::fcntl(notify_.get(), F_SETFD, FD_CLOEXEC);
#endif
  }

  // The watcher thread. Should the descriptor fail (it does not, short of a
  // bug), the thread ends and followed partitions fall back on their safety
  // poll.
  void Loop() {
#if defined(__linux__)
    // Room for many events, each at most one inotify_event and a name.
    alignas(inotify_event) char buffer[64 * 1024];
    for (;;) {
      pollfd fds[2] = {{notify_.get(), POLLIN, 0}, {stop_.fd(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      const ssize_t length = ::read(notify_.get(), buffer, sizeof(buffer));
      if (length < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      for (ssize_t at = 0; at < length;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        if ((event->mask & IN_Q_OVERFLOW) != 0) {
          for (const auto& [id, watch] : watches_) watch.waker.Wake();
          continue;
        }
        auto [first, last] = by_key_.equal_range(event->wd);
        for (auto watch = first; watch != last; ++watch) watches_.at(watch->second).waker.Wake();
      }
    }
#else
    struct kevent events[64];
    for (;;) {
      const int count = ::kevent(notify_.get(), nullptr, 0, events, 64, nullptr);
      if (count < 0) {
        if (errno == EINTR) continue;
        return;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      for (int i = 0; i < count; ++i) {
        if (events[i].filter == EVFILT_READ) return;  // The stop.
        // An id whose watch was removed meanwhile finds nothing.
        auto it =
            watches_.find(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(events[i].udata)));
        if (it != watches_.end()) it->second.waker.Wake();
      }
    }
#endif
  }

  UniqueFd notify_;  // The inotify instance or the kqueue.
  WakeFd stop_;
  std::thread thread_;
  std::mutex mutex_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Watch> watches_;
#if defined(__linux__)
  // Watch descriptor to the ids of the watches on that file.
  std::multimap<int, uint64_t> by_key_;
#endif
};

std::unique_ptr<FileWatch> FileWatch::Start(int fd, Waker waker) {
  std::shared_ptr<FileWatcher> watcher = FileWatcher::Shared();
  if (watcher == nullptr) return nullptr;
  const uint64_t id = watcher->Add(fd, std::move(waker));
  if (id == 0) return nullptr;
  return std::unique_ptr<FileWatch>(new FileWatch(std::move(watcher), id));
}

FileWatch::~FileWatch() { watcher_->Remove(id_); }

#else  // No notification: every followed file polls.

class FileWatcher {};

std::unique_ptr<FileWatch> FileWatch::Start(int /*fd*/, Waker /*waker*/) { return nullptr; }

FileWatch::~FileWatch() = default;

#endif

FileWatch::FileWatch(std::shared_ptr<FileWatcher> watcher, uint64_t id)
    : watcher_(std::move(watcher)), id_(id) {}

}  // namespace inlet::internal
