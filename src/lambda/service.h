// The Lambda service (REST-JSON, API 2015-03-31): functions, their resource policies and async
// settings, and invocation — synchronous on a sandbox (sandboxes.h), asynchronous through a durable
// queue of invocations.
//
// An asynchronous invocation (Invoke with InvocationType Event, or an SNS delivery) is stored by the
// writer step that accepts it, so an acknowledged one survives kill -9; after its commit it goes to
// a sandbox. Its outcome is written back in a writer step: done (deleted), retried (attempt count
// stored, handed back by the scheduler after AWS's delays: 1 minute, then 2), or, once its retries
// or its maximum age are spent, sent to the function's DeadLetterConfig queue with AWS's RequestID,
// ErrorCode and ErrorMessage attributes (or dropped and logged without one). A restart hands every
// stored invocation to a sandbox again: at least once, as AWS promises.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
//
// Storage:
//   meta   "lambda/f/<account>/<region>/<name>" -> function (function.h)
//   meta   "lambda/c/<sha256 hex>"              -> the code zip (shared by functions with equal code)
//   queues "lambda/a/<id, 20 digits>"           -> an async invocation waiting or being retried
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "background/scheduler.h"
#include "lambda/code_dir.h"
#include "lambda/esm/manager.h"
#include "lambda/function.h"
#include "lambda/sandboxes.h"
#include "protocol/rest.h"
#include "protocol/rest_routes.h"
#include "ports/deliver.h"
#include "ports/event_source.h"
#include "ports/queue_source.h"
#include "storage/engine.h"
#include "storage/writer.h"

namespace runnel::lambda {

struct ServiceOptions {
  std::string code_root;                 // where zips are unpacked, one directory per SHA-256
  int64_t async_retry_delay_ms = 60000;  // AWS: 1 minute before the 2nd attempt, 2 before the 3rd
};

class Service : public protocol::RestService, public ports::DeliveryTarget {
 public:
  // Dead letters go to queues and topics through `deliverer` (wired by main).
  Service(storage::Engine& engine, storage::Writer& writer, background::Scheduler& scheduler,
          const ports::Deliverer& deliverer, ServiceOptions options);
  ~Service() override;

  // Event source mappings read DynamoDB streams through `streams`. Set before start().
  void set_stream_source(ports::StreamSource* streams) { streams_ = streams; }
  // ... and SQS queues through `queues`. Set before start().
  void set_queue_source(ports::QueueSource* queues) { queues_ = queues; }
  // Loads the functions (unpacking code a previous run left packed) and the event source mappings.
  Status start();
  // Starts running functions, once the HTTP server is up, and resumes stored async invocations.
  void serve(SandboxOptions sandbox_options);
  // Stops every function process; unfinished async invocations stay stored for the next run.
  void stop();

  bool owns_path(std::string_view path) const override;
  std::string_view signing_name() const override { return "lambda"; }
  const protocol::Operation* operation(std::string_view method, std::string_view path) const override;
  void for_each_operation(const std::function<void(const protocol::Operation&)>& visit) const override;
  void dispatch(protocol::RequestContext ctx, protocol::RestRequest& request, protocol::Reply reply) const override;
  protocol::Response render_error(const ApiError& error) const override;
  // RequestEntityTooLargeException (413) with AWS's words, which name the operation as IAM does
  // ("InvokeFunction").
  protocol::Response request_too_large(const protocol::Operation* operation, size_t limit) const override;

  // Lambda's requests may be far larger than the other services' (a CreateFunction carries a base64
  // zip of up to 50 MB): CreateFunction, UpdateFunctionCode and Invoke read up to this many bytes
  // (Invoke then applies its own, smaller limits with its own message), and so does a function's
  // Runtime API, where a runtime may post a response over the 6 MB limit, which it must be told about.
  static constexpr size_t kMaxRequestBytes = 69905067;  // base64 of a 50 MB zip, as AWS's message names it

  // Writer thread, inside the caller's step: stores an asynchronous invocation of `function_arn`
  // in that batch (SNS deliveries). ResourceNotFoundException when there is no such function.
  Status invoke_async(storage::WriteTxn& txn, std::string_view function_arn, std::string payload,
                      std::string request_id = new_uuid());

  // ports::DeliveryTarget: invoke_async() with the delivery's body as the event (SNS's lambda
  // subscriptions).
  Status deliver(storage::WriteTxn& txn, std::string_view function_arn, ports::Delivery delivery) override;

