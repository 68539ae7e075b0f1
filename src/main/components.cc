#include "main/components.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/log.h"

#include "common/clock.h"

namespace runnel::app {

namespace {

constexpr std::chrono::milliseconds kSweepEvery{1000};

}  // namespace

// --- DynamoDB ---------------------------------------------------------------------------------

DynamoDb::DynamoDb(Base base)
    : service_(base.engine, base.writer),
      json_({"DynamoDB_20120810", "application/x-amz-json-1.0", true}),
      ttl_sweep_("dynamodb.ttl", kSweepEvery, [this] {
        double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        service_.sweep_expired(now, 20000);
      }) {}

Status DynamoDb::start() {
  if (auto s = service_.start(); !s.ok()) return s;
  service_.register_operations(json_);
  return ok_status();
}

// --- DynamoDB Streams -------------------------------------------------------------------------

Streams::Streams(Base base, DynamoDb& tables, streams::Options options)
    : tables_(tables),
      service_(base.engine, base.writer, tables.service().env().catalog, options),
      json_({"DynamoDBStreams_20120810", "application/x-amz-json-1.0", false}),
      sweep_("streams.sweep", kSweepEvery, [this] { service_.sweep(wall_ms()); }) {}

Status Streams::start() {
  if (auto s = service_.start(); !s.ok()) return s;
  tables_.service().set_change_sink(&service_);  // every item change reaches its stream in the item's batch
  service_.register_operations(json_);
  return ok_status();
}

// --- SQS --------------------------------------------------------------------------------------

namespace {

protocol::JsonServiceOptions sqs_json_options() {
  protocol::JsonServiceOptions o{"AmazonSQS", "application/x-amz-json-1.0", false};
  o.query_compatible = true;
  return o;
}

}  // namespace

Sqs::Sqs(Base base)
    : deliverer_(base.deliverer),
      service_(base.engine, base.writer, base.scheduler),
      json_(sqs_json_options()),
      // The Query protocol (boto3 <= 1.30, the AWS CLI v2.9) reaches the same handlers.
      query_({"", "sqs", true}, json_, protocol::QueryModel::sqs()),
      retention_("sqs.retention", kSweepEvery, [this] { service_.sweep_expired(); }) {}

Status Sqs::start() {
  if (auto s = service_.start(); !s.ok()) return s;
  service_.register_operations(json_);
  deliverer_.add("sqs", &service_);
  return ok_status();
}

void Sqs::add_routes(http::Router& router) {
  router.add_json_service(&json_, "sqs");
  router.add_query_service(&query_, "sqs");
}

void Sqs::stop() {
  retention_.stop();
  service_.stop();  // waiting long polls answer (empty) while the writer still runs
}

// --- Lambda -----------------------------------------------------------------------------------

// --- CloudWatch Logs ----------------------------------------------------------------------------

Logs::Logs(Base base)
    : service_(base.engine, base.writer),
      json_({"Logs_20140328", "application/x-amz-json-1.1", false}),
      // Retention is in days: a sweep a minute keeps what is stored within a minute of it.
      retention_("logs.retention", std::chrono::milliseconds(60'000), [this] { service_.sweep_retention(wall_ms()); }) {}

Status Logs::start() {
  service_.register_operations(json_);
  service_.start();
  return ok_status();
}

void Logs::add_health(admin::Health& health) {
  health.add_section("logs", [this](admin::JsonWriter& w) {
    w.StartObject();
    w.Key("lines_shipped");
    w.Uint64(service_.lines_shipped());
    w.Key("lines_dropped");
    w.Uint64(service_.lines_dropped());
    w.EndObject();
  });
}

void Logs::add_metrics(admin::Metrics& metrics) {
  metrics.add_counter("runnel_logs_lines_shipped_total", "Function output lines written as log events.",
                      [this] { return static_cast<double>(service_.lines_shipped()); });
  metrics.add_counter("runnel_logs_lines_dropped_total", "Function output lines dropped: the log buffer was full.",
                      [this] { return static_cast<double>(service_.lines_dropped()); });
}

void Logs::stop() {
  retention_.stop();
  service_.stop();
}

// --- Lambda -------------------------------------------------------------------------------------

Lambda::Lambda(Base base, Streams& streams, Sqs& sqs, ports::LogSink& logs, LambdaOptions options)
    : base_(base), streams_(streams), sqs_(sqs), options_(std::move(options)), logs_(logs) {}

Status Lambda::start() {
  // Function code is unpacked beside the store (in a temporary directory with --in-memory).
  code_root_ = options_.data_dir + "/lambda-code";
  if (options_.in_memory) {
    std::string pattern = (std::filesystem::temp_directory_path() / "runnel-lambda-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) return ApiError::internal("cannot create a temporary directory");
    code_root_ = pattern;
  }
  std::error_code ignored;
  std::filesystem::create_directories(code_root_, ignored);
  // Traversable but not listable: a function's uid reaches its own code (lambda-code/<sha256>).
  ::chmod(code_root_.c_str(), 0711);
  service_ = std::make_unique<lambda::Service>(base_.engine, base_.writer, base_.scheduler, base_.deliverer,
                                               lambda::ServiceOptions{code_root_, options_.async_retry_delay_ms});
  base_.deliverer.add("lambda", service_.get());
  // Event source mappings read streams and queues through the ports.
  service_->set_stream_source(&streams_.service());
  service_->set_queue_source(&sqs_.service());
  return service_->start();
}

void Lambda::add_routes(http::Router& router) {
  router.add_rest_service(service_.get());
  // GetFunction's Code.Location: a presigned URL (its token expires after 10 minutes).
  router.add_get("/_runnel/lambda/code", [this](std::string_view query) { return service_->code_download(query); });
}

void Lambda::add_metrics(admin::Metrics& metrics) {
  metrics.add_gauge("runnel_lambda_async_pending", "Asynchronous invocations stored and not yet done.",
                    [this] { return static_cast<double>(service_->async_pending()); });
}

void Lambda::add_health(admin::Health& health) {
  health.add_section("lambda", [this](admin::JsonWriter& w) {
    w.StartObject();
    w.Key("async_pending");
    w.Uint64(service_->async_pending());
    w.Key("event_source_mappings");
    service_->write_mappings_health(w);
    w.EndObject();
  });
}

void Lambda::serve(const ServeContext& ctx) {
  lambda::SandboxOptions o;
  o.endpoint_url = fmt::format("http://{}:{}", ctx.self_host, ctx.port);
  o.max_per_function = options_.max_sandboxes;
  o.logs = &logs_;
  o.uid_base = options_.uid_base;
  o.uid_count = options_.uid_count;
  o.credentials = [credentials = ctx.credentials](const std::string& account) {
    if (credentials) {
      if (auto key = credentials->key_of_account(account)) return *key;
    }
    // Without verification any key works; a 12-digit key keeps the function in its account.
    return std::pair<std::string, std::string>{account == auth::kDefaultAccountId ? "test" : account, "test"};
  };
  http::Server& server = ctx.server;
  o.open_listener = [&server](std::function<void(protocol::RestRequest&, protocol::Reply)> handler) {
    http::Endpoint runtime_api;
    runtime_api.handle = [handler = std::move(handler)](http::HttpRequest& request, protocol::Reply reply) {
      std::string_view target = request.target;
      size_t question = target.find('?');
      protocol::RestRequest rest{request.method, target.substr(0, question),
                                 question == std::string_view::npos ? std::string_view() : target.substr(question + 1),
                                 request.headers, std::move(request.body)};
      rest.peer_pid = request.peer_pid;  // the Runtime API serves its own sandbox only
      rest.peer_uid = request.peer_uid;
      handler(rest, std::move(reply));
    };
    // A response over the 6 MB limit must still be read, so that the runtime (and the invocation)
    // hear about it from the sandbox (lambda/sandboxes.h).
    runtime_api.body_limit = [](const http::HttpRequest&) { return lambda::Service::kMaxRequestBytes; };
    runtime_api.too_large = [](const http::HttpRequest&, size_t limit) { return lambda::runtime_request_too_large(limit); };
    return server.open_listener(std::move(runtime_api));
  };
  o.close_listener = [&server](uint16_t listener_port) { server.close_listener(listener_port); };
  service_->serve(std::move(o));
}

void Lambda::stop() {
  if (!options_.in_memory) return;
  std::error_code ignored;
  std::filesystem::remove_all(code_root_, ignored);
}

// --- SNS --------------------------------------------------------------------------------------

Sns::Sns(Base base, int signing_key_bits, sns::PushOptions push)
    : base_(base),
      signing_key_bits_(signing_key_bits),
      push_(std::move(push)),
      mailbox_(base.engine),
      handlers_({"", "application/x-amz-json-1.0", false}),
      // Which actions may arrive unsigned (the mail links) is in SNS's operation table.
      query_({"", "sns", false}, handlers_, protocol::QueryModel::sns()) {}

Status Sns::start() {
  auto signer = sns::Signer::load_or_create(base_.engine, signing_key_bits_);
  if (!signer.ok()) return signer.error();
  signer_.emplace(std::move(signer).value());
  service_ = std::make_unique<sns::Service>(base_.engine, base_.writer, base_.deliverer, *signer_);
  base_.deliverer.add("sns", service_.get());
  if (auto s = service_->start(); !s.ok()) return s;
  // HTTP/S and email deliveries: durable tasks worked by a few threads; mails without --smtp-url
  // land in the built-in mailbox.
  (void)mailbox_.start();
  pusher_ = std::make_unique<sns::Pusher>(base_.engine, base_.writer, base_.scheduler, *service_, mailbox_, push_);
  if (auto s = pusher_->start(); !s.ok()) return s;
  service_->set_pusher(pusher_.get());
  service_->register_operations(handlers_);
  return ok_status();
}

void Sns::add_routes(http::Router& router) {
  router.add_query_service(&query_, "sns");
  // The mailbox holds confirmation tokens: each account sees its own (signed, with --auth-credentials).
  router.add_account_get("/_runnel/mailbox", [this](std::string_view account, std::string_view query) {
    auto answer = mailbox_.http_get(query, account);
    protocol::Response r;
    r.status = answer.status;
    r.content_type = answer.content_type;
    r.body = std::move(answer.body);
    return r;
  });
  router.add_get("/_runnel/sns/SimpleNotificationService.pem", [this](std::string_view) {
    protocol::Response r;
    r.content_type = "application/x-pem-file";
    r.body = signer_->certificate_pem();
    return r;
  });
}

void Sns::add_metrics(admin::Metrics& metrics) {
  metrics.add_gauge("runnel_sns_push_pending", "HTTP/S and email deliveries stored and not yet done.",
                    [this] { return static_cast<double>(pusher_->pending()); });
  metrics.add_counter("runnel_sns_push_delivered_total", "HTTP/S and email deliveries made.",
                      [this] { return static_cast<double>(pusher_->delivered()); });
  metrics.add_counter("runnel_sns_push_failed_total", "HTTP/S and email deliveries given up.",
                      [this] { return static_cast<double>(pusher_->failed()); });
}

void Sns::add_health(admin::Health& health) {
  health.add_section("sns_push", [this](admin::JsonWriter& w) {
    w.StartObject();
    w.Key("pending");
    w.Uint64(pusher_->pending());
    w.Key("delivered");
    w.Uint64(pusher_->delivered());
    w.Key("failed");
    w.Uint64(pusher_->failed());
    w.Key("smtp");
    w.Bool(pusher_->smtp_configured());
    w.EndObject();
  });
}

void Sns::serve(const ServeContext& ctx) {
  // The host notifications published through the deliver port name in their UnsubscribeURL.
  service_->set_public_host(fmt::format("{}:{}", ctx.self_host, ctx.port));
}

}  // namespace runnel::app
