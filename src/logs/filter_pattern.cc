#include "logs/filter_pattern.h"

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "common/json_parse.h"
#include "pattern/filter_values.h"

namespace runnel::logs {

namespace {

constexpr size_t kMaxPatternLength = 1024;  // FilterLogEvents' filterPattern, max 1,024
constexpr int kMaxDepth = 32;

ApiError invalid(std::string why) {
  // [unverified wording] the code is what AWS's model lists for FilterLogEvents; the text is ours.
  return {"InvalidParameterException", "Invalid filter pattern: " + why, 400, true, "", {}};
}

std::optional<double> to_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// --- conditions (JSON and space-delimited patterns) ---------------------------------------------

struct Step {
  std::string name;  // a member name, or empty for an index
  int index = -1;
};

enum class Op { kEq, kNe, kLt, kGt, kLe, kGe, kIsNull, kIsTrue, kIsFalse, kNotExists };

struct Condition {
  std::vector<Step> path;  // JSON: $.a.b[0]; space-delimited: one step naming the field
  Op op = Op::kEq;
  std::optional<double> number;  // the right-hand side, when a number
  pattern::filter_values::Glob text;  // the right-hand side, when a string: split at its * wildcards
};

struct Node {
  enum class Kind { kCondition, kAnd, kOr } kind = Kind::kCondition;
  Condition condition;
  std::unique_ptr<Node> left, right;
};

// A value a condition looks at: a JSON value, or a space-delimited field's text.
struct Subject {
  const rapidjson::Value* json = nullptr;
  std::optional<std::string_view> field;
};

bool compare(const Condition& c, const Subject& s) {
  const rapidjson::Value* v = s.json;
  const bool exists = v != nullptr || s.field.has_value();
  switch (c.op) {
    case Op::kNotExists: return !exists;
    case Op::kIsNull: return v && v->IsNull();
    case Op::kIsTrue: return v && v->IsBool() && v->GetBool();
    case Op::kIsFalse: return v && v->IsBool() && !v->GetBool();
    default: break;
  }
  if (!exists) return false;
  std::optional<double> number;
  std::optional<std::string_view> text;
  if (v) {
    if (v->IsNumber()) number = v->GetDouble();
    if (v->IsString()) text = std::string_view(v->GetString(), v->GetStringLength());
  } else {
    text = *s.field;
    number = to_number(*s.field);
  }
  if (c.number) {
    if (!number) return c.op == Op::kNe;
    switch (c.op) {
      case Op::kEq: return *number == *c.number;
      case Op::kNe: return *number != *c.number;
      case Op::kLt: return *number < *c.number;
      case Op::kGt: return *number > *c.number;
      case Op::kLe: return *number <= *c.number;
      case Op::kGe: return *number >= *c.number;
      default: return false;
    }
  }
  if (!text) return c.op == Op::kNe;
  bool equal = pattern::filter_values::glob_matches(c.text, *text);
  return c.op == Op::kEq ? equal : c.op == Op::kNe ? !equal : false;
}

class ConditionParser {
 public:
  // `json`: selectors are $-paths; otherwise field names of a space-delimited pattern.
  ConditionParser(std::string_view text, bool json) : s_(text), json_(json) {}

  Result<std::unique_ptr<Node>> parse_or(int depth) {
    if (depth > kMaxDepth) return invalid("nested deeper than 32 levels");
    auto left = parse_and(depth);
    if (!left.ok()) return left;
    std::unique_ptr<Node> node = std::move(left).value();
    while (eat("||")) {
      auto right = parse_and(depth);
      if (!right.ok()) return right;
      auto parent = std::make_unique<Node>();
      parent->kind = Node::Kind::kOr;
      parent->left = std::move(node);
      parent->right = std::move(right).value();
      node = std::move(parent);
    }
    return node;
  }

  bool at_end() {
    skip_space();
    return pos_ >= s_.size();
  }
  size_t pos() const { return pos_; }

 private:
  Result<std::unique_ptr<Node>> parse_and(int depth) {
    auto left = parse_primary(depth);
    if (!left.ok()) return left;
    std::unique_ptr<Node> node = std::move(left).value();
    while (eat("&&")) {
      auto right = parse_primary(depth);
      if (!right.ok()) return right;
      auto parent = std::make_unique<Node>();
      parent->kind = Node::Kind::kAnd;
      parent->left = std::move(node);
      parent->right = std::move(right).value();
      node = std::move(parent);
    }
    return node;
  }

