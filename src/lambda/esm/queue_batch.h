// What an SQS mapping sends and reads back, as pure functions (unit-tested in esm_test.cc): the
// event a batch of messages becomes, the document FilterCriteria match, and the function's
// ReportBatchItemFailures answer.
// https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lambda/esm/batch.h"
#include "ports/queue_source.h"

namespace runnel::lambda::esm {

// {"Records":[…]}: each message as an "aws:sqs" record (messageId, receiptHandle, body,
// attributes, messageAttributes, md5OfBody, md5OfMessageAttributes when it has attributes,
// eventSource, eventSourceARN, awsRegion).
std::string queue_event_for(const std::vector<ports::QueueMessage>& messages, std::string_view queue_arn,
                            std::string_view region);
// What a filter pattern is matched against: the message's record, with `body` as JSON when the
// body is a JSON object or array, else as the string it is.
// https://docs.aws.amazon.com/lambda/latest/dg/with-sqs-filtering.html
std::string queue_filter_document(const ports::QueueMessage& message, std::string_view queue_arn,
                                  std::string_view region);

// The function's answer under ReportBatchItemFailures, for a batch of messages: kSuccess (no
// batchItemFailures, or an empty, null or non-object response), kFailure (an item with an empty,
// null or missing itemIdentifier, one the batch does not hold, or an answer that is not JSON: the
// whole batch returns to the queue), or kPartial with `failed` the message ids reported.
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
Outcome queue_item_failures(std::string_view payload, const std::vector<ports::QueueMessage>& messages,
                            std::set<std::string>& failed);

}  // namespace runnel::lambda::esm
