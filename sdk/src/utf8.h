// UTF-8 validation for the raw message format.

#ifndef INLET_SRC_UTF8_H_
#define INLET_SRC_UTF8_H_

#include <cstddef>
#include <optional>
#include <string_view>

namespace inlet::internal {

// The offset of the first byte that does not start (or continue) a valid
// UTF-8 sequence, or `std::nullopt` when `text` is valid UTF-8. Overlong
// forms, surrogates and code points above U+10FFFF are invalid.
std::optional<size_t> FindInvalidUtf8(std::string_view text);

}  // namespace inlet::internal

#endif  // INLET_SRC_UTF8_H_
