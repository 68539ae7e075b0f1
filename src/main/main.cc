// runnel: one binary, every service of the notification pipeline on one port.
// This is the only place that knows every module and wires them together.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>

#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "admin/health.h"
#include "admin/metrics.h"
#include "admin/operations.h"
#include "auth/credentials.h"
#include "background/scheduler.h"
#include "common/log.h"
#include "http/router.h"
#include "http/server.h"
#include "lambda/sandbox_init.h"
#include "storage/engine.h"
#include "storage/writer.h"
#include "main/components.h"
#include "main/mailbox_cli.h"

namespace {

struct ServeFlags {
  std::string host = "127.0.0.1";
  uint16_t port = 4566;
  std::string data_dir = "./.runnel-data";
  bool in_memory = false;
  std::string durability = "strict";
  std::string log_level = "info";
  std::string auth_credentials;
  int threads = 0;
  size_t max_in_flight = 4096;
  int64_t http_header_timeout_ms = 60000;
  int64_t http_body_timeout_ms = 20000;
  double stream_retention_s = 86400;
  double stream_shard_max_age_s = 14400;
  uint64_t stream_shard_max_records = 0;
  double stream_iterator_ttl_s = 900;
  runnel::sns::PushOptions push;
  int sns_signing_key_bits = 1024;
  int64_t lambda_async_retry_delay_ms = 60000;
  int lambda_max_sandboxes = 10;
  int lambda_uid_base = 990000;
  int lambda_uid_count = 65536;
};

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("runnel");
  // One JSON object per line; messages are JSON members ("event": ..., ...).
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// Every connection and every function's pipes take a descriptor: start with as many as the hard
// limit allows (often 1024 soft against 524288 hard), so load meets the in-flight limit first.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
    spdlog::warn(R"("event":"server.rlimit_failed","error":"{}")", std::strerror(errno));
}

// The --auth-credentials file. Secrets: readable by runnel alone (a function runs under another
// uid when runnel is root), so a file others may read is tightened first.
runnel::Result<runnel::auth::CredentialStore> load_credentials(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) && st.st_uid == ::geteuid()) {
    ::chmod(path.c_str(), st.st_mode & 0700);
    spdlog::warn(R"("event":"auth.credentials_mode_tightened","path":{},"mode":"0{:o}")", runnel::json_quote(path),
                 st.st_mode & 0700);
  }
  return runnel::auth::CredentialStore::load_file(path);
}

