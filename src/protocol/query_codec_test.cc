// The Query codec on real botocore 1.29 request bodies and on the XML botocore's QueryParser reads.
// The bodies were captured with botocore.serialize.create_serializer('query') and urlencode, as
// botocore's AWSRequest encodes them; every expected XML below was parsed back with botocore's
// QueryParser to the dict the JSON output holds (query_botocore_check.py repeats that for every
// operation, automatically).
#include "protocol/query_codec.h"

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace runnel::protocol {
namespace {

constexpr std::string_view kSqsNs = "http://queue.amazonaws.com/doc/2012-11-05/";
constexpr std::string_view kSnsNs = "http://sns.amazonaws.com/doc/2010-03-31/";

// Decodes `body` for `model`'s `op` and compares with `expected_json` (member order ignored).
void expect_decoded(const QueryModel& model, std::string_view op_name, std::string_view body,
                    std::string_view expected_json) {
  const QueryOperation* op = model.operation(op_name);
  ASSERT_NE(op, nullptr) << op_name;
  rapidjson::Document got;
  decode_query_request(*op, parse_form(body), got);
  rapidjson::Document want;
  want.Parse(expected_json.data(), expected_json.size());
  ASSERT_FALSE(want.HasParseError()) << expected_json;
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  got.Accept(w);
  EXPECT_TRUE(got == want) << op_name << " decoded to " << sb.GetString();
}

std::string render(const QueryModel& model, std::string_view op_name, std::string_view json) {
  const QueryOperation* op = model.operation(op_name);
  EXPECT_NE(op, nullptr) << op_name;
  if (!op) return {};
  auto xml = render_query_response(*op, model.xml_namespace(), json, "req-1");
  EXPECT_TRUE(xml.ok()) << op_name;
  return xml.ok() ? *xml : std::string();
}

std::string wrap(std::string_view op, std::string_view ns, std::string_view result) {
  std::string out = "<?xml version=\"1.0\"?><" + std::string(op) + "Response xmlns=\"" + std::string(ns) + "\">";
  out += result;
  out += "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></" + std::string(op) + "Response>";
  return out;
}

TEST(QueryForm, ParsesPairsInOrder) {
  FormParams p = parse_form("a=1&b=x+y&c=%41%2b%2F&d&&e=&=v&a=2");
  FormParams want = {{"a", "1"}, {"b", "x y"}, {"c", "A+/"}, {"d", ""}, {"e", ""}, {"", "v"}, {"a", "2"}};
  EXPECT_EQ(p, want);
  ASSERT_NE(find_param(p, "a"), nullptr);
  EXPECT_EQ(*find_param(p, "a"), "2");  // the last value wins
  EXPECT_EQ(find_param(p, "z"), nullptr);
}

TEST(QueryForm, KeepsMalformedEscapesAndAnyBytes) {
  EXPECT_EQ(parse_form("k=%zz%4"), (FormParams{{"k", "%zz%4"}}));
  EXPECT_EQ(parse_form("k=%"), (FormParams{{"k", "%"}}));
  EXPECT_EQ(parse_form("k=%00%FF%e2%82%ac"), (FormParams{{"k", std::string("\0\xFF\xE2\x82\xAC", 5)}}));
  EXPECT_EQ(parse_form("k%3D=v%3D%26"), (FormParams{{"k=", "v=&"}}));
  EXPECT_TRUE(parse_form("").empty());
  EXPECT_TRUE(parse_form("&&").empty());
}

TEST(QueryDecode, SqsSendMessageWithStringAndBinaryAttributes) {
  expect_decoded(QueryModel::sqs(), "SendMessage",
                 "Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F000000000000%2Fq&"
                 "MessageBody=hello+world+%26+more%0D%0A&DelaySeconds=5&MessageAttribute.1.Name=color&"
                 "MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=red&"
                 "MessageAttribute.2.Name=bin&MessageAttribute.2.Value.DataType=Binary&"
                 "MessageAttribute.2.Value.BinaryValue=AAH%2F",
                 R"({"QueueUrl":"http://localhost:4566/000000000000/q","MessageBody":"hello world & more\r\n",
                     "DelaySeconds":5,"MessageAttributes":{"color":{"DataType":"String","StringValue":"red"},
                     "bin":{"DataType":"Binary","BinaryValue":"AAH/"}}})");
}

TEST(QueryDecode, SqsSendMessageBatchEntriesWithAttributes) {
  expect_decoded(QueryModel::sqs(), "SendMessageBatch",
                 "Action=SendMessageBatch&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F000000000000%2Fq&"
                 "SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one&"
                 "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k&"
                 "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=Number&"
                 "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=1&"
                 "SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two&"
                 "SendMessageBatchRequestEntry.2.DelaySeconds=2",
                 R"({"QueueUrl":"http://localhost:4566/000000000000/q","Entries":[
                     {"Id":"a","MessageBody":"one","MessageAttributes":{"k":{"DataType":"Number","StringValue":"1"}}},
                     {"Id":"b","MessageBody":"two","DelaySeconds":2}]})");
}

