// Cuts a byte stream, fed chunk by chunk, into lines. "\n" ends a line and is
// not part of it; so is a "\r" right before it ("\r\n" endings). A "\r"
// anywhere else stays in the line. A line may span any number of chunks.

#ifndef INLET_SRC_CONNECTORS_LINE_SPLITTER_H_
#define INLET_SRC_CONNECTORS_LINE_SPLITTER_H_

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

namespace inlet::internal {

class LineSplitter {
 public:
  // A line longer than `max_line_bytes` (without its ending) is dropped
  // whole, and the splitter holds at most about that many bytes plus a chunk.
  explicit LineSplitter(size_t max_line_bytes = std::numeric_limits<size_t>::max())
      : max_line_bytes_(max_line_bytes) {}

  // Calls `on_line(std::string)` for each line that `chunk` completes, in
  // order; returns how many over-long lines were dropped.
  template <class OnLine>
  size_t Feed(std::string_view chunk, OnLine&& on_line) {
    size_t dropped = 0;
    while (!chunk.empty()) {
      const size_t newline = chunk.find('\n');
      if (!dropping_) partial_.append(chunk.substr(0, newline));
      if (newline == std::string_view::npos) {
        // One byte more than the limit may be the "\r" of a "\r\n" ending.
        if (!dropping_ && partial_.size() > 1 && partial_.size() - 1 > max_line_bytes_) {
          StartDropping();
          ++dropped;
        }
        break;
      }
      chunk.remove_prefix(newline + 1);
      if (std::exchange(dropping_, false)) continue;
      if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
      if (partial_.size() > max_line_bytes_) {
        partial_.clear();
        ++dropped;
        continue;
      }
      on_line(std::exchange(partial_, std::string()));
    }
    return dropped;
  }

  // At the end of the stream: calls `on_line` with the unterminated last
  // line, if there is one (as it is: a final "\r" stays), and returns 1 when
  // that line was over-long and dropped instead. Leaves the splitter empty.
  template <class OnLine>
  size_t Finish(OnLine&& on_line) {
    if (std::exchange(dropping_, false) || partial_.empty()) return 0;
    if (partial_.size() > max_line_bytes_) {
      partial_.clear();
      return 1;
    }
    on_line(std::exchange(partial_, std::string()));
    return 0;
  }

 private:
  void StartDropping() {
    dropping_ = true;
    partial_.clear();
    partial_.shrink_to_fit();
  }

  const size_t max_line_bytes_;
  std::string partial_;
  bool dropping_ = false;  // Skipping the rest of an over-long line.
};

}  // namespace inlet::internal

#endif  // INLET_SRC_CONNECTORS_LINE_SPLITTER_H_
