#include "inlet/message.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "inlet/internal/guarded_call.h"

namespace inlet {

void to_json(nlohmann::json& json, const Message& message) {
  if (message.key.empty()) {
    json = message.value;
  } else {
    json = nlohmann::json::array({message.key, message.value});
  }
}

std::string MessageError::ToString() const {
  std::string text = absl::StrCat("message ", message_number, ": ");
  if (!field.empty()) absl::StrAppend(&text, "field \"", field, "\": ");
  absl::StrAppend(&text, "expected ", expected, ", got ", got);
  return internal::Place::Subject(subject).Prefix("", text);
}

}  // namespace inlet