TEST(QueryDecode, SqsReceiveMessageNameLists) {
  expect_decoded(QueryModel::sqs(), "ReceiveMessage",
                 "Action=ReceiveMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F000000000000%2Fq&"
                 "AttributeName.1=All&AttributeName.2=SentTimestamp&MessageAttributeName.1=color&"
                 "MessageAttributeName.2=bin&MaxNumberOfMessages=10&WaitTimeSeconds=20",
                 R"({"QueueUrl":"http://localhost:4566/000000000000/q","AttributeNames":["All","SentTimestamp"],
                     "MessageAttributeNames":["color","bin"],"MaxNumberOfMessages":10,"WaitTimeSeconds":20})");
}

TEST(QueryDecode, SqsCreateQueueAttributesAndTags) {
  expect_decoded(QueryModel::sqs(), "CreateQueue",
                 "Action=CreateQueue&Version=2012-11-05&QueueName=q.fifo&Attribute.1.Name=FifoQueue&"
                 "Attribute.1.Value=true&Attribute.2.Name=VisibilityTimeout&Attribute.2.Value=30&"
                 "Tag.1.Key=env&Tag.1.Value=dev&Tag.2.Key=team&Tag.2.Value=x+y",
                 R"({"QueueName":"q.fifo","Attributes":{"FifoQueue":"true","VisibilityTimeout":"30"},
                     "tags":{"env":"dev","team":"x y"}})");
}

TEST(QueryDecode, SnsPublishMessageAttributes) {
  expect_decoded(QueryModel::sns(), "Publish",
                 "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&"
                 "Message=hi&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String&"
                 "MessageAttributes.entry.1.Value.StringValue=v&MessageAttributes.entry.2.Name=b&"
                 "MessageAttributes.entry.2.Value.DataType=Binary&MessageAttributes.entry.2.Value.BinaryValue=eHl6",
                 R"({"TopicArn":"arn:aws:sns:us-east-1:000000000000:t","Message":"hi","MessageAttributes":{
                     "a":{"DataType":"String","StringValue":"v"},"b":{"DataType":"Binary","BinaryValue":"eHl6"}}})");
}

TEST(QueryDecode, SnsSubscribeAttributesAndBoolean) {
  expect_decoded(QueryModel::sns(), "Subscribe",
                 "Action=Subscribe&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&"
                 "Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Aq&"
                 "Attributes.entry.1.key=RawMessageDelivery&Attributes.entry.1.value=true&"
                 "Attributes.entry.2.key=FilterPolicy&Attributes.entry.2.value=%7B%22a%22%3A%5B%22b%22%5D%7D&"
                 "ReturnSubscriptionArn=true",
                 R"({"TopicArn":"arn:aws:sns:us-east-1:000000000000:t","Protocol":"sqs",
                     "Endpoint":"arn:aws:sqs:us-east-1:000000000000:q",
                     "Attributes":{"RawMessageDelivery":"true","FilterPolicy":"{\"a\":[\"b\"]}"},
                     "ReturnSubscriptionArn":true})");
}