  Result<std::unique_ptr<Node>> parse_primary(int depth) {
    if (eat("(")) {
      auto inner = parse_or(depth + 1);
      if (!inner.ok()) return inner;
      if (!eat(")")) return invalid("a '(' is not closed");
      return inner;
    }
    auto node = std::make_unique<Node>();
    Condition& c = node->condition;
    auto path = parse_selector();
    if (!path.ok()) return path.error();
    c.path = std::move(path).value();
    if (eat_word("IS")) {
      if (eat_word("NULL")) c.op = Op::kIsNull;
      else if (eat_word("TRUE")) c.op = Op::kIsTrue;
      else if (eat_word("FALSE")) c.op = Op::kIsFalse;
      else return invalid("IS takes NULL, TRUE or FALSE");
      return node;
    }
    if (eat_word("NOT")) {
      if (!eat_word("EXISTS")) return invalid("NOT takes EXISTS");
      c.op = Op::kNotExists;
      return node;
    }
    if (eat("!=")) c.op = Op::kNe;
    else if (eat("<=")) c.op = Op::kLe;
    else if (eat(">=")) c.op = Op::kGe;
    else if (eat("=")) c.op = Op::kEq;
    else if (eat("<")) c.op = Op::kLt;
    else if (eat(">")) c.op = Op::kGt;
    else return invalid("expected a comparison after the selector");
    skip_space();
    std::string text;
    if (pos_ < s_.size() && s_[pos_] == '"') {
      auto quoted = parse_quoted();
      if (!quoted.ok()) return quoted.error();
      text = std::move(quoted).value();
    } else {
      size_t start = pos_;
      while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_])) && s_[pos_] != ')' &&
             s_[pos_] != '}' && s_[pos_] != ',' && s_[pos_] != ']' && s_[pos_] != '&' && s_[pos_] != '|')
        ++pos_;
      std::string_view word = s_.substr(start, pos_ - start);
      if (word.empty()) return invalid("expected a value");
      c.number = to_number(word);
      if (!c.number) text = std::string(word);
    }
    if (c.op != Op::kEq && c.op != Op::kNe && !c.number) return invalid("<, >, <= and >= compare numbers");
    if (!c.number) {
      int wildcards = 0;
      if (auto bad = pattern::filter_values::parse_glob(text, c.text, wildcards)) return invalid(*bad);
    }
    return node;
  }

  Result<std::vector<Step>> parse_selector() {
    skip_space();
    std::vector<Step> path;
    if (!json_) {
      std::string name = read_name();
      if (name.empty()) return invalid("expected a field name");
      path.push_back({std::move(name), -1});
      return path;
    }
    if (pos_ >= s_.size() || s_[pos_] != '$') return invalid("a JSON selector starts with $");
    ++pos_;
    while (pos_ < s_.size() && (s_[pos_] == '.' || s_[pos_] == '[')) {
      if (s_[pos_] == '.') {
        ++pos_;
        std::string name = read_name();
        if (name.empty()) return invalid("a '.' in a selector names no field");
        path.push_back({std::move(name), -1});
      } else {
        ++pos_;
        size_t start = pos_;
        while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
        if (start == pos_ || pos_ >= s_.size() || s_[pos_] != ']') return invalid("a selector's [index] takes digits");
        int index = 0;
        std::from_chars(s_.data() + start, s_.data() + pos_, index);
        ++pos_;
        path.push_back({"", index});
      }
      if (path.size() > static_cast<size_t>(kMaxDepth)) return invalid("a selector deeper than 32 levels");
    }
    if (path.empty()) return invalid("a selector names no field");
    return path;
  }

  std::string read_name() {
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' || s_[pos_] == '-' ||
                                s_[pos_] == '@' || s_[pos_] == ':'))
      ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  Result<std::string> parse_quoted() {
    ++pos_;  // the opening quote
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out.push_back(s_[pos_++]);
    }
    if (pos_ >= s_.size()) return invalid("a quoted value is not closed");
    ++pos_;
    return out;
  }

  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(std::string_view token) {
    skip_space();
    if (s_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  bool eat_word(std::string_view word) {
    skip_space();
    if (s_.substr(pos_, word.size()) != word) return false;
    size_t after = pos_ + word.size();
    if (after < s_.size() && std::isalnum(static_cast<unsigned char>(s_[after]))) return false;
    pos_ = after;
    return true;
  }

  std::string_view s_;
  bool json_;
  size_t pos_ = 0;
};

const rapidjson::Value* follow(const rapidjson::Value& root, const std::vector<Step>& path) {
  const rapidjson::Value* v = &root;
  for (const Step& step : path) {
    if (step.index >= 0) {
      if (!v->IsArray() || static_cast<rapidjson::SizeType>(step.index) >= v->Size()) return nullptr;
      v = &(*v)[static_cast<rapidjson::SizeType>(step.index)];
    } else {
      if (!v->IsObject()) return nullptr;
      auto it = v->FindMember(rapidjson::StringRef(step.name.data(), step.name.size()));
      if (it == v->MemberEnd()) return nullptr;
      v = &it->value;
    }
  }
  return v;
}

template <class Resolve>
bool evaluate(const Node& node, const Resolve& resolve) {
  switch (node.kind) {
    case Node::Kind::kAnd: return evaluate(*node.left, resolve) && evaluate(*node.right, resolve);
    case Node::Kind::kOr: return evaluate(*node.left, resolve) || evaluate(*node.right, resolve);
    case Node::Kind::kCondition: return compare(node.condition, resolve(node.condition.path));
  }
  return false;
}

// A space-delimited event's fields: runs of non-spaces, "quoted" and [bracketed] runs one field
// each (without their quotes or brackets).
std::vector<std::string_view> split_fields(std::string_view message) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < message.size()) {
    while (i < message.size() && message[i] == ' ') ++i;
    if (i >= message.size()) break;
    char close = message[i] == '"' ? '"' : message[i] == '[' ? ']' : 0;
    if (close) {
      size_t end = message.find(close, i + 1);
      if (end != std::string_view::npos) {
        fields.push_back(message.substr(i + 1, end - i - 1));
        i = end + 1;
        continue;
      }
    }
    size_t end = message.find(' ', i);
    if (end == std::string_view::npos) end = message.size();
    fields.push_back(message.substr(i, end - i));
    i = end;
  }
  return fields;
}

}  // namespace

