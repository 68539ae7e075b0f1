// The REST route table: templates match segment by segment, labels come back percent-decoded, one
// trailing slash is ignored, and the method must be the route's.
#include "protocol/rest_routes.h"

#include <gtest/gtest.h>

namespace runnel::protocol {
namespace {

RestRoutes<int> routes() {
  RestRoutes<int> r;
  r.add("GET", "/2015-03-31/functions", "ListFunctions", kReads, 1)
      .add("POST", "/2015-03-31/functions/{FunctionName}/invocations", "Invoke", {.mutating = true, .body_limit = 7}, 2)
      .add("DELETE", "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", "RemovePermission", kWrites, 3)
      .add("GET", "/2015-03-31/functions/{FunctionName}", "GetFunction", kReads, 4);
  return r;
}

TEST(RestRoutes, MatchesTemplatesAndDecodesLabels) {
  auto r = routes();
  auto invoke = r.match("POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations");
  ASSERT_TRUE(invoke);
  EXPECT_EQ(invoke->route->operation.name, "Invoke");
  EXPECT_TRUE(invoke->route->operation.traits.mutating);
  EXPECT_EQ(invoke->route->operation.traits.body_limit, 7u);
  EXPECT_EQ(invoke->label("FunctionName"), "arn:aws:lambda:us-east-1:000000000000:function:f");
  auto remove = r.match("DELETE", "/2015-03-31/functions/f/policy/s1");
  ASSERT_TRUE(remove);
  EXPECT_EQ(remove->route->handler, 3);
  EXPECT_EQ(remove->label("StatementId"), "s1");
  EXPECT_EQ(remove->label("Missing"), "");
}

TEST(RestRoutes, OneTrailingSlashIsIgnored) {
  auto r = routes();
  ASSERT_TRUE(r.match("GET", "/2015-03-31/functions/"));
  EXPECT_EQ(r.match("GET", "/2015-03-31/functions/")->route->operation.name, "ListFunctions");
  EXPECT_EQ(r.match("GET", "/2015-03-31/functions/f/")->route->operation.name, "GetFunction");
}

TEST(RestRoutes, NoOperationForAnotherMethodAnEmptyLabelOrMoreSegments) {
  auto r = routes();
  EXPECT_FALSE(r.match("PUT", "/2015-03-31/functions"));
  EXPECT_FALSE(r.match("POST", "/2015-03-31/functions//invocations"));
  EXPECT_FALSE(r.match("GET", "/2015-03-31/functions/f/extra/more"));
  EXPECT_FALSE(r.match("GET", "/2015-03-31/functionsX"));
  EXPECT_FALSE(r.match("GET", "/"));
}

TEST(RestRoutes, OwnsWhatLiesUnderARoutesLiteralPrefix) {
  auto r = routes();
  EXPECT_TRUE(r.owns("/2015-03-31/functions"));
  EXPECT_TRUE(r.owns("/2015-03-31/functions/f/no-such-sub"));  // the service's own 404
  EXPECT_FALSE(r.owns("/2016-01-01/functions"));
  EXPECT_FALSE(r.owns("/"));
}

}  // namespace
}  // namespace runnel::protocol