TEST(QueryDecode, SnsCreateTopicTagsMemberList) {
  expect_decoded(QueryModel::sns(), "CreateTopic",
                 "Action=CreateTopic&Version=2010-03-31&Name=t&Tags.member.1.Key=k1&Tags.member.1.Value=v1&"
                 "Tags.member.2.Key=k2&Tags.member.2.Value=v2&Attributes.entry.1.key=DisplayName&"
                 "Attributes.entry.1.value=T",
                 R"({"Name":"t","Tags":[{"Key":"k1","Value":"v1"},{"Key":"k2","Value":"v2"}],
                     "Attributes":{"DisplayName":"T"}})");
}

// What botocore never sends but hand-written clients may: the decoder stays lenient and leaves
// type errors to the handler.
TEST(QueryDecode, LenientForms) {
  const auto& sqs = QueryModel::sqs();
  // Indices in any order, with gaps; bad indices and unknown parameters ignored.
  expect_decoded(sqs, "ReceiveMessage",
                 "AttributeName.3=b&AttributeName.1=a&AttributeName.0=x&AttributeName.y=z&AttributeName.10=c&"
                 "Bogus=1&QueueUrl=u",
                 R"({"QueueUrl":"u","AttributeNames":["a","b","c"]})");
  // Numbers and booleans that do not parse stay strings; an empty "<prefix>=" is an empty list.
  expect_decoded(sqs, "ReceiveMessage", "MaxNumberOfMessages=ten&WaitTimeSeconds=&AttributeNames=",
                 R"({"MaxNumberOfMessages":"ten","WaitTimeSeconds":"","AttributeNames":[]})");
  expect_decoded(sqs, "ReceiveMessage", "MaxNumberOfMessages=99999999999999999999&VisibilityTimeout=-3",
                 R"({"MaxNumberOfMessages":"99999999999999999999","VisibilityTimeout":-3})");
  expect_decoded(QueryModel::sns(), "Subscribe", "ReturnSubscriptionArn=True",
                 R"({"ReturnSubscriptionArn":"True"})");
  // A map entry without its key is dropped; a structured value without members is {} (the
  // handler reports the missing DataType); a repeated key keeps the later entry.
  expect_decoded(sqs, "SendMessage",
                 "MessageAttribute.1.Value.DataType=String&MessageAttribute.2.Name=a&"
                 "MessageAttribute.3.Name=b&MessageAttribute.3.Value.StringValue=1&"
                 "MessageAttribute.4.Name=b&MessageAttribute.4.Value.StringValue=2",
                 R"({"MessageAttributes":{"a":{},"b":{"StringValue":"2"}}})");
  // The last of repeated parameters wins.
  expect_decoded(sqs, "GetQueueUrl", "QueueName=a&QueueName=b", R"({"QueueName":"b"})");
  // Operations without input decode to {}.
  expect_decoded(QueryModel::sns(), "ListTopics", "Action=ListTopics&NextToken=t", R"({"NextToken":"t"})");
}

TEST(QueryRender, SqsReceiveMessageFlattenedListAndMaps) {
  std::string xml = render(QueryModel::sqs(), "ReceiveMessage",
                           R"({"Messages":[{"MessageId":"m1","ReceiptHandle":"rh","MD5OfBody":"md5",
                               "Body":"a<b>&c\r\n\"q\" \u00e9","Attributes":{"SenderId":"AID","SentTimestamp":"1700000000000"},
                               "MD5OfMessageAttributes":"md5a","MessageAttributes":{
                               "color":{"StringValue":"red","DataType":"String"},
                               "bin":{"BinaryValue":"AAH/","DataType":"Binary"}}},
                               {"MessageId":"m2","Body":"x"}]})");
  EXPECT_EQ(xml, wrap("ReceiveMessage", kSqsNs,
                      "<ReceiveMessageResult><Message><MessageId>m1</MessageId><ReceiptHandle>rh</ReceiptHandle>"
                      "<MD5OfBody>md5</MD5OfBody><Body>a&lt;b&gt;&amp;c&#xD;\n\"q\" \xC3\xA9</Body>"
                      "<Attribute><Name>SenderId</Name><Value>AID</Value></Attribute>"
                      "<Attribute><Name>SentTimestamp</Name><Value>1700000000000</Value></Attribute>"
                      "<MD5OfMessageAttributes>md5a</MD5OfMessageAttributes>"
                      "<MessageAttribute><Name>color</Name><Value><StringValue>red</StringValue>"
                      "<DataType>String</DataType></Value></MessageAttribute>"
                      "<MessageAttribute><Name>bin</Name><Value><BinaryValue>AAH/</BinaryValue>"
                      "<DataType>Binary</DataType></Value></MessageAttribute></Message>"
                      "<Message><MessageId>m2</MessageId><Body>x</Body></Message></ReceiveMessageResult>"));
  // An empty receive is an empty result element: botocore then has no "Messages", as from AWS.
  EXPECT_EQ(render(QueryModel::sqs(), "ReceiveMessage", "{}"),
            wrap("ReceiveMessage", kSqsNs, "<ReceiveMessageResult></ReceiveMessageResult>"));
}

