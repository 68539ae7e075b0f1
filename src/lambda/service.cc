#include "lambda/service.h"

#include <sys/stat.h>

#include <filesystem>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/log.h"
#include "common/percent_decode.h"
#include "lambda/code_dir.h"
#include "lambda/reply.h"

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
constexpr size_t kMaxRequestBytes = 69905067;
constexpr std::string_view kMappingsPath = "/2015-03-31/event-source-mappings";  // base64 of a 50 MB zip, as AWS's message names it

bool api_path(std::string_view path) {
  return path.starts_with("/2015-03-31/functions") || path.starts_with("/2019-09-25/functions") ||
         path.starts_with("/2017-10-31/functions") || path.starts_with("/2019-09-30/functions") ||
         path.starts_with(kMappingsPath);
}
}  // namespace

bool Service::owns_path(std::string_view path) const { return api_path(path); }

size_t Service::request_limit(std::string_view target) {
  return api_path(target) || target.starts_with("/2018-06-01/runtime/") ? kMaxRequestBytes : 0;
}

protocol::Response Service::request_too_large(std::string_view target) const {
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view operation = path.ends_with("/invocations") ? "InvokeFunction"
                               : path.ends_with("/code")      ? "UpdateFunctionCode"
                                                              : "CreateFunction";
  return render_error({"RequestEntityTooLargeException",
                       fmt::format("Request must be smaller than {} bytes for the {} operation", kMaxRequestBytes, operation),
                       413, true, "com.amazonaws.lambda", {}});
}

protocol::Response Service::render_error(const ApiError& error) const { return error_response(error); }

void Service::dispatch(protocol::RequestContext ctx, protocol::RestRequest& request, protocol::Reply reply) const {
  if (request.path.starts_with(kMappingsPath)) {
    // /2015-03-31/event-source-mappings[/][<UUID>]
    std::string_view rest = request.path.substr(kMappingsPath.size());
    if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (!esm_ || !serving_.load(std::memory_order_acquire))
      return reply(render_error({"ServiceException", "Lambda is starting", 503, false, "com.amazonaws.lambda", {}}));
    std::string uuid = percent_decode(rest);
    ctx.operation = request.method == "POST"     ? "CreateEventSourceMapping"
                    : request.method == "PUT"    ? "UpdateEventSourceMapping"
                    : request.method == "DELETE" ? "DeleteEventSourceMapping"
                    : uuid.empty()               ? "ListEventSourceMappings"
                                                 : "GetEventSourceMapping";
    return esm_->handle(ctx, request, uuid, std::move(reply));
  }
  // /<version>/functions[/<name>[/<sub>[/<id>]]]
  std::string_view path = request.path;
  std::string_view version = path.substr(0, 11);  // "/2015-03-31" or "/2019-09-25"
  path.remove_prefix(std::min(path.size(), std::string_view("/2015-03-31/functions").size()));
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::vector<std::string> parts;
  while (!path.empty()) {
    size_t slash = path.find('/');
    parts.push_back(percent_decode(path.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  const std::string_view method = request.method;
  Handler handler = nullptr;
  const char* operation = "";
  std::string name = parts.empty() ? std::string() : parts[0];
  if (version == "/2017-10-31" || version == "/2019-09-30") {
    if (parts.size() == 2 && parts[1] == "concurrency") {
      if (method == "PUT" && version == "/2017-10-31") handler = &Service::put_concurrency, operation = "PutFunctionConcurrency";
      else if (method == "DELETE" && version == "/2017-10-31") handler = &Service::delete_concurrency, operation = "DeleteFunctionConcurrency";
      else if (method == "GET" && version == "/2019-09-30") handler = &Service::get_concurrency, operation = "GetFunctionConcurrency";
    }
  } else if (version == "/2019-09-25") {
    if (parts.size() == 2 && parts[1] == "event-invoke-config") {
      if (method == "PUT" || method == "POST") handler = &Service::put_event_invoke_config, operation = "PutFunctionEventInvokeConfig";
      else if (method == "GET") handler = &Service::get_event_invoke_config, operation = "GetFunctionEventInvokeConfig";
      else if (method == "DELETE") handler = &Service::delete_event_invoke_config, operation = "DeleteFunctionEventInvokeConfig";
    }
  } else if (parts.empty()) {
    if (method == "GET") handler = &Service::list_functions, operation = "ListFunctions";
    else if (method == "POST") handler = &Service::create_function, operation = "CreateFunction";
  } else if (parts.size() == 1) {
    if (method == "GET") handler = &Service::get_function, operation = "GetFunction";
    else if (method == "DELETE") handler = &Service::delete_function, operation = "DeleteFunction";
  } else if (parts.size() == 2) {
    const std::string& sub = parts[1];
    if (sub == "configuration" && method == "GET") handler = &Service::get_configuration, operation = "GetFunctionConfiguration";
    else if (sub == "configuration" && method == "PUT") handler = &Service::update_configuration, operation = "UpdateFunctionConfiguration";
    else if (sub == "code" && method == "PUT") handler = &Service::update_code, operation = "UpdateFunctionCode";
    else if (sub == "invocations" && method == "POST") handler = &Service::invoke, operation = "Invoke";
    else if (sub == "policy" && method == "POST") handler = &Service::add_permission, operation = "AddPermission";
    else if (sub == "policy" && method == "GET") handler = &Service::get_policy, operation = "GetPolicy";
  } else if (parts.size() == 3 && parts[1] == "policy" && method == "DELETE") {
    handler = &Service::remove_permission, operation = "RemovePermission";
    name = parts[0] + "\n" + parts[2];  // remove_permission splits the statement id off again
  }
  if (!handler) {
    reply(render_error({"UnknownOperationException", fmt::format("Unknown operation {} {}", method, request.path), 404, true,
                        "com.amazonaws.lambda", {}}));
    return;
  }
  ctx.operation = operation;
  if (!serving_.load(std::memory_order_acquire)) {
    reply(render_error({"ServiceException", "Lambda is starting", 503, false, "com.amazonaws.lambda", {}}));
    return;
  }
  (this->*handler)(ctx, request, name, std::move(reply));
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
