// LineSplitter (sdk/src/connectors/line_splitter.h): fed in chunks of any
// sizes, it gives the same lines and drops the same over-long lines as a
// reference that splits the whole stream at once, as its header specifies:
// "\n" ends a line, a "\r" right before it is removed, any other "\r" stays,
// a line longer than the limit is dropped whole, and the unterminated last
// line comes from Finish as it is.
//
// Input: byte 0 is the line limit (255: none; else 0..31 bytes, small so
// that dropping is common), byte 1 seeds the chunk sizes (0..16 bytes, empty
// chunks included), the rest is the stream.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "connectors/line_splitter.h"
#include "fuzz_check.h"

namespace {

struct Split {
  std::vector<std::string> lines;
  size_t dropped = 0;
};

Split Reference(std::string_view stream, size_t max_line_bytes) {
  Split split;
  while (true) {
    const size_t newline = stream.find('\n');
    std::string_view line = stream.substr(0, newline);
    if (newline == std::string_view::npos) {
      // The unterminated last line, as it is.
      if (line.empty()) break;
    } else if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.size() > max_line_bytes) {
      ++split.dropped;
    } else {
      split.lines.emplace_back(line);
    }
    if (newline == std::string_view::npos) break;
    stream.remove_prefix(newline + 1);
  }
  return split;
}

Split Chunked(std::string_view stream, size_t max_line_bytes, uint32_t seed) {
  inlet::internal::LineSplitter splitter(max_line_bytes);
  Split split;
  auto on_line = [&](std::string line) { split.lines.push_back(std::move(line)); };
  uint32_t state = seed * 2654435761u + 1;
  while (!stream.empty()) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    const size_t length = std::min<size_t>(state % 17, stream.size());
    split.dropped += splitter.Feed(stream.substr(0, length), on_line);
    stream.remove_prefix(length);
  }
  split.dropped += splitter.Finish(on_line);
  // Finish leaves the splitter empty: a second one hands out nothing.
  const size_t before = split.lines.size();
  FUZZ_CHECK(splitter.Finish(on_line) == 0 && split.lines.size() == before,
             "a second Finish handed something out");
  return split;
}

std::string Describe(const Split& split) {
  std::string text = absl::StrCat(split.lines.size(), " lines, ", split.dropped, " dropped:");
  for (const std::string& line : split.lines) absl::StrAppend(&text, " [", line, "]");
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t max_line_bytes =
      data[0] == 0xFF ? std::numeric_limits<size_t>::max() : size_t{data[0]} % 32;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  const Split expected = Reference(stream, max_line_bytes);
  const Split whole = Chunked(stream, max_line_bytes, 0);  // Seed 0 still varies sizes.
  inlet::internal::LineSplitter one_chunk(max_line_bytes);
  Split at_once;  // Fed in one chunk.
  auto on_line = [&](std::string line) { at_once.lines.push_back(std::move(line)); };
  at_once.dropped = one_chunk.Feed(stream, on_line);
  at_once.dropped += one_chunk.Finish(on_line);
  const Split chunked = Chunked(stream, max_line_bytes, data[1]);
  const Split* const splits[] = {&at_once, &whole, &chunked};

  for (const Split* got : splits) {
    FUZZ_CHECK(got->lines == expected.lines && got->dropped == expected.dropped, "limit ",
               max_line_bytes, ", chunk seed ", int{data[1]}, "\nexpected ", Describe(expected),
               "\ngot      ", Describe(*got));
  }
  return 0;
}
