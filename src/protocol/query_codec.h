// AWS Query protocol codec: form parameters in, XML out, driven by a QueryModel.
//
// Requests are decoded into the JSON document the JSON protocol would carry for the same input,
// so one set of handlers (registered on a JsonService) serves both protocols. The naming rules are
// botocore's QuerySerializer's, and responses are written the way botocore's QueryParser reads
// them (query_codec_test.cc on captured bodies; query_botocore_check.py against botocore itself
// for every operation).
// https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "common/result.h"
#include "protocol/query_model.h"

namespace runnel::protocol {

// Decoded key/value pairs in arrival order; a key may repeat.
using FormParams = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded (a POST body or a URL's query string, without the '?'):
// pairs split on '&', key and value on the first '='; '+' is a space and %XX a byte (a malformed
// escape is kept literally). Empty pieces ("a=1&&b=2") are skipped; a key without '=' has an
// empty value. Bytes are not checked for UTF-8: the handler validates text as it would from JSON.
FormParams parse_form(std::string_view text);
// Appends the pairs of `text` to `params`.
void parse_form_into(std::string_view text, FormParams& params);
// The last value of `key`, or nullptr.
const std::string* find_param(const FormParams& params, std::string_view key);

// Decodes the parameters of one operation into `out` (made an object): structure members by
// locationName or name joined with '.', lists as "<prefix>.member.N" (or flattened "<name>.N"),
// maps as "<prefix>.entry.N.key/value" (or flattened "<prefix>.N.<key>/<value>"), N from 1, in
// index order (gaps allowed). Integers and longs that parse become JSON numbers, "true"/"false"
// booleans (anything else stays a string, so the handler's own type check reports it); blobs stay
// base64 text as in the JSON protocol. Unknown parameters (Action, Version, X-Amz-*) are ignored,
// as AWS ignores them; an empty "<prefix>=" is an empty list. Never fails.
void decode_query_request(const QueryOperation& op, const FormParams& params, rapidjson::Document& out);

// The XML success response for `op` from the handler's JSON output:
//   <?xml version="1.0"?><OpResponse xmlns="ns"><OpResult>...</OpResult>
//   <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></OpResponse>
// The Result element only when the operation has an output shape. Members in shape order; JSON
// members the shape does not know are dropped. An output that is not a JSON object is a bug
// (InternalFailure).
Result<std::string> render_query_response(const QueryOperation& op, std::string_view xml_namespace,
                                          std::string_view json_output, std::string_view request_id);

// <ErrorResponse xmlns="ns"><Error><Type>Sender|Receiver</Type><Code>query_code or code</Code>
// <Message>..</Message>[<Detail/>]</Error><RequestId>id</RequestId></ErrorResponse>
std::string render_query_error(const ApiError& error, std::string_view xml_namespace, std::string_view request_id,
                               bool detail_element);

// Appends `text` as XML character data: &, <, > escaped, '\r' as "&#xD;" (an XML parser turns a
// literal CR into LF), and what XML 1.0 cannot carry at all (C0 controls other than tab, LF and CR,
// U+FFFE/U+FFFF, invalid UTF-8) replaced by U+FFFD so the document always parses.
void append_xml_text(std::string& out, std::string_view text);

}  // namespace runnel::protocol
