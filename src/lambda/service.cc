#include "lambda/service.h"

#include <sys/stat.h>

#include <filesystem>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/log.h"
#include "common/percent_decode.h"
#include "lambda/code_dir.h"
#include "protocol/rest.h"

namespace runnel::lambda {

namespace {

constexpr std::string_view kFunctionPrefix = "lambda/f/";

std::string function_key(const Function& f) {
  return fmt::format("{}{}/{}/{}", kFunctionPrefix, f.account, f.region, f.name);
}


}  // namespace

Service::Service(storage::Engine& engine, storage::Writer& writer, background::Scheduler& scheduler,
                 const ports::Deliverer& deliverer,
                 ServiceOptions options)
    : engine_(engine), writer_(writer), scheduler_(scheduler), deliverer_(deliverer), options_(std::move(options)) {
  std::random_device random;
  for (int i = 0; i < 32; ++i) code_url_key_.push_back(static_cast<char>(random() & 0xFF));
}

Service::~Service() { stop(); }

Status Service::start() {
  std::error_code ec;
  std::filesystem::create_directories(options_.code_root, ec);
  if (ec) return ApiError::internal("cannot create " + options_.code_root + ": " + ec.message());
  for (storage::Cursor it = engine_.scan_prefix(storage::Family::kMeta, kFunctionPrefix); it.valid(); it.next()) {
    RUNNEL_TRY(Function f, decode_function(it.value()));
    auto zip = engine_.get(storage::Family::kMeta, "lambda/c/" + f.code_sha256_hex);
    if (!zip) return ApiError::internal("the code of Lambda function " + f.arn() + " is missing from the store");
    RUNNEL_TRY(std::string dir, unpack(*zip, options_.code_root, f.code_sha256_hex));
    auto function = std::make_shared<const Function>(std::move(f));
    images_[function->arn()] = image_of(*function);
    functions_[function->arn()] = std::move(function);
  }
  // Unpacked code no function runs any more (deleted or replaced in an earlier run), and staging
  // directories a crash left, go now, while no sandbox can be running in them.
  for (const auto& entry : std::filesystem::directory_iterator(options_.code_root, ec)) {
    std::string dir = entry.path().filename().string();
    if (!code_in_use(dir, "")) std::filesystem::remove_all(entry.path(), ec);
  }
  if (streams_) {
    esm::Hooks hooks;
    hooks.resolve_function = [this](const std::string& account, const std::string& region, std::string_view given) {
      auto ref = resolve_function_ref(given, account, region);
      if (!ref.ok() || ref->account != account) return std::string();
      auto f = find(account, region, ref->name);
      return f ? f->arn() : std::string();
    };
    hooks.invoke = [this](const std::string& function_arn, std::string payload,
                          std::function<void(InvocationResult, bool)> done) {
      auto f = find_arn(function_arn);
      if (!f || !serving_.load(std::memory_order_acquire)) return done({}, false);
      sandboxes_->invoke(Invocation{image_of(*f), new_uuid(), std::move(payload),
                                    [done = std::move(done)](InvocationResult result) { done(std::move(result), true); }});
    };
    esm_ = std::make_unique<esm::Manager>(engine_, writer_, scheduler_, *streams_, queues_, deliverer_, std::move(hooks));
    RUNNEL_CHECK(esm_->start());
  }
  return load_async();
}

void Service::serve(SandboxOptions sandbox_options) {
  if (sandbox_options.scratch_root.empty()) {
    // Each sandbox's TMPDIR where no private /tmp can be mounted (runnel not root).
    sandbox_options.scratch_root = options_.code_root + "/.sandbox-tmp";
    std::error_code ec;
    std::filesystem::create_directories(sandbox_options.scratch_root, ec);
    ::chmod(sandbox_options.scratch_root.c_str(), 0711);
  }
  sandboxes_ = std::make_unique<Sandboxes>(scheduler_, std::move(sandbox_options));
  std::vector<std::shared_ptr<AsyncTask>> resumed;
  {
    std::lock_guard lock(resumed_mu_);
    serving_.store(true, std::memory_order_release);
    resumed = std::move(resumed_);
  }
  // Stored async invocations go to sandboxes now that these can start.
  for (auto& task : resumed) run_async(std::move(task));
  if (esm_) esm_->serve();
}

void Service::stop() {
  if (stopping_.exchange(true)) return;
  if (esm_) esm_->stop();  // no new batches; those in flight end with the sandboxes below
  unpacker_.stop();  // an upload being unpacked finishes (its write still commits); waiting ones are refused
  if (serving_.load(std::memory_order_acquire)) sandboxes_->stop();
}

namespace {
constexpr std::string_view kMappingsPath = "/2015-03-31/event-source-mappings";
// The operations that carry code or a payload read up to kMaxRequestBytes.
constexpr protocol::OperationTraits kWritesLarge{.mutating = true, .body_limit = Service::kMaxRequestBytes};
}  // namespace

bool Service::owns_path(std::string_view path) const { return routes().owns(path); }

const protocol::Operation* Service::operation(std::string_view method, std::string_view path) const {
  auto match = routes().match(method, path);
  return match ? &match->route->operation : nullptr;
}

void Service::for_each_operation(const std::function<void(const protocol::Operation&)>& visit) const {
  for (const auto& route : routes().routes()) visit(route.operation);
}

protocol::Response Service::request_too_large(const protocol::Operation* operation, size_t limit) const {
  std::string name = !operation                     ? "CreateFunction"
                     : operation->name == "Invoke" ? "InvokeFunction"
                                                   : operation->name;
  return render_error({"RequestEntityTooLargeException",
                       fmt::format("Request must be smaller than {} bytes for the {} operation", limit, name), 413, true,
                       "com.amazonaws.lambda", {}});
}

protocol::Response Service::render_error(const ApiError& error) const { return protocol::rest_json_error(error); }

// Lambda's operations as the 2015-03-31 model's http traits name them (and the later API versions'
// paths the same clients use for concurrency and event invoke configs).
const protocol::RestRoutes<Service::Route>& Service::routes() {
  static const auto routes = [] {
    protocol::RestRoutes<Route> r;
    const std::string fn = "/2015-03-31/functions/{FunctionName}";
    r.add("GET", "/2015-03-31/functions", "ListFunctions", protocol::kReads, {&Service::list_functions})
        .add("POST", "/2015-03-31/functions", "CreateFunction", kWritesLarge, {&Service::create_function})
        .add("GET", fn, "GetFunction", protocol::kReads, {&Service::get_function})
        .add("DELETE", fn, "DeleteFunction", protocol::kWrites, {&Service::delete_function})
        .add("GET", fn + "/configuration", "GetFunctionConfiguration", protocol::kReads, {&Service::get_configuration})
        .add("PUT", fn + "/configuration", "UpdateFunctionConfiguration", protocol::kWrites, {&Service::update_configuration})
        .add("PUT", fn + "/code", "UpdateFunctionCode", kWritesLarge, {&Service::update_code})
        .add("POST", fn + "/invocations", "Invoke", kWritesLarge, {&Service::invoke})
        .add("POST", fn + "/policy", "AddPermission", protocol::kWrites, {&Service::add_permission})
        .add("GET", fn + "/policy", "GetPolicy", protocol::kReads, {&Service::get_policy})
        .add("DELETE", fn + "/policy/{StatementId}", "RemovePermission", protocol::kWrites, {&Service::remove_permission})
        .add("PUT", "/2017-10-31/functions/{FunctionName}/concurrency", "PutFunctionConcurrency", protocol::kWrites, {&Service::put_concurrency})
        .add("DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", "DeleteFunctionConcurrency", protocol::kWrites, {&Service::delete_concurrency})
        .add("GET", "/2019-09-30/functions/{FunctionName}/concurrency", "GetFunctionConcurrency", protocol::kReads, {&Service::get_concurrency})
        .add("PUT", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "PutFunctionEventInvokeConfig", protocol::kWrites, {&Service::put_event_invoke_config})
        // UpdateFunctionEventInvokeConfig: the same handler, which tells it from Put by the method.
        .add("POST", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "UpdateFunctionEventInvokeConfig", protocol::kWrites, {&Service::put_event_invoke_config})
        .add("GET", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "GetFunctionEventInvokeConfig", protocol::kReads, {&Service::get_event_invoke_config})
        .add("DELETE", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "DeleteFunctionEventInvokeConfig", protocol::kWrites, {&Service::delete_event_invoke_config})
        .add("POST", std::string(kMappingsPath), "CreateEventSourceMapping", protocol::kWrites, {nullptr, true})
        .add("GET", std::string(kMappingsPath), "ListEventSourceMappings", protocol::kReads, {nullptr, true})
        .add("GET", std::string(kMappingsPath) + "/{UUID}", "GetEventSourceMapping", protocol::kReads, {nullptr, true})
        .add("PUT", std::string(kMappingsPath) + "/{UUID}", "UpdateEventSourceMapping", protocol::kWrites, {nullptr, true})
        .add("DELETE", std::string(kMappingsPath) + "/{UUID}", "DeleteEventSourceMapping", protocol::kWrites, {nullptr, true});
    return r;
  }();
  return routes;
}

void Service::dispatch(protocol::RequestContext ctx, protocol::RestRequest& request, protocol::Reply reply) const {
  auto match = routes().match(request.method, request.path);
  if (!match) {
    reply(render_error({"UnknownOperationException", fmt::format("Unknown operation {} {}", request.method, request.path), 404,
                        true, "com.amazonaws.lambda", {}}));
    return;
  }
  ctx.operation = match->route->operation.name;
  const Route& route = match->route->handler;
  if (!serving_.load(std::memory_order_acquire) || (route.mapping && !esm_)) {
    reply(render_error({"ServiceException", "Lambda is starting", 503, false, "com.amazonaws.lambda", {}}));
    return;
  }
  if (route.mapping) return esm_->handle(ctx, request, match->label("UUID"), std::move(reply));
  std::string name = match->label("FunctionName");
  if (!match->label("StatementId").empty()) name += "\n" + match->label("StatementId");  // remove_permission splits it off
  (this->*route.function)(ctx, request, name, std::move(reply));
}

std::shared_ptr<const Function> Service::find(const std::string& account, const std::string& region,
                                              const std::string& name) const {
  return find_arn("arn:aws:lambda:" + region + ":" + account + ":function:" + name);
}

std::shared_ptr<const Function> Service::find_arn(std::string_view arn) const {
  // A qualified ARN (":$LATEST") names the same function.
  if (arn.ends_with(":$LATEST")) arn.remove_suffix(8);
  std::shared_lock lock(mu_);
  auto it = functions_.find(arn);
  return it == functions_.end() ? nullptr : it->second;
}

std::shared_ptr<const FunctionImage> Service::image_of(const Function& f) const {
  auto image = std::make_shared<FunctionImage>();
  image->arn = f.arn();
  image->name = f.name;
  image->region = f.region;
  image->account = f.account;
  image->handler = f.handler;
  image->code_dir = (std::filesystem::path(options_.code_root) / f.code_sha256_hex).string();
  image->revision = f.revision_id;
  image->reserved_concurrency = f.reserved_concurrency;
  image->timeout_seconds = f.timeout;
  image->memory_size = f.memory_size;
  image->ephemeral_storage = f.ephemeral_storage;
  image->environment = f.environment;
  return image;
}

void Service::put_function(storage::WriteTxn& txn, std::shared_ptr<const Function> f) {
  txn.put(storage::Family::kMeta, function_key(*f), encode_function(*f));
  auto image = image_of(*f);
  std::string arn = f->arn();
  {
    std::unique_lock lock(mu_);
    functions_[arn] = f;
    images_[arn] = image;
  }
  if (serving_.load(std::memory_order_acquire)) sandboxes_->retire(arn, f->revision_id);
}

bool Service::code_in_use(const std::string& sha_hex, const std::string& except_arn) const {
  std::shared_lock lock(mu_);
  for (const auto& [arn, f] : functions_)
    if (arn != except_arn && f->code_sha256_hex == sha_hex) return true;
  return false;
}

void Service::remove_function(storage::WriteTxn& txn, const Function& f) {
  txn.del(storage::Family::kMeta, function_key(f));
  std::string arn = f.arn();
  if (!code_in_use(f.code_sha256_hex, arn)) txn.del(storage::Family::kMeta, "lambda/c/" + f.code_sha256_hex);
  {
    std::unique_lock lock(mu_);
    functions_.erase(arn);
    images_.erase(arn);
  }
  if (serving_.load(std::memory_order_acquire)) sandboxes_->retire(arn, "");
}

void Service::update(const protocol::RequestContext& ctx, const std::string& name, std::function<Status(Function&, storage::WriteTxn&)> change,
                     std::function<protocol::Response(const Function&)> render, protocol::Reply reply) const {
  auto self = const_cast<Service*>(this);
  writer_.run<std::shared_ptr<const Function>>(
      [self, account = ctx.account, region = ctx.region, name,
       change = std::move(change)](storage::WriteTxn& txn) -> Result<std::shared_ptr<const Function>> {
        auto current = self->find(account, region, name);
        if (!current) return not_found(fmt::format("Function not found: arn:aws:lambda:{}:{}:function:{}", region, account, name));
        auto next = std::make_shared<Function>(*current);
        if (auto changed = change(*next, txn); !changed.ok()) return changed.error();
        self->put_function(txn, next);
        return std::shared_ptr<const Function>(next);
      },
      [self, render = std::move(render), reply = std::move(reply)](Result<std::shared_ptr<const Function>> updated) {
        if (!updated.ok()) return reply(self->render_error(updated.error()));
        reply(render(**updated));
      });
}

std::string Service::code_zip(std::string_view function_arn) const {
  auto f = find_arn(function_arn);
  if (!f) return {};
  auto zip = engine_.get(storage::Family::kMeta, "lambda/c/" + f->code_sha256_hex);
  return zip ? *zip : std::string();
}

}  // namespace runnel::lambda