  // The code zip of a function, or empty.
  std::string code_zip(std::string_view function_arn) const;
  // GetFunction's Code.Location: a URL valid for 10 minutes, as AWS's presigned S3 URLs are,
  // signed (HMAC-SHA256 over the ARN and the expiry) with a key this process made at start.
  std::string code_location(std::string_view host, const std::string& function_arn) const;
  // GET /_runnel/lambda/code?<the location's query>: the zip, or S3's 403 AccessDenied when the
  // token is missing, wrong or expired (404 NoSuchKey when the function is gone).
  protocol::Response code_download(std::string_view query) const;

  uint64_t async_pending() const { return async_pending_.load(); }
  // The event source mappings' health (a JSON array), "[]" without any.
  void write_mappings_health(JsonWriter& w) const {
    if (esm_) return esm_->write_health(w);
    w.StartArray();
    w.EndArray();
  }

 private:
  struct AsyncTask;
  using Handler = void (Service::*)(const protocol::RequestContext&, protocol::RestRequest&, const std::string& name,
                                    protocol::Reply) const;
  // What a route runs: a function operation (its handler gets the FunctionName label;
  // RemovePermission also the statement id, after a newline), or an event source mapping
  // operation (the UUID label).
  struct Route {
    Handler function = nullptr;
    bool mapping = false;
  };
  // Every operation's method and path template (protocol/rest_routes.h).
  static const protocol::RestRoutes<Route>& routes();

  std::shared_ptr<const Function> find(const std::string& account, const std::string& region, const std::string& name) const;
  std::shared_ptr<const Function> find_arn(std::string_view arn) const;
  // Writer thread: stages `f` (or its removal) and updates the catalog.
  void put_function(storage::WriteTxn& txn, std::shared_ptr<const Function> f);
  void remove_function(storage::WriteTxn& txn, const Function& f);
  std::shared_ptr<const FunctionImage> image_of(const Function& f) const;
  // Whether a function other than `except_arn` runs the code of that hash.
  bool code_in_use(const std::string& sha_hex, const std::string& except_arn) const;
  // After CreateFunction's unpack: the writer step that stores `f` and its zip, then the answer.
  void store_new_function(std::shared_ptr<Function> f, std::shared_ptr<std::string> zip, protocol::Reply reply);
  // Runs `job` on the unpacker; when it is full or stopping, answers `reply` with the error instead.
  void off_io_thread(std::function<void()> job, const protocol::Reply& reply) const;
  // Applies `change` to the named function in a writer step and answers with `render` of the result.
  void update(const protocol::RequestContext& ctx, const std::string& name,
              std::function<Status(Function&, storage::WriteTxn&)> change, std::function<protocol::Response(const Function&)> render,
              protocol::Reply reply) const;

  // Control plane (ops.cc).
  void create_function(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void get_function(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void get_configuration(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void list_functions(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void delete_function(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void update_code(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void update_configuration(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void add_permission(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void get_policy(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void remove_permission(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void put_event_invoke_config(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void get_event_invoke_config(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void delete_event_invoke_config(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;

  // Reserved concurrency (concurrency.cc).
  void put_concurrency(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void get_concurrency(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void delete_concurrency(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  // The reserved concurrency of the account's functions in `region`, but `except_arn`'s.
  int reserved_elsewhere(const std::string& account, const std::string& region, const std::string& except_arn) const;

  // Invocation (invoke.cc).
  void invoke(const protocol::RequestContext&, protocol::RestRequest&, const std::string&, protocol::Reply) const;
  void run_async(std::shared_ptr<AsyncTask> task);
  void settle_async(std::shared_ptr<AsyncTask> task, InvocationResult result);
  Status load_async();

  storage::Engine& engine_;
  storage::Writer& writer_;
  background::Scheduler& scheduler_;
  const ports::Deliverer& deliverer_;
  ports::StreamSource* streams_ = nullptr;
  ports::QueueSource* queues_ = nullptr;
  std::unique_ptr<esm::Manager> esm_;  // set by start() when a stream source is wired
  ServiceOptions options_;
  std::unique_ptr<Sandboxes> sandboxes_;
  mutable Unpacker unpacker_;  // CreateFunction and UpdateFunctionCode unpack here, off the I/O threads
  // Async invocations that arrived before serve() (a previous run's, or a publish in the moment
  // between the HTTP server's start and serve()); serve() runs them.
  std::mutex resumed_mu_;
  std::vector<std::shared_ptr<AsyncTask>> resumed_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<const Function>, std::less<>> functions_;  // by ARN
  std::map<std::string, std::shared_ptr<const FunctionImage>, std::less<>> images_;  // by ARN
  std::atomic<uint64_t> next_async_id_{1};
  std::atomic<uint64_t> async_pending_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> serving_{false};
  std::string code_url_key_;  // random, per process: a restart voids every code URL  // sandboxes_ is set (serve() ran); requests before it get 503
};

}  // namespace runnel::lambda