TEST(QueryRender, SqsGetQueueAttributesAndListQueues) {
  EXPECT_EQ(render(QueryModel::sqs(), "GetQueueAttributes",
                   R"({"Attributes":{"VisibilityTimeout":"30","QueueArn":"arn:aws:sqs:us-east-1:000000000000:q"}})"),
            wrap("GetQueueAttributes", kSqsNs,
                 "<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>"
                 "<Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:us-east-1:000000000000:q</Value></Attribute>"
                 "</GetQueueAttributesResult>"));
  EXPECT_EQ(render(QueryModel::sqs(), "ListQueues", R"({"QueueUrls":["http://h/0/a","http://h/0/b"],"NextToken":"n"})"),
            wrap("ListQueues", kSqsNs,
                 "<ListQueuesResult><QueueUrl>http://h/0/a</QueueUrl><QueueUrl>http://h/0/b</QueueUrl>"
                 "<NextToken>n</NextToken></ListQueuesResult>"));
}

TEST(QueryRender, SqsBatchResultsAndOperationsWithoutOutput) {
  EXPECT_EQ(render(QueryModel::sqs(), "DeleteMessageBatch",
                   R"({"Successful":[{"Id":"a"}],"Failed":[{"Id":"b","SenderFault":true,"Code":"ReceiptHandleIsInvalid","Message":"m"}]})"),
            wrap("DeleteMessageBatch", kSqsNs,
                 "<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>"
                 "<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>ReceiptHandleIsInvalid</Code>"
                 "<Message>m</Message></BatchResultErrorEntry></DeleteMessageBatchResult>"));
  // No output shape: no Result element, and the handler's body is not looked at.
  EXPECT_EQ(render(QueryModel::sqs(), "DeleteQueue", "{}"), wrap("DeleteQueue", kSqsNs, ""));
  EXPECT_EQ(render(QueryModel::sqs(), "DeleteQueue", ""), wrap("DeleteQueue", kSqsNs, ""));
}

TEST(QueryRender, SnsListTopicsAndGetTopicAttributes) {
  EXPECT_EQ(render(QueryModel::sns(), "ListTopics", R"({"Topics":[{"TopicArn":"arn:1"},{"TopicArn":"arn:2"}],"NextToken":"t"})"),
            wrap("ListTopics", kSnsNs,
                 "<ListTopicsResult><Topics><member><TopicArn>arn:1</TopicArn></member><member><TopicArn>arn:2"
                 "</TopicArn></member></Topics><NextToken>t</NextToken></ListTopicsResult>"));
  EXPECT_EQ(render(QueryModel::sns(), "GetTopicAttributes", R"({"Attributes":{"DisplayName":"d","Policy":"{\"a\":1}"}})"),
            wrap("GetTopicAttributes", kSnsNs,
                 "<GetTopicAttributesResult><Attributes><entry><key>DisplayName</key><value>d</value></entry>"
                 "<entry><key>Policy</key><value>{\"a\":1}</value></entry></Attributes></GetTopicAttributesResult>"));
  EXPECT_EQ(render(QueryModel::sns(), "Publish", R"({"MessageId":"id-1","SequenceNumber":"10"})"),
            wrap("Publish", kSnsNs,
                 "<PublishResult><MessageId>id-1</MessageId><SequenceNumber>10</SequenceNumber></PublishResult>"));
  EXPECT_EQ(render(QueryModel::sns(), "ListTopics", R"({"Topics":[]})"),
            wrap("ListTopics", kSnsNs, "<ListTopicsResult><Topics></Topics></ListTopicsResult>"));
}

