#include "protocol/query_model.h"

#include <cstdio>
#include <cstdlib>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace runnel::protocol {

namespace {

ApiError model_error(std::string message) { return ApiError::internal("query model: " + std::move(message)); }

std::string_view str(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

const rapidjson::Value* find(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string string_at(const rapidjson::Value& object, const char* key) {
  const auto* v = find(object, key);
  return v && v->IsString() ? std::string(str(*v)) : std::string();
}

Result<ShapeType> shape_type(std::string_view name) {
  static const std::map<std::string_view, ShapeType> kTypes = {
      {"structure", ShapeType::kStructure}, {"list", ShapeType::kList},       {"map", ShapeType::kMap},
      {"string", ShapeType::kString},       {"integer", ShapeType::kInteger}, {"long", ShapeType::kLong},
      {"boolean", ShapeType::kBoolean},     {"blob", ShapeType::kBlob},       {"timestamp", ShapeType::kTimestamp},
      {"double", ShapeType::kDouble},       {"float", ShapeType::kFloat}};
  auto it = kTypes.find(name);
  if (it == kTypes.end()) return model_error("unknown shape type " + std::string(name));
  return it->second;
}

}  // namespace

Result<std::unique_ptr<QueryModel>> QueryModel::parse(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) return model_error(rapidjson::GetParseError_En(doc.GetParseError()));
  const auto* metadata = find(doc, "metadata");
  const auto* operations = find(doc, "operations");
  const auto* shapes = find(doc, "shapes");
  if (!metadata || !operations || !operations->IsObject() || !shapes || !shapes->IsObject()) {
    return model_error("metadata, operations and shapes are required");
  }
  std::unique_ptr<QueryModel> model(new QueryModel());
  model->api_version_ = string_at(*metadata, "apiVersion");
  model->xml_namespace_ = string_at(*metadata, "xmlNamespace");

  // First every shape by name, so references can point at shapes defined later.
  for (const auto& s : shapes->GetObject()) {
    const auto* type = find(s.value, "type");
    if (!type || !type->IsString()) return model_error("shape without type: " + std::string(str(s.name)));
    RUNNEL_TRY(ShapeType t, shape_type(str(*type)));
    QueryShape& shape = model->shapes_[std::string(str(s.name))];
    shape.name = str(s.name);
    shape.type = t;
  }
  auto resolve = [&model](const rapidjson::Value* ref, std::string_view where) -> Result<ShapeRef> {
    if (!ref || !ref->IsObject()) return model_error("missing reference in " + std::string(where));
    std::string target = string_at(*ref, "shape");
    auto it = model->shapes_.find(target);
    if (it == model->shapes_.end()) return model_error("unknown shape " + target + " in " + std::string(where));
    ShapeRef out;
    out.shape = &it->second;
    out.location_name = string_at(*ref, "locationName");
    const auto* flattened = find(*ref, "flattened");
    out.flattened = flattened && flattened->IsBool() && flattened->GetBool();
    return out;
  };
  for (const auto& s : shapes->GetObject()) {
    QueryShape& shape = model->shapes_.find(str(s.name))->second;
    switch (shape.type) {
      case ShapeType::kStructure: {
        const auto* members = find(s.value, "members");
        if (!members || !members->IsObject()) return model_error("structure without members: " + shape.name);
        for (const auto& m : members->GetObject()) {
          RUNNEL_TRY(ShapeRef ref, resolve(&m.value, shape.name));
          shape.members.push_back({std::string(str(m.name)), std::move(ref)});
        }
        break;
      }
      case ShapeType::kList: {
        RUNNEL_TRY(shape.member, resolve(find(s.value, "member"), shape.name));
        break;
      }
      case ShapeType::kMap: {
        RUNNEL_TRY(shape.key, resolve(find(s.value, "key"), shape.name));
        RUNNEL_TRY(shape.value, resolve(find(s.value, "value"), shape.name));
        break;
      }
      default:
        break;
    }
  }
  for (const auto& o : operations->GetObject()) {
    QueryOperation op;
    op.name = str(o.name);
    for (auto [key, slot] : {std::pair{"input", &op.input}, std::pair{"output", &op.output}}) {
      std::string shape = string_at(o.value, key);
      if (shape.empty()) continue;
      auto it = model->shapes_.find(shape);
      if (it == model->shapes_.end() || it->second.type != ShapeType::kStructure) {
        return model_error(op.name + " " + key + " is not a structure: " + shape);
      }
      *slot = &it->second;
    }
    op.result_wrapper = string_at(o.value, "resultWrapper");
    model->operations_.emplace(op.name, std::move(op));
  }
  if (const auto* errors = find(doc, "errors"); errors && errors->IsObject()) {
    for (const auto& e : errors->GetObject()) {
      ModelError err;
      err.code = string_at(e.value, "code");
      if (const auto* status = find(e.value, "status"); status && status->IsInt()) err.http_status = status->GetInt();
      const auto* sender = find(e.value, "senderFault");
      err.sender_fault = sender && sender->IsBool() && sender->GetBool();
      model->errors_.emplace(std::string(str(e.name)), std::move(err));
    }
  }
  return model;
}

const QueryOperation* QueryModel::operation(std::string_view name) const {
  auto it = operations_.find(name);
  return it == operations_.end() ? nullptr : &it->second;
}

const ModelError* QueryModel::error(std::string_view shape_name) const {
  auto it = errors_.find(shape_name);
  return it == errors_.end() ? nullptr : &it->second;
}

ApiError QueryModel::exception(std::string_view shape_name, std::string message, std::string json_namespace) const {
  ApiError e{std::string(shape_name), std::move(message), 400, true, std::move(json_namespace), {}};
  if (const ModelError* m = error(shape_name)) {
    e.http_status = m->http_status;
    e.sender_fault = m->sender_fault;
    if (m->code != e.code) e.query_code = m->code;
  }
  return e;
}

namespace {

const QueryModel& load_embedded(std::string_view json, const char* name) {
  auto model = QueryModel::parse(json);
  if (!model.ok()) {
    // The embedded model is part of the binary: failing to parse it is a build bug.
    std::fprintf(stderr, "runnel: embedded %s model: %s\n", name, model.error().message.c_str());
    std::abort();
  }
  return *std::move(model).value().release();  // lives until exit
}

}  // namespace

const QueryModel& QueryModel::sqs() {
  static const QueryModel& model = load_embedded(embedded_sqs_model(), "sqs");
  return model;
}

const QueryModel& QueryModel::sns() {
  static const QueryModel& model = load_embedded(embedded_sns_model(), "sns");
  return model;
}

}  // namespace runnel::protocol