int serve(const ServeFlags& flags) {
  setup_logging(flags.log_level);
  // What runnel writes (the store, unpacked code's roots, the mailbox) is its own alone: function
  // processes run under other uids (docs/compatibility/lambda.md, "Isolation").
  ::umask(077);
  raise_descriptor_limit();
  auto started = std::chrono::steady_clock::now();

  runnel::storage::EngineOptions engine_options;
  engine_options.path = flags.data_dir;
  engine_options.in_memory = flags.in_memory;
  engine_options.durability =
      flags.durability == "relaxed" ? runnel::storage::Durability::kRelaxed : runnel::storage::Durability::kStrict;
  auto engine = runnel::storage::Engine::open(engine_options);
  if (!engine.ok()) {
    spdlog::critical(R"("event":"storage.open_failed","error":{})", runnel::json_quote(engine.error().message));
    return 1;
  }
  runnel::storage::Writer writer(**engine);
  // Traversable but not listable, so a function's uid reaches its own code (lambda-code/<sha256>)
  // and nothing else: the files in it are 0600.
  if (!flags.in_memory) ::chmod(flags.data_dir.c_str(), 0711);
  runnel::background::Scheduler scheduler;
  // Services reach each other's queues, topics and functions only through this port, which each
  // component offers its own to as it starts, before anything serves.
  runnel::ports::Deliverer deliverer;
  runnel::app::Base base{**engine, writer, scheduler, deliverer};

  // The parts, in start order (src/main/components.h): a part starts after those it reads.
  runnel::streams::Options stream_options;
  stream_options.retention_ms = static_cast<int64_t>(flags.stream_retention_s * 1000);
  stream_options.shard_max_age_ms = static_cast<int64_t>(flags.stream_shard_max_age_s * 1000);
  stream_options.shard_max_records = flags.stream_shard_max_records;
  stream_options.iterator_ttl_ms = static_cast<int64_t>(flags.stream_iterator_ttl_s * 1000);
  runnel::app::DynamoDb dynamodb(base);
  runnel::app::Streams streams(base, dynamodb, stream_options);
  runnel::app::Sqs sqs(base);
  runnel::app::Logs logs(base);
  runnel::app::Lambda lambda(base, streams, sqs, logs.sink(),
                             {flags.data_dir, flags.in_memory, flags.lambda_async_retry_delay_ms,
                              flags.lambda_max_sandboxes, flags.lambda_uid_base, flags.lambda_uid_count});
  runnel::app::Sns sns(base, flags.sns_signing_key_bits, flags.push);
  // SNS's routes come before SQS's: unsigned links pick the first query service with the Action
  // (http/router.h), and SNS's confirmation links are what arrives unsigned.
  const std::vector<runnel::app::Component*> parts = {&dynamodb, &streams, &sqs, &logs, &lambda, &sns};
  const std::vector<runnel::app::Component*> route_order = {&dynamodb, &streams, &sns, &sqs, &logs, &lambda};
  for (auto* part : parts) {
    if (auto s = part->start(); !s.ok()) {
      spdlog::critical(R"("event":"{}.start_failed","error":{})", part->name(), runnel::json_quote(s.error().message));
      return 1;
    }
  }

  runnel::http::RouterOptions router_options;
  router_options.max_in_flight = flags.max_in_flight;
  if (!flags.auth_credentials.empty()) {
    auto store = load_credentials(flags.auth_credentials);
    if (!store.ok()) {
      spdlog::critical(R"("event":"auth.credentials_failed","error":{})", runnel::json_quote(store.error().message));
      return 1;
    }
    router_options.credentials = std::make_shared<const runnel::auth::CredentialStore>(std::move(store).value());
  }
  runnel::http::Router router(router_options);
  for (auto* part : route_order) part->add_routes(router);
  // GET /_runnel/health: every service the router serves, and each part's own section.
  runnel::admin::Health health;
  for (const auto& name : router.service_names()) health.add_service(name);
  health.add_section("storage", [&writer, &flags](runnel::admin::JsonWriter& w) {
    w.StartObject();
    w.Key("durability");
    w.String(flags.durability.c_str());
    w.Key("in_memory");
    w.Bool(flags.in_memory);
    w.Key("groups_committed");
    w.Uint64(writer.groups_committed());
    w.Key("writes_committed");
    w.Uint64(writer.requests_committed());
    w.Key("writes_refused");
    w.Bool(writer.failed());
    w.Key("disk_full");
    w.Bool(writer.out_of_space());
    w.Key("refused_for_space");
    w.Uint64(writer.refused_for_space());
    w.EndObject();
  });
  for (auto* part : parts) part->add_health(health);
  router.set_health([&health] { return health.response(); });
  // GET /_runnel/operations: the operation tables, listed once every route is in.
  runnel::admin::OperationsListing operations(router_options.max_body_bytes);
  router.for_each_operation([&operations](std::string_view service, std::string_view protocol,
                                          const runnel::protocol::Operation& op) { operations.add(service, protocol, op); });
  router.add_get("/_runnel/operations", [&operations](std::string_view) { return operations.response(); });
  // GET /_runnel/metrics: Prometheus text, runnel's own (requests per operation, the writer, each
  // part's counters). An operation two protocols share (SQS's) is listed once.
  runnel::admin::Metrics metrics;
  {
    std::set<const runnel::protocol::OperationStats*> seen;
    router.for_each_operation([&](std::string_view service, std::string_view, const runnel::protocol::Operation& op) {
      if (seen.insert(op.stats.get()).second) metrics.add_operation(service, op);
    });
  }
  metrics.add_counter("runnel_writer_groups_committed_total", "Groups of writes committed (one WAL write and sync each).",
                      [&writer] { return static_cast<double>(writer.groups_committed()); });
  metrics.add_counter("runnel_writer_writes_committed_total", "Writes committed.",
                      [&writer] { return static_cast<double>(writer.requests_committed()); });
  metrics.add_counter("runnel_writer_refused_for_space_total", "Writes refused because the disk was full.",
                      [&writer] { return static_cast<double>(writer.refused_for_space()); });
  metrics.add_gauge("runnel_writer_failed", "1 once a commit has failed (writes are refused until a restart).",
                    [&writer] { return writer.failed() ? 1.0 : 0.0; });
  auto histogram = [](runnel::storage::Writer::Histogram h) {
    return runnel::admin::Metrics::Histogram{std::move(h.bounds), std::move(h.counts), h.sum};
  };
  metrics.add_histogram("runnel_writer_commit_seconds", "Time to write (and in strict mode sync) one group.",
                        [&writer, histogram] { return histogram(writer.commit_seconds()); });
  metrics.add_histogram("runnel_writer_group_size", "Writes per committed group.",
                        [&writer, histogram] { return histogram(writer.group_sizes()); });
  for (auto* part : parts) part->add_metrics(metrics);
  router.add_get("/_runnel/metrics", [&metrics](std::string_view) { return metrics.response(); });

  runnel::http::ServerOptions server_options;
  server_options.host = flags.host;
  server_options.port = flags.port;
  server_options.threads = flags.threads > 0 ? flags.threads : std::max(1u, std::thread::hardware_concurrency());
  server_options.max_in_flight = flags.max_in_flight;
  server_options.header_timeout = std::chrono::milliseconds(flags.http_header_timeout_ms);
  server_options.body_timeout = std::chrono::milliseconds(flags.http_body_timeout_ms);
  // Each request's body limit comes from its operation's traits (the router's endpoint).
  runnel::http::Server server(server_options, router.endpoint());
  uint16_t port = 0;
  try {
    port = server.start();
  } catch (const std::exception& e) {
    spdlog::critical(R"("event":"http.listen_failed","host":"{}","port":{},"error":{})", flags.host, flags.port, runnel::json_quote(e.what()));
    return 1;
  }
  std::string self_host = flags.host == "0.0.0.0" || flags.host == "::" ? "127.0.0.1" : flags.host;
  runnel::app::ServeContext serving{server, port, self_host, router_options.credentials};
  for (auto* part : parts) part->serve(serving);

  auto ready_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  spdlog::info(R"("event":"server.ready","host":"{}","port":{},"data_dir":{},"in_memory":{},"durability":"{}","ready_ms":{:.1f})",
               flags.host, port, runnel::json_quote(flags.data_dir), flags.in_memory, flags.durability, ready_ms);

  server.wait_for_signal();
  // Graceful stop: function processes end (their async invocations stay stored), no new
  // connections, in-flight requests finish, background work stops, the writer drains its queue
  // (every acknowledged write is already durable), the WAL is flushed.
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) (*it)->stop_serving();
  server.shutdown();
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) (*it)->stop();
  writer.stop();
  scheduler.stop();
  if (!writer.failed()) (*engine)->sync_wal();  // a failed WAL writer must not be touched again
  spdlog::info(R"("event":"server.stopped")");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Each Lambda sandbox's supervisor is this binary too (src/lambda/sandbox_init.h).
  if (runnel::lambda::is_sandbox_init(argc, argv)) return runnel::lambda::sandbox_init_main(argc, argv);
  CLI::App app{"runnel: AWS wire-compatible DynamoDB, DynamoDB Streams, Lambda, SQS and SNS on one port"};
  app.require_subcommand(1);

  ServeFlags flags;
  auto* serve_cmd = app.add_subcommand("serve", "Run the server");
  serve_cmd->add_option("--host", flags.host, "Address to bind")->capture_default_str();
  serve_cmd->add_option("--port", flags.port, "Port for every service")->capture_default_str();
  serve_cmd->add_option("--data-dir", flags.data_dir, "Where the embedded store keeps its files")->capture_default_str();
  serve_cmd->add_flag("--in-memory", flags.in_memory, "Keep everything in memory (nothing survives a restart)");
  serve_cmd->add_option("--durability", flags.durability, "strict: every acknowledged write is fsynced (grouped); relaxed: acknowledged after the WAL write, fsync left to the OS")
      ->check(CLI::IsMember({"strict", "relaxed"}))
      ->capture_default_str();
  serve_cmd->add_option("--log-level", flags.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  serve_cmd->add_option("--auth-credentials", flags.auth_credentials,
                        "File of 'ACCESS_KEY SECRET' lines; when given, SigV4 signatures are verified");
  serve_cmd->add_option("--threads", flags.threads, "HTTP I/O threads (default: one per core)");
  serve_cmd->add_option("--max-in-flight", flags.max_in_flight, "Requests in progress beyond which callers are throttled")
      ->capture_default_str();
  serve_cmd->add_option("--http-header-timeout-ms", flags.http_header_timeout_ms,
                        "A connection idle, or sending its request header, for longer is closed")
      ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}))
      ->capture_default_str();
  serve_cmd->add_option("--http-body-timeout-ms", flags.http_body_timeout_ms,
                        "A request body that makes no progress for this long is dropped")
      ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}))
      ->capture_default_str();

  serve_cmd->add_option("--stream-retention", flags.stream_retention_s,
                        "Seconds a DynamoDB stream keeps its records (and a disabled stream stays readable)")
      ->capture_default_str();
  serve_cmd->add_option("--stream-shard-max-age", flags.stream_shard_max_age_s,
                        "Seconds after which a stream's open shard is closed and a child shard opened")
      ->capture_default_str();
  serve_cmd->add_option("--stream-shard-max-records", flags.stream_shard_max_records,
                        "Records after which a stream's open shard is closed and a child opened (0: no limit)")
      ->capture_default_str();
  serve_cmd->add_option("--stream-iterator-ttl", flags.stream_iterator_ttl_s,
                        "Seconds a shard iterator stays valid (AWS: 900)")
      ->capture_default_str();

  serve_cmd->add_option("--smtp-url", flags.push.smtp_url,
                        "Send SNS email through this server (smtp://[user:pass@]host:port, smtps://...); "
                        "without it mails land in the built-in mailbox (GET /_runnel/mailbox, `runnel mailbox`)");
  serve_cmd->add_option("--smtp-from", flags.push.smtp_from, "Sender address of SNS email")->capture_default_str();
  serve_cmd->add_flag("--smtp-starttls", flags.push.smtp_starttls, "Require STARTTLS on an smtp:// server");
  serve_cmd->add_flag("!--no-tls-verify", flags.push.tls_verify,
                      "Accept any certificate from https:// subscribers and the SMTP server (self-signed test servers)");
  serve_cmd->add_option("--sns-signing-key-bits", flags.sns_signing_key_bits,
                        "RSA size of the SNS signing key runnel makes for a new store (AWS: 2048; see src/sns/signer.h)")
      ->check(CLI::IsMember({1024, 2048, 3072, 4096}))
      ->capture_default_str();
  serve_cmd->add_option("--sns-delivery-threads", flags.push.workers, "Threads delivering SNS HTTP/S and email")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();

  serve_cmd->add_option("--lambda-async-retry-delay-ms", flags.lambda_async_retry_delay_ms,
                        "Delay before the second attempt of a failed asynchronous invocation (the third waits twice "
                        "as long; AWS: 60000)")
      ->check(CLI::Range(int64_t{0}, int64_t{3600000}))
      ->capture_default_str();
  serve_cmd->add_option("--lambda-max-sandboxes", flags.lambda_max_sandboxes,
                        "Function processes one function may run at once")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  serve_cmd->add_option("--lambda-uid-base", flags.lambda_uid_base,
                        "As root: function processes run as uid (and gid) base + i, one per function")
      ->check(CLI::Range(1, 2000000000))
      ->capture_default_str();
  serve_cmd->add_option("--lambda-uid-count", flags.lambda_uid_count,
                        "As root: how many uids from --lambda-uid-base functions get (0: runnel's own uid, no isolation)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();

  MailboxFlags mailbox_flags;
  auto* mailbox_cmd = add_mailbox_command(app, mailbox_flags);
  auto* version_cmd = app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);
  if (*version_cmd) {
    std::cout << "runnel 0.1.0\n";
    return 0;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);  // before any thread: libcurl's global set-up is not thread-safe
  if (*mailbox_cmd) return run_mailbox_command(mailbox_flags);
  if (*serve_cmd) return serve(flags);
  return 0;
}