TEST(QueryRender, ScalarsNumbersTimestampsAndUnknownMembers) {
  // Numbers keep their JSON text; unknown members and nulls are dropped; timestamps (epoch
  // seconds in the JSON protocols) become ISO 8601.
  EXPECT_EQ(render(QueryModel::sqs(), "CancelMessageMoveTask", R"({"ApproximateNumberOfMessagesMoved":12345678901,"X":1})"),
            wrap("CancelMessageMoveTask", kSqsNs,
                 "<CancelMessageMoveTaskResult><ApproximateNumberOfMessagesMoved>12345678901"
                 "</ApproximateNumberOfMessagesMoved></CancelMessageMoveTaskResult>"));
  EXPECT_EQ(render(QueryModel::sns(), "ListOriginationNumbers",
                   R"({"PhoneNumbers":[{"CreatedAt":1700000000.5,"PhoneNumber":null},{"CreatedAt":1700000000}]})"),
            wrap("ListOriginationNumbers", kSnsNs,
                 "<ListOriginationNumbersResult><PhoneNumbers><member><CreatedAt>2023-11-14T22:13:20.500Z</CreatedAt>"
                 "</member><member><CreatedAt>2023-11-14T22:13:20Z</CreatedAt></member></PhoneNumbers>"
                 "</ListOriginationNumbersResult>"));
  // A member of the wrong JSON type is left out rather than misrendered.
  EXPECT_EQ(render(QueryModel::sqs(), "ListQueues", R"({"QueueUrls":"not a list","NextToken":{}})"),
            wrap("ListQueues", kSqsNs, "<ListQueuesResult></ListQueuesResult>"));
}

TEST(QueryRender, OutputThatIsNotAnObjectIsAnInternalError) {
  const auto* op = QueryModel::sqs().operation("SendMessage");
  ASSERT_NE(op, nullptr);
  auto r = render_query_response(*op, kSqsNs, "[1]", "id");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 500);
  EXPECT_EQ(r.error().query_code, "InternalFailure");
  EXPECT_FALSE(render_query_response(*op, kSqsNs, "{bad", "id").ok());
}

TEST(QueryXml, EscapesWhatXmlCannotCarry) {
  auto esc = [](std::string_view s) {
    std::string out;
    append_xml_text(out, s);
    return out;
  };
  EXPECT_EQ(esc("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d\"e'f");
  EXPECT_EQ(esc("x\r\ny\tz"), "x&#xD;\ny\tz");
  EXPECT_EQ(esc(std::string("\x01\x00\x1f", 3)), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(esc("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");  // é € 😀 kept
  EXPECT_EQ(esc("\xFF"), "\xEF\xBF\xBD");                  // not UTF-8
  EXPECT_EQ(esc("\xC3"), "\xEF\xBF\xBD");                  // truncated
  EXPECT_EQ(esc("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(esc("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a UTF-16 surrogate
  EXPECT_EQ(esc("\xEF\xBF\xBE"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // U+FFFE
  EXPECT_EQ(esc("\x7F\xC2\x85"), "\x7F\xC2\x85");  // DEL and C1 controls are XML 1.0 characters
}

TEST(QueryXml, ErrorResponses) {
  ApiError e{"QueueDoesNotExist", "The specified queue does not exist.", 400, true, "com.amazonaws.sqs", {},
             "AWS.SimpleQueueService.NonExistentQueue"};
  EXPECT_EQ(render_query_error(e, kSqsNs, "rid", true),
            "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><Error>"
            "<Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>"
            "<Message>The specified queue does not exist.</Message><Detail/></Error><RequestId>rid</RequestId>"
            "</ErrorResponse>");
  ApiError internal{"InternalError", "a < b", 500, false, "", {}};
  EXPECT_EQ(render_query_error(internal, kSnsNs, "rid", false),
            "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error>"
            "<Type>Receiver</Type><Code>InternalError</Code><Message>a &lt; b</Message></Error>"
            "<RequestId>rid</RequestId></ErrorResponse>");
}

}  // namespace
}  // namespace runnel::protocol
