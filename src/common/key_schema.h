// A DynamoDB table's (or index's) key: the data model's vocabulary, like AttributeValue, shared by
// DynamoDB, its Streams and the change port between them.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_KeySchemaElement.html
#pragma once

#include <optional>
#include <string>

#include "common/attribute_value.h"

namespace runnel {

struct KeyAttribute {
  std::string name;
  AttrType type = AttrType::S;  // S, N or B
};

struct KeySchema {
  KeyAttribute hash;
  std::optional<KeyAttribute> range;
};

}  // namespace runnel
