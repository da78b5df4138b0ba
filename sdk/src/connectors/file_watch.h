// Wakes a followed file's partition when the file changes, where the OS
// reports changes: inotify on Linux, kqueue (EVFILT_VNODE) on macOS and the
// BSDs. Elsewhere nothing is watched and the follow mode polls.
//
// One watcher thread per process blocks on one inotify (or kqueue)
// descriptor for every watched file and wakes the partitions whose files
// changed; it starts with the first watch and ends after the last, so an idle
// followed file costs no CPU at all.

#ifndef INLET_SRC_CONNECTORS_FILE_WATCH_H_
#define INLET_SRC_CONNECTORS_FILE_WATCH_H_

#include <cstdint>
#include <memory>

#include "inlet/waker.h"

namespace inlet::internal {

class FileWatcher;

class FileWatch {
 public:
  // Starts watching the file open as `fd` (the file itself, whatever its
  // name is now) and calls `waker.Wake()` on the watcher thread after each
  // change to it: data written, a truncation, its attributes or link count, a
  // rename, its removal. Events the OS dropped (a full inotify queue) wake
  // every watched partition. Returns nullptr when the OS offers no
  // notification or it cannot be had now (a limit on watches or descriptors
  // reached, /proc not mounted): the caller polls instead. `fd` must stay open
  // until the watch is destroyed. Any thread.
  static std::unique_ptr<FileWatch> Start(int fd, Waker waker);

  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;
  // Stops watching: once it returns, the waker is never called again.
  ~FileWatch();

 private:
  FileWatch(std::shared_ptr<FileWatcher> watcher, uint64_t id);

  std::shared_ptr<FileWatcher> watcher_;
  uint64_t id_;
};

}  // namespace inlet::internal

#endif  // INLET_SRC_CONNECTORS_FILE_WATCH_H_
