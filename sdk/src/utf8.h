// UTF-8 validation for the raw message format.

#ifndef INLET_SRC_UTF8_H_
#define INLET_SRC_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace inlet::internal {

// `FindInvalidUtf8` from the first byte at or after `from` that is not ASCII.
std::optional<size_t> FindInvalidUtf8From(std::string_view text, size_t from);

// The offset of the first byte that does not start (or continue) a valid
// UTF-8 sequence, or `std::nullopt` when `text` is valid UTF-8. Overlong
// forms, surrogates and code points above U+10FFFF are invalid. Inline: most
// text is ASCII, checked here eight bytes at a time.
inline std::optional<size_t> FindInvalidUtf8(std::string_view text) {
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, text.data() + i, sizeof(chunk));
    if ((chunk & 0x8080808080808080ULL) != 0) return FindInvalidUtf8From(text, i);
  }
  for (; i < text.size(); ++i) {
    if (static_cast<uint8_t>(text[i]) >= 0x80) return FindInvalidUtf8From(text, i);
  }
  return std::nullopt;
}

}  // namespace inlet::internal

#endif  // INLET_SRC_UTF8_H_
