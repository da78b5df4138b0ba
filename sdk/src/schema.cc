#include "inlet/schema.h"

namespace inlet {

const char* FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kBool:
      return "bool";
    case FieldType::kInt:
      return "int";
    case FieldType::kFloat:
      return "float";
    case FieldType::kString:
      return "string";
    case FieldType::kBytes:
      return "bytes";
    case FieldType::kJson:
      return "json";
  }
  return "json";
}

}  // namespace inlet