struct FilterPattern::Impl {
  enum class Mode { kAll, kTerms, kJson, kSpaceDelimited } mode = Mode::kAll;
  // Terms.
  struct Term {
    std::string text;
    char kind = 0;  // 0: must appear, '?': one of these must, '-': must not
  };
  std::vector<Term> terms;
  // JSON.
  std::unique_ptr<Node> json;
  // Space-delimited: the field names in order ("..." for any number of fields; at most one), and
  // the conditions on them.
  std::vector<std::string> fields;
  std::vector<std::unique_ptr<Node>> conditions;
};

FilterPattern::FilterPattern(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
FilterPattern::FilterPattern(FilterPattern&&) noexcept = default;
FilterPattern& FilterPattern::operator=(FilterPattern&&) noexcept = default;
FilterPattern::~FilterPattern() = default;

Result<FilterPattern> FilterPattern::parse(std::string_view pattern) {
  if (pattern.size() > kMaxPatternLength) return invalid("longer than 1024 characters");
  auto impl = std::make_shared<Impl>();
  size_t first = pattern.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return FilterPattern(impl);
  size_t last = pattern.find_last_not_of(" \t\r\n");
  std::string_view body = pattern.substr(first, last - first + 1);

  if (body.front() == '{') {
    if (body.back() != '}') return invalid("a JSON pattern ends with }");
    ConditionParser parser(body.substr(1, body.size() - 2), true);
    auto tree = parser.parse_or(0);
    if (!tree.ok()) return tree.error();
    if (!parser.at_end()) return invalid("unexpected text in the JSON pattern");
    impl->mode = Impl::Mode::kJson;
    impl->json = std::move(tree).value();
    return FilterPattern(impl);
  }

  if (body.front() == '[') {
    if (body.back() != ']') return invalid("a space-delimited pattern ends with ]");
    std::string_view inside = body.substr(1, body.size() - 2);
    bool ellipsis = false;
    while (true) {
      size_t comma = inside.find(',');
      std::string_view field = inside.substr(0, comma);
      size_t a = field.find_first_not_of(' '), b = field.find_last_not_of(' ');
      field = a == std::string_view::npos ? std::string_view() : field.substr(a, b - a + 1);
      if (field.empty()) return invalid("an empty field in a space-delimited pattern");
      if (field == "...") {
        if (ellipsis) return invalid("more than one ... in a space-delimited pattern");
        ellipsis = true;
        impl->fields.emplace_back("...");
      } else {
        size_t name_end = 0;
        while (name_end < field.size() && (std::isalnum(static_cast<unsigned char>(field[name_end])) ||
                                           field[name_end] == '_' || field[name_end] == '-'))
          ++name_end;
        if (name_end == 0) return invalid("a field in a space-delimited pattern has no name");
        impl->fields.emplace_back(field.substr(0, name_end));
        if (field.find_first_not_of(' ', name_end) != std::string_view::npos) {
          ConditionParser parser(field, false);
          auto tree = parser.parse_or(0);
          if (!tree.ok()) return tree.error();
          if (!parser.at_end()) return invalid("unexpected text in a field's condition");
          impl->conditions.push_back(std::move(tree).value());
        }
      }
      if (impl->fields.size() > 200) return invalid("more than 200 fields");
      if (comma == std::string_view::npos) break;
      inside.remove_prefix(comma + 1);
    }
    impl->mode = Impl::Mode::kSpaceDelimited;
    return FilterPattern(impl);
  }

  if (body.front() == '%') return invalid("regular expressions are not supported");
  impl->mode = Impl::Mode::kTerms;
  size_t i = 0;
  while (i < body.size()) {
    while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
    if (i >= body.size()) break;
    Impl::Term term;
    if (body[i] == '?' || body[i] == '-') term.kind = body[i++];
    if (i < body.size() && body[i] == '"') {
      size_t end = i + 1;
      while (end < body.size() && body[end] != '"') {
        if (body[end] == '\\' && end + 1 < body.size()) ++end;
        term.text.push_back(body[end++]);
      }
      if (end >= body.size()) return invalid("a quoted term is not closed");
      i = end + 1;
    } else {
      size_t end = i;
      while (end < body.size() && !std::isspace(static_cast<unsigned char>(body[end]))) ++end;
      term.text = std::string(body.substr(i, end - i));
      i = end;
    }
    if (term.text.empty()) return invalid("an empty term");
    impl->terms.push_back(std::move(term));
  }
  return FilterPattern(impl);
}

bool FilterPattern::matches(std::string_view message) const {
  const Impl& p = *impl_;
  switch (p.mode) {
    case Impl::Mode::kAll: return true;
    case Impl::Mode::kTerms: {
      bool any_or = false, or_matched = false;
      for (const auto& term : p.terms) {
        bool present = message.find(term.text) != std::string_view::npos;
        if (term.kind == '-' && present) return false;
        if (term.kind == 0 && !present) return false;
        if (term.kind == '?') {
          any_or = true;
          or_matched |= present;
        }
      }
      return !any_or || or_matched;
    }
    case Impl::Mode::kJson: {
      rapidjson::Document doc;
      if (!json::parse(doc, message) || !doc.IsObject()) return false;
      return evaluate(*p.json, [&doc](const std::vector<Step>& path) { return Subject{follow(doc, path), std::nullopt}; });
    }
    case Impl::Mode::kSpaceDelimited: {
      std::vector<std::string_view> values = split_fields(message);
      // Field name -> value: those before "..." from the front, those after it from the back.
      size_t named = 0;
      for (const auto& f : p.fields) named += f != "...";
      bool ellipsis = named != p.fields.size();
      if (ellipsis ? values.size() < named : values.size() != named) return false;
      auto value_of = [&](std::string_view name) -> std::optional<std::string_view> {
        size_t at = 0;
        for (; at < p.fields.size() && p.fields[at] != name; ++at) {
        }
        if (at == p.fields.size()) return std::nullopt;
        size_t dots = 0;
        for (; dots < p.fields.size() && p.fields[dots] != "..."; ++dots) {
        }
        if (at < dots) return values[at];
        return values[values.size() - (p.fields.size() - at)];
      };
      for (const auto& condition : p.conditions) {
        bool ok = evaluate(*condition, [&](const std::vector<Step>& path) {
          return Subject{nullptr, value_of(path.front().name)};
        });
        if (!ok) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace runnel::logs
