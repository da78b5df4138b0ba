// FindInvalidUtf8 (sdk/src/utf8.h) against a reference decoder written from
// RFC 3629 byte by byte, at every alignment of the text, and
// FindInvalidUtf8From from every character boundary before the first error.
//
// Input: the text itself; its first byte (when there is one) also picks the
// alignment, so the eight-bytes-at-a-time paths meet unaligned data.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzz_check.h"
#include "utf8.h"

namespace {

struct Decoded {
  std::optional<size_t> invalid;  // Offset of the first invalid sequence.
  std::vector<size_t> starts;     // Offsets of the characters before it.
};

// Decodes a code point at a time and checks its value, not the byte ranges
// the implementation checks: overlong forms, surrogates and values above
// U+10FFFF are rejected because of what they decode to.
Decoded Reference(std::string_view text) {
  Decoded decoded;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t lead = bytes[i];
    size_t length;
    uint32_t code_point;
    if (lead < 0x80) {
      length = 1;
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      decoded.invalid = i;
      return decoded;
    }
    bool complete = i + length <= text.size();
    for (size_t k = 1; complete && k < length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) {
        complete = false;
      } else {
        code_point = (code_point << 6) | (bytes[i + k] & 0x3F);
      }
    }
    static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (!complete || code_point < kSmallest[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      decoded.invalid = i;
      return decoded;
    }
    decoded.starts.push_back(i);
    i += length;
  }
  return decoded;
}

std::string Show(std::optional<size_t> offset) {
  return offset.has_value() ? absl::StrCat(*offset) : "none";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Decoded expected = Reference(input);

  const size_t shift = size == 0 ? 0 : data[0] % 8;
  std::string buffer(shift, 'x');
  buffer.append(input);
  const std::string_view text = std::string_view(buffer).substr(shift);

  const std::optional<size_t> found = inlet::internal::FindInvalidUtf8(text);
  FUZZ_CHECK(found == expected.invalid, "FindInvalidUtf8 says ", Show(found),
             ", the reference decoder ", Show(expected.invalid), " (alignment ", shift, ")");

  // From every character boundary: the same answer (the contract's `from` is
  // a position the caller knows to start a character).
  for (size_t i = 0; i < expected.starts.size(); i += 1 + expected.starts.size() / 64) {
    const size_t from = expected.starts[i];
    const std::optional<size_t> from_here = inlet::internal::FindInvalidUtf8From(text, from);
    FUZZ_CHECK(from_here == expected.invalid, "FindInvalidUtf8From(", from, ") says ",
               Show(from_here), ", the reference decoder ", Show(expected.invalid));
  }
  if (expected.invalid.has_value()) {
    const std::optional<size_t> at_error =
        inlet::internal::FindInvalidUtf8From(text, *expected.invalid);
    FUZZ_CHECK(at_error == expected.invalid, "FindInvalidUtf8From at the error says ",
               Show(at_error));
  }
  return 0;
}
