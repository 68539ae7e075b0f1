// The parts of the server and the lifecycle each goes through. `serve()` in main.cc lists them in
// order and walks them through it; nothing else knows the order.
//
//   start        load state from the store, register operations, wire the ports; nothing serves
//   add_routes   its protocols and fixed paths on the router (after every part has started)
//   add_health   its section of GET /_runnel/health, if it has one
//   serve        the server listens: background work begins (sweeps, function sandboxes)
//   stop_serving before the listener closes: what needs it to wind down (a function's Runtime API)
//   stop         after the listener closed, in reverse order; the writer still runs, so a part's
//                last writes commit
//
// A service folder never depends on http or on another service (docs/architecture.md); a
// component is main's wrapper around one service: its protocol front, its background tasks, its
// endpoints. Adding a service (CloudWatch Logs, metrics) is one more component in the list.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "admin/health.h"
#include "admin/metrics.h"
#include "auth/credentials.h"
#include "background/periodic.h"
#include "background/scheduler.h"
#include "common/result.h"
#include "dynamodb/service.h"
#include "http/router.h"
#include "http/server.h"
#include "lambda/service.h"
#include "logs/service.h"
#include "ports/deliver.h"
#include "ports/log_sink.h"
#include "protocol/aws_json.h"
#include "protocol/query.h"
#include "sns/mailbox.h"
#include "sns/push.h"
#include "sns/service.h"
#include "sns/signer.h"
#include "sqs/service.h"
#include "storage/engine.h"
#include "storage/writer.h"
#include "streams/service.h"

namespace runnel::app {

// What every part may need once the server listens.
struct ServeContext {
  http::Server& server;
  uint16_t port = 0;
  std::string self_host;  // the address functions and notification links reach runnel at
  std::shared_ptr<const auth::CredentialStore> credentials;  // null: signatures are not verified
};

class Component {
 public:
  virtual ~Component() = default;
  virtual const char* name() const = 0;  // "<name>.start_failed" names it in the log
  virtual Status start() = 0;
  virtual void add_routes(http::Router&) {}
  virtual void add_health(admin::Health&) {}
  virtual void add_metrics(admin::Metrics&) {}
  virtual void serve(const ServeContext&) {}
  virtual void stop_serving() {}
  virtual void stop() {}
};

// What the parts share: the store, the writer, the timers and the deliver port.
struct Base {
  storage::Engine& engine;
  storage::Writer& writer;
  background::Scheduler& scheduler;
  ports::Deliverer& deliverer;
};

class DynamoDb final : public Component {
 public:
  explicit DynamoDb(Base base);
  const char* name() const override { return "dynamodb"; }
  Status start() override;
  void add_routes(http::Router& router) override { router.add_json_service(&json_, "dynamodb"); }
  void serve(const ServeContext&) override { ttl_sweep_.start(); }
  void stop() override { ttl_sweep_.stop(); }
  dynamodb::Service& service() { return service_; }

 private:
  dynamodb::Service service_;
  protocol::JsonService json_;
  background::PeriodicTask ttl_sweep_;
};

class Streams final : public Component {
 public:
  Streams(Base base, DynamoDb& tables, streams::Options options);
  const char* name() const override { return "streams"; }
  Status start() override;  // and hands DynamoDB its change sink
  void add_routes(http::Router& router) override { router.add_json_service(&json_, "dynamodbstreams"); }
  void serve(const ServeContext&) override { sweep_.start(); }
  void stop() override { sweep_.stop(); }  // before the writer: a sweep waits for its own commit
  streams::Service& service() { return service_; }

 private:
  DynamoDb& tables_;
  streams::Service service_;
  protocol::JsonService json_;
  background::PeriodicTask sweep_;
};

class Sqs final : public Component {
 public:
  explicit Sqs(Base base);
  const char* name() const override { return "sqs"; }
  Status start() override;  // and offers the deliver port its queues
  void add_routes(http::Router& router) override;
  void serve(const ServeContext&) override { retention_.start(); }
  void stop() override;
  sqs::Service& service() { return service_; }

 private:
  ports::Deliverer& deliverer_;
  sqs::Service service_;
  protocol::JsonService json_;
  protocol::QueryService query_;
  background::PeriodicTask retention_;
};

// CloudWatch Logs: its API, the sink a function's output reaches it through, and the retention sweep.
class Logs final : public Component {
 public:
  explicit Logs(Base base);
  const char* name() const override { return "logs"; }
  Status start() override;  // registers the operations and starts the shipper
  void add_routes(http::Router& router) override { router.add_json_service(&json_, "logs"); }
  void add_health(admin::Health& health) override;
  void add_metrics(admin::Metrics& metrics) override;
  void serve(const ServeContext&) override { retention_.start(); }
  void stop() override;  // after Lambda's: the last lines of the functions are written
  ports::LogSink& sink() { return service_; }

 private:
  logs::Service service_;
  protocol::JsonService json_;
  background::PeriodicTask retention_;
};

struct LambdaOptions {
  std::string data_dir;
  bool in_memory = false;
  int64_t async_retry_delay_ms = 60000;
  int max_sandboxes = 10;
  int uid_base = 990000;
  int uid_count = 65536;
};

class Lambda final : public Component {
 public:
  Lambda(Base base, Streams& streams, Sqs& sqs, ports::LogSink& logs, LambdaOptions options);
  const char* name() const override { return "lambda"; }
  Status start() override;  // makes the code root, offers the deliver port its functions
  void add_routes(http::Router& router) override;
  void add_health(admin::Health& health) override;
  void add_metrics(admin::Metrics& metrics) override;
  void serve(const ServeContext& ctx) override;
  void stop_serving() override { service_->stop(); }  // sandboxes end while their Runtime API listens
  void stop() override;                              // an in-memory run's code goes

 private:
  Base base_;
  Streams& streams_;
  Sqs& sqs_;
  LambdaOptions options_;
  std::string code_root_;
  ports::LogSink& logs_;
  std::unique_ptr<lambda::Service> service_;  // made in start(): its options name the code root
};

class Sns final : public Component {
 public:
  Sns(Base base, int signing_key_bits, sns::PushOptions push);
  const char* name() const override { return "sns"; }
  Status start() override;  // the signing key, the service, the mailbox and the pusher
  void add_routes(http::Router& router) override;
  void add_health(admin::Health& health) override;
  void add_metrics(admin::Metrics& metrics) override;
  void serve(const ServeContext& ctx) override;
  void stop() override { pusher_->stop(); }  // unfinished deliveries stay stored for the next run

 private:
  Base base_;
  int signing_key_bits_;
  sns::PushOptions push_;
  std::optional<sns::Signer> signer_;
  std::unique_ptr<sns::Service> service_;
  sns::Mailbox mailbox_;
  std::unique_ptr<sns::Pusher> pusher_;
  // SNS speaks only the Query protocol; its handlers sit on a JsonService no router entry exposes.
  protocol::JsonService handlers_;
  protocol::QueryService query_;
};

}  // namespace runnel::app
