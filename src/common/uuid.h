// Random (version 4) UUIDs, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx": the ids AWS gives messages
// (SQS, SNS), Lambda invocations and Lambda's request ids.
#pragma once

#include <string>

namespace runnel {

std::string new_uuid();

}  // namespace runnel
