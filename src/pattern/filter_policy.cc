// SNS filter policies. Sources, cited below by these short names:
//   [policies]    https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html
//   [constraints] https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
//   [strings]     https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html
//   [numbers]     https://docs.aws.amazon.com/sns/latest/dg/numeric-value-matching.html
//   [keys]        https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html
//   [or]          https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html
//   [ruler]       github.com/aws/event-ruler: JsonRuleCompiler.java (every validation message below
//                 that the SNS guide does not give), ComparableNumber.java, CIDR.java,
//                 input/WildcardParser.java, README.md ("JSON Array Matching", "$or").
//   [recorded]    error messages AWS returned, as recorded by LocalStack's AWS-validated snapshots
//                 (tests/aws/services/sns/test_sns_filter_policy.snapshot.json, May 2024).
#include "pattern/filter_policy.h"
#include "pattern/filter_values.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace runnel::pattern {

namespace {

constexpr size_t kMaxPolicyBytes = 256 * 1024;  // [constraints] "The maximum size of a filter policy is 256 KB"
constexpr size_t kMaxKeys = 5;                  // [constraints] "a maximum of five keys"; leaf keys when nested
constexpr int64_t kMaxCombinations = 150;       // [constraints] "must not exceed 150"
constexpr int kMaxWildcardsPerPattern = 3;      // [constraints] "Maximum 3 wildcards per pattern"
constexpr int64_t kMaxWildcardPoints = 100;     // [constraints] "must not exceed 100 points"
constexpr size_t kMaxJsonDepth = 1000;          // Jackson's default maximum nesting depth
constexpr int kMaxMatchSteps = 100'000;         // bound on the array-consistency search per branch
constexpr const char* kTooManyElements = "Too many elements in numeric expression";

ApiError invalid(std::string reason) {
  return {"InvalidParameter", "Invalid parameter: FilterPolicy: " + reason, 400, true, "", {}};
}

using namespace filter_values;  // numbers, IP addresses, case folding, wildcards

// ---- JSON --------------------------------------------------------------------------------------

enum class Kind : uint8_t { kNull, kFalse, kTrue, kNumber, kString, kArray, kObject };

// A parsed JSON value that keeps numbers as written (3.0e2 stays "3.0e2") and members in order.
// Members are a struct of their own, not std::pair<std::string, Json>: a pair needs Json complete
// where a vector does not (clang's libFuzzer build refuses the pair).
struct Member;
struct Json {
  Kind kind = Kind::kNull;
  std::string text;  // string contents, number text, or "null"/"true"/"false"
  std::vector<Json> items;
  std::vector<Member> members;

  static Json make(Kind kind, std::string text = {});
  // What Jackson's getText() shows for this token in event-ruler's messages.
  std::string token_text() const {
    if (kind == Kind::kArray) return "[";
    if (kind == Kind::kObject) return "{";
    return text;
  }
};

struct Member {
  std::string first;
  Json second;
};

Json Json::make(Kind kind, std::string text) {
  Json j;
  j.kind = kind;
  j.text = std::move(text);
  return j;
}

// Strict JSON (RFC 8259, valid UTF-8), iteratively so that nesting cannot overflow the stack.
template <typename Handler>
rapidjson::ParseResult sax_parse(std::string_view text, Handler& handler) {
  rapidjson::MemoryStream ms(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
  rapidjson::Reader reader;
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseValidateEncodingFlag;
  return reader.Parse<kFlags>(in, handler);
}

class TreeBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TreeBuilder> {
 public:
  bool Null() { return add(Json::make(Kind::kNull, "null")); }
  bool Bool(bool b) { return add(Json::make(b ? Kind::kTrue : Kind::kFalse, b ? "true" : "false")); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return add(Json::make(Kind::kNumber, {s, n})); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return add(Json::make(Kind::kString, {s, n})); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    keys_.back().assign(s, n);
    return true;
  }
  bool StartObject() { return open(Kind::kObject); }
  bool StartArray() { return open(Kind::kArray); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  Json root;
  bool too_deep = false;

 private:
  bool open(Kind kind) {
    if (stack_.size() >= kMaxJsonDepth) {
      too_deep = true;
      return false;
    }
    stack_.push_back(Json::make(kind));
    keys_.emplace_back();
    return true;
  }
  bool close() {
    Json done = std::move(stack_.back());
    stack_.pop_back();
    keys_.pop_back();
    return add(std::move(done));
  }
  bool add(Json value) {
    if (stack_.empty()) {
      root = std::move(value);
    } else if (stack_.back().kind == Kind::kArray) {
      stack_.back().items.push_back(std::move(value));
    } else {
      stack_.back().members.push_back(Member{std::move(keys_.back()), std::move(value)});
    }
    return true;
  }
  std::vector<Json> stack_;
  std::vector<std::string> keys_;
};

// ---- The compiled policy -----------------------------------------------------------------------

enum class Op : uint8_t {
  kString, kNumber, kLiteral, kPrefix, kSuffix, kEqualsIgnoreCase, kWildcard, kNumeric, kCidr,
  kExists, kAbsent, kButStrings, kButNumbers, kButPrefix, kButSuffix, kButWildcard,
};

struct Pattern {
  Op op = Op::kString;
  std::string text;                 // operand; kLiteral: "true"/"false"/"null"; kEqualsIgnoreCase: folded
  std::optional<int64_t> micros;    // kNumber, when comparable
  std::string ip_low, ip_high;      // kCidr, and kString when its text is an IP address literal
  std::optional<int64_t> low, high; // kNumeric bounds
  bool low_open = false, high_open = false;
  std::vector<std::string> strings; // kButStrings, kButPrefix, kButSuffix
  std::vector<int64_t> numbers;     // kButNumbers
  std::vector<Glob> globs;          // kWildcard (one), kButWildcard
  int wildcards = 0;                // most wildcards in one glob
};

struct Leaf {
  std::string path;  // keys joined with '.', as event-ruler joins them ([ruler] README)
  int depth = 1;     // nesting level, for the complexity count
  std::vector<Pattern> patterns;
  bool absent_ok = false;  // has {"exists": false}
};

using Branch = std::vector<size_t>;  // leaf indexes, one per path: all must match

// One scalar of the message as event-ruler sees it.
struct Value {
  Kind kind;
  std::string text;
  std::optional<int64_t> micros;                      // numbers within +-5e9
  std::vector<std::pair<uint32_t, uint32_t>> arrays;  // enclosing arrays (id, element), outermost first
};

}  // namespace

struct FilterPolicy::Compiled {
  std::vector<Leaf> leaves;
  std::vector<Branch> branches;  // any may match; none: the policy is "{}" and matches everything
  std::unordered_set<std::string> paths;
};

namespace {

// ---- Compiling: event-ruler's checks, in its order ---------------------------------------------

struct Node;
struct Item {
  size_t leaf = 0;                 // a field, or
  std::vector<Node> alternatives;  // a "$or"
};
struct Node {
  std::vector<Item> items;  // all must match
};

// [or] "$or" means OR only with an array of 2+ objects none of which uses a reserved keyword as a
// field name ([ruler] Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP); otherwise it is a plain key.
bool uses_reserved_name(const Json& object) {
  static const std::unordered_set<std::string> kReserved = {
      "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard", "numeric", "cidr",
      "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case", "date-after",
      "date-on-or-after", "date-before", "date-on-or-before", "in-date-range", "ip-address-in-range",
      "ip-address-not-in-range"};
  for (const auto& [name, value] : object.members) {
    if (kReserved.count(name)) return true;
    if (value.kind == Kind::kObject && uses_reserved_name(value)) return true;
    if (name == "$or" && value.kind == Kind::kArray) {
      for (const Json& e : value.items)
        if (e.kind == Kind::kObject && uses_reserved_name(e)) return true;
    }
  }
  return false;
}

bool is_or(const Json& v) {
  return v.kind == Kind::kArray && v.items.size() >= 2 && std::all_of(v.items.begin(), v.items.end(), [](const Json& e) {
           return e.kind == Kind::kObject && !uses_reserved_name(e);
         });
}

class Compiler {
 public:
  std::vector<Leaf> leaves;
  std::string error;
  bool nested = false;  // an object value that is not a "$or" branch

  bool object(const Json& o, const std::string& prefix, int depth, Node& node) {
    if (o.members.empty()) return fail("Empty objects are not allowed");
    for (const auto& [name, value] : o.members) {
      if (name == "$or" && is_or(value)) {
        Item item;
        for (const Json& branch : value.items) {
          item.alternatives.emplace_back();
          if (!object(branch, prefix, depth, item.alternatives.back())) return false;
        }
        node.items.push_back(std::move(item));
      } else if (value.kind == Kind::kObject) {
        nested = true;
        if (!object(value, prefix + name + ".", depth + 1, node)) return false;
      } else if (value.kind == Kind::kArray) {
        if (!leaf(value, prefix + name, depth, node)) return false;
      } else {
        return fail(fmt::format("\"{}\" must be an object or an array", name));
      }
    }
    return true;
  }

 private:
  bool fail(std::string reason) {
    error = std::move(reason);
    return false;
  }

  bool leaf(const Json& array, std::string path, int depth, Node& node) {
    Leaf l;
    l.path = std::move(path);
    l.depth = depth;
    for (const Json& v : array.items) {
      Pattern p;
      if (v.kind == Kind::kObject) {
        if (!expression(v, p)) return false;
      } else if (v.kind == Kind::kArray) {
        return fail("Match value must be String, number, true, false, or null");
      } else {
        p.op = v.kind == Kind::kString ? Op::kString : v.kind == Kind::kNumber ? Op::kNumber : Op::kLiteral;
        p.text = v.text;
        // A number matches numerically, or by its text when not comparable ([ruler] writeRules).
        if (v.kind == Kind::kNumber) p.micros = to_micros(v.text);
        // A string that is an IP address matches that address however written ([ruler] writeRules).
        std::string ip;
        if (v.kind == Kind::kString && parse_ip(v.text, ip) == IpText::kOk) p.ip_low = p.ip_high = ip;
      }
      l.absent_ok |= p.op == Op::kAbsent;
      l.patterns.push_back(std::move(p));
    }
    if (l.patterns.empty()) return fail("Empty arrays are not allowed");
    node.items.push_back(Item{leaves.size(), {}});
    leaves.push_back(std::move(l));
    return true;
  }

  bool expression(const Json& o, Pattern& p) {
    if (o.members.empty()) return fail("Match expression name not found");
    const auto& [name, v] = o.members.front();
    const char* extra_key = "Only one key allowed in match expression";
    if (name == "prefix" || name == "suffix" || name == "equals-ignore-case" || name == "wildcard") {
      if (v.kind != Kind::kString) return fail(name + " match pattern must be a string");
      p.op = name == "prefix" ? Op::kPrefix : name == "suffix" ? Op::kSuffix : name == "wildcard" ? Op::kWildcard
                                                                              : Op::kEqualsIgnoreCase;
      p.text = p.op == Op::kEqualsIgnoreCase ? fold_case(v.text) : v.text;
      if (p.op == Op::kWildcard && !glob(v.text, p)) return false;
    } else if (name == "numeric") {
      if (v.kind != Kind::kArray) return fail("Value of numeric must be an array.");
      if (!numeric(v.items, p)) return false;
      extra_key = kTooManyElements;
    } else if (name == "anything-but") {
      if (!anything_but(v, p)) return false;
      extra_key = kTooManyElements;
    } else if (name == "exists") {
      if (v.kind != Kind::kTrue && v.kind != Kind::kFalse) return fail("exists match pattern must be either true or false.");
      p.op = v.kind == Kind::kTrue ? Op::kExists : Op::kAbsent;
    } else if (name == "cidr") {
      if (v.kind != Kind::kString) return fail("prefix match pattern must be a string");  // sic, [ruler]
      if (!cidr(v.text, p)) return false;
    } else {
      return fail("Unrecognized match type " + name);
    }
    if (o.members.size() > 1) return fail(extra_key);
    return true;
  }

  bool glob(const std::string& text, Pattern& p) {
    Glob g;
    int wildcards = 0;
    if (auto e = parse_glob(text, g, wildcards)) return fail(*e);
    p.globs.push_back(std::move(g));
    p.wildcards = std::max(p.wildcards, wildcards);
    return true;
  }

  bool comparable(const std::string& text, int64_t& out) {
    auto micros = to_micros(text);
    if (!micros) return fail("Value must be between -5.0E9 and 5.0E9, inclusive");
    out = *micros;
    return true;
  }

  // [ruler] processNumericMatchExpression / completeNumericRange, message for message.
  bool numeric(const std::vector<Json>& t, Pattern& p) {
    auto text = [&](size_t i) { return i < t.size() ? t[i].token_text() : std::string("]"); };
    auto number = [&](size_t i) { return i < t.size() && t[i].kind == Kind::kNumber; };
    if (t.empty() || t[0].kind != Kind::kString) return fail("Invalid member in numeric match: " + text(0));
    const std::string& op = t[0].text;
    p.op = Op::kNumeric;
    int64_t value = 0;
    if (op == "=" || op == "<" || op == "<=") {
      if (!number(1)) return fail("Value of " + (op == "=" ? std::string("equals") : op) + " must be numeric");
      if (t.size() > 2) return fail(kTooManyElements);
      if (!comparable(t[1].text, value)) return false;
      if (op == "=") p.low = value;
      p.high = value;
      p.high_open = op == "<";
      return true;
    }
    if (op != ">" && op != ">=") return fail("Unrecognized numeric range operator: " + op);
    if (!number(1)) return fail("Value of " + op + " must be numeric");
    p.low_open = op == ">";
    if (t.size() == 2) {
      if (!comparable(t[1].text, value)) return false;
      p.low = value;
      return true;
    }
    if (t[2].kind != Kind::kString) return fail("Bad value in numeric range: " + text(2));
    const std::string& top_op = t[2].text;
    if (top_op != "<" && top_op != "<=") return fail("Bad numeric range operator: " + top_op);
    if (!number(3)) return fail("Value of " + top_op + " must be numeric");
    if (t.size() > 4) return fail("Too many terms in numeric range expression");
    int64_t top = 0;
    if (!comparable(t[1].text, value) || !comparable(t[3].text, top)) return false;
    if (value >= top) return fail("Bottom must be less than top");
    p.low = value;
    p.high = top;
    p.high_open = top_op == "<";
    return true;
  }

  // [ruler] anything-but: a string or number, a list of only strings or only numbers, or an object
  // with prefix, suffix or wildcard ([strings] documents those three).
  bool anything_but(const Json& v, Pattern& p) {
    if (v.kind == Kind::kObject) {
      if (v.members.empty()) return fail("Anything-But expression name not found");
      const auto& [name, inner] = v.members.front();
      if (name != "prefix" && name != "suffix" && name != "wildcard") return fail("Unsupported anything-but pattern: " + name);
      p.op = name == "prefix" ? Op::kButPrefix : name == "suffix" ? Op::kButSuffix : Op::kButWildcard;
      std::vector<const Json*> values;
      if (inner.kind == Kind::kArray) {
        for (const Json& e : inner.items) values.push_back(&e);
      } else {
        values.push_back(&inner);
      }
      for (const Json* e : values) {
        if (e->kind != Kind::kString) return fail(name + " match pattern must be a string");  // [recorded] for prefix
        if (p.op == Op::kButWildcard) {
          if (!glob(e->text, p)) return false;
        } else if (e->text.empty()) {
          return fail("Null prefix/suffix not allowed");
        } else {
          p.strings.push_back(e->text);
        }
      }
      if (v.members.size() > 1) return fail(kTooManyElements);
      return true;
    }
    std::vector<const Json*> values;
    if (v.kind == Kind::kArray) {
      bool strings = false, numbers = false;
      for (const Json& e : v.items) {
        if (e.kind != Kind::kString && e.kind != Kind::kNumber)
          return fail("Inside anything but list, start|null|boolean is not supported.");
        (e.kind == Kind::kString ? strings : numbers) = true;
        values.push_back(&e);
      }
      if (strings == numbers)
        return fail("Inside anything but list, either all values are number or string, mixed type is not supported");
    } else if (v.kind == Kind::kString || v.kind == Kind::kNumber) {
      values.push_back(&v);
    } else {
      return fail("Value of anything-but must be an array or single string/number value.");
    }
    p.op = values.front()->kind == Kind::kString ? Op::kButStrings : Op::kButNumbers;
    for (const Json* e : values) {
      int64_t micros = 0;
      if (p.op == Op::kButStrings) {
        p.strings.push_back(e->text);
      } else if (comparable(e->text, micros)) {
        p.numbers.push_back(micros);
      } else {
        return false;
      }
    }
    return true;
  }

  // [ruler] CIDR.cidr. The range runs from the address as written (not masked) to that address
  // with every host bit set, as event-ruler builds it.
  bool cidr(const std::string& text, Pattern& p) {
    std::vector<std::string_view> parts;  // Java's String.split("/"): trailing empty parts dropped
    for (size_t start = 0;;) {
      size_t slash = text.find('/', start);
      parts.push_back(std::string_view(text).substr(start, slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    while (parts.size() > 1 && parts.back().empty()) parts.pop_back();
    if (parts.size() != 2) return fail("Malformed CIDR, one '/' required");
    std::string_view digits = parts[1];  // Java's Integer.parseInt: optional sign, decimal, 32 bits
    bool negative = !digits.empty() && digits[0] == '-';
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
    if (digits.empty() || digits.size() > 10 || !std::all_of(digits.begin(), digits.end(), is_digit))
      return fail("Malformed CIDR, mask bits must be an integer");
    int64_t bits = 0;
    for (char c : digits) bits = bits * 10 + (c - '0');
    if (bits > int64_t{INT32_MAX} + (negative ? 1 : 0)) return fail("Malformed CIDR, mask bits must be an integer");
    if (negative && bits > 0) return fail("Malformed CIDR, mask bits must not be negative");
    switch (parse_ip(parts[0], p.ip_low)) {
      case IpText::kNotIp: return fail(fmt::format("Nonstandard IP address: {}", parts[0]));
      case IpText::kInvalid: return fail(fmt::format("Invalid IP address: {}", parts[0]));
      case IpText::kOk: break;
    }
    if (p.ip_low.size() == 4 && bits > 31) return fail("IPv4 mask bits must be < 32");
    if (p.ip_low.size() == 16 && bits > 127) return fail("IPv6 mask bits must be < 128");
    p.op = Op::kCidr;
    p.ip_high = p.ip_low;
    for (int64_t bit = bits; bit < static_cast<int64_t>(p.ip_high.size()) * 8; ++bit)
      p.ip_high[bit / 8] = static_cast<char>(p.ip_high[bit / 8] | (0x80 >> (bit % 8)));
    return true;
  }
};

// Later definitions of a path replace earlier ones ([ruler] writeRules: rule.put).
void put(Branch& branch, size_t leaf, const std::vector<Leaf>& leaves) {
  for (size_t& l : branch) {
    if (leaves[l].path == leaves[leaf].path) {
      l = leaf;
      return;
    }
  }
  branch.push_back(leaf);
}

// The policy as an OR of ANDs: "$or" forks the branches so far, as [ruler] parseIntoOrRelationship
// does. False past kMaxCombinations branches: each branch adds at least 1 to the complexity.
bool expand(const Node& node, const std::vector<Leaf>& leaves, std::vector<Branch>& out) {
  out.assign(1, Branch{});
  for (const Item& item : node.items) {
    if (item.alternatives.empty()) {
      for (Branch& b : out) put(b, item.leaf, leaves);
      continue;
    }
    std::vector<Branch> next;
    for (const Node& alternative : item.alternatives) {
      std::vector<Branch> tails;
      if (!expand(alternative, leaves, tails)) return false;
      for (const Branch& head : out) {
        for (const Branch& tail : tails) {
          next.push_back(head);
          for (size_t l : tail) put(next.back(), l, leaves);
          if (static_cast<int64_t>(next.size()) > kMaxCombinations) return false;
        }
      }
    }
    out = std::move(next);
  }
  return true;
}

// [constraints] and [or]: a branch costs the product, over its keys, of the number of values times
// the key's nesting level; a policy costs the sum over its "$or" branches. Wording [recorded].
std::optional<std::string> limit_error(const FilterPolicy::Compiled& c) {
  for (const Branch& b : c.branches) {
    if (b.size() > kMaxKeys) return "Filter policy can not have more than 5 keys";
  }
  int64_t total = 0;
  for (const Branch& b : c.branches) {
    int64_t product = 1;
    for (size_t l : b) {
      const Leaf& leaf = c.leaves[l];
      product = std::min(product * static_cast<int64_t>(leaf.patterns.size()) * leaf.depth, kMaxCombinations + 1);
    }
    total += product;
  }
  if (total > kMaxCombinations) return "Filter policy is too complex";
  // [constraints] "Wildcard pattern usage guidelines": a field costs (sum of its patterns' points) x
  // (its number of patterns); a wildcard is 1 point, or 3 points each when a pattern has several;
  // an anything-but is 1 point. Counted for the fields that use wildcards. AWS's wording for these
  // two limits is not documented; this reuses the complexity message.
  int64_t points = 0;
  for (const Leaf& leaf : c.leaves) {
    int64_t field = 0;
    bool wildcard = false;
    for (const Pattern& p : leaf.patterns) {
      if (p.wildcards > kMaxWildcardsPerPattern) return "Filter policy is too complex";
      wildcard |= p.op == Op::kWildcard || p.op == Op::kButWildcard;
      if (p.op == Op::kWildcard) field += p.wildcards > 1 ? 3 * p.wildcards : p.wildcards;
      if (p.op >= Op::kButStrings) field += 1;  // the anything-but family ends the enum
    }
    if (wildcard) points += field * static_cast<int64_t>(leaf.patterns.size());
  }
  if (points > kMaxWildcardPoints) return "Filter policy is too complex";
  return std::nullopt;
}

// ---- Matching ----------------------------------------------------------------------------------

// The message flattened as event-ruler flattens events: one field per leaf path, keys joined with
// '.', arrays crushed out (each element is another value of the same path) but remembered, so that
// fields from different elements of one array are not combined ([ruler] README "JSON Array Matching").
struct Event {
  const std::unordered_set<std::string>* wanted;  // only the paths the policy names are kept
  std::unordered_map<std::string, std::vector<Value>> fields;
  bool any = false;  // [keys] "An empty set of attributes results in the filter not matching"

  void add(const std::string& path, Kind kind, std::string_view text,
           const std::vector<std::pair<uint32_t, uint32_t>>& arrays) {
    any = true;
    if (!wanted->count(path)) return;
    fields[path].push_back(Value{kind, std::string(text), kind == Kind::kNumber ? to_micros(text) : std::nullopt, arrays});
  }
};

class Flattener : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Flattener> {
 public:
  Flattener(Event& event, std::string root, bool root_is_array)
      : event_(event), path_(std::move(root)), root_is_array_(root_is_array) {}
  bool Null() { return scalar(Kind::kNull, "null"); }
  bool Bool(bool b) { return scalar(b ? Kind::kTrue : Kind::kFalse, b ? "true" : "false"); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return scalar(Kind::kNumber, {s, n}); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return scalar(Kind::kString, {s, n}); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    path_.resize(frames_.back().base);
    if (!path_.empty()) path_ += '.';
    path_.append(s, n);
    return true;
  }
  bool StartObject() { return open(false); }
  bool StartArray() { return open(true); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }

 private:
  struct Frame {
    bool array;
    size_t base;  // path length when the container opened
  };
  bool open(bool array) {
    if (frames_.empty() && array != root_is_array_) return false;
    frames_.push_back({array, path_.size()});
    if (array) arrays_.emplace_back(next_array_++, 0);
    return true;
  }
  bool close() {
    path_.resize(frames_.back().base);
    if (frames_.back().array) arrays_.pop_back();
    frames_.pop_back();
    next_element();
    return true;
  }
  bool scalar(Kind kind, std::string_view text) {
    if (frames_.empty()) return false;
    event_.add(path_, kind, text, arrays_);
    next_element();
    return true;
  }
  void next_element() {
    if (!frames_.empty() && frames_.back().array) ++arrays_.back().second;
  }

  Event& event_;
  std::string path_;
  bool root_is_array_;
  std::vector<Frame> frames_;
  std::vector<std::pair<uint32_t, uint32_t>> arrays_;
  uint32_t next_array_ = 0;
};

bool value_matches(const Pattern& p, const Value& v) {
  const bool text = v.kind == Kind::kString;  // string operators match only JSON strings
  auto any = [&](auto&& pred) { return std::any_of(p.strings.begin(), p.strings.end(), pred); };
  switch (p.op) {
    case Op::kString: {
      std::string ip;
      if (!text || p.ip_low.empty()) return text && v.text == p.text;
      return parse_ip(v.text, ip) == IpText::kOk && ip == p.ip_low;
    }
    case Op::kNumber:
      return v.kind == Kind::kNumber && ((p.micros && v.micros && *p.micros == *v.micros) || v.text == p.text);
    case Op::kLiteral: return v.kind != Kind::kString && v.kind != Kind::kNumber && v.text == p.text;
    case Op::kPrefix: return text && v.text.starts_with(p.text);
    case Op::kSuffix: return text && v.text.ends_with(p.text);
    case Op::kEqualsIgnoreCase: return text && fold_case(v.text) == p.text;
    case Op::kWildcard: return text && glob_matches(p.globs[0], v.text);
    case Op::kNumeric:
      return v.micros && !(p.low && (p.low_open ? *v.micros <= *p.low : *v.micros < *p.low)) &&
             !(p.high && (p.high_open ? *v.micros >= *p.high : *v.micros > *p.high));
    case Op::kCidr: {
      std::string ip;
      return text && parse_ip(v.text, ip) == IpText::kOk && ip.size() == p.ip_low.size() && p.ip_low <= ip &&
             ip <= p.ip_high;
    }
    // [keys] "The key must have a non-null and non-empty value."
    case Op::kExists: return v.kind != Kind::kNull && !(text && v.text.empty());
    case Op::kAbsent: return false;
    // anything-but excludes only values of its own kind ([ruler] ByteMachine): 5 is anything-but "5".
    case Op::kButStrings: return !(text && any([&](const std::string& s) { return s == v.text; }));
    case Op::kButNumbers:
      return !(v.micros && std::find(p.numbers.begin(), p.numbers.end(), *v.micros) != p.numbers.end());
    case Op::kButPrefix: return !(text && any([&](const std::string& s) { return v.text.starts_with(s); }));
    case Op::kButSuffix: return !(text && any([&](const std::string& s) { return v.text.ends_with(s); }));
    case Op::kButWildcard:
      return !(text && std::any_of(p.globs.begin(), p.globs.end(), [&](const Glob& g) { return glob_matches(g, v.text); }));
  }
  return false;
}

bool consistent(const Value& a, const Value& b) {
  for (size_t i = 0; i < std::min(a.arrays.size(), b.arrays.size()) && a.arrays[i].first == b.arrays[i].first; ++i) {
    if (a.arrays[i].second != b.arrays[i].second) return false;  // different elements of one array
  }
  return true;
}

// Picks one value per field, pairwise consistent. Bounded: a pathological message stops matching.
bool choose(const std::vector<std::vector<const Value*>>& fields, size_t k, std::vector<const Value*>& chosen,
            int& budget) {
  if (k == fields.size()) return true;
  for (const Value* v : fields[k]) {
    if (--budget < 0) return false;
    if (!std::all_of(chosen.begin(), chosen.end(), [&](const Value* c) { return consistent(*c, *v); })) continue;
    chosen.push_back(v);
    if (choose(fields, k + 1, chosen, budget)) return true;
    chosen.pop_back();
  }
  return false;
}

bool branch_matches(const FilterPolicy::Compiled& c, const Branch& branch, const Event& event) {
  std::vector<std::vector<const Value*>> fields;  // matching values of the fields still to reconcile
  for (size_t l : branch) {
    const Leaf& leaf = c.leaves[l];
    auto it = event.fields.find(leaf.path);
    if (it == event.fields.end()) {
      if (leaf.absent_ok) continue;  // [keys] exists:false: no value at this (leaf) path
      return false;
    }
    std::vector<const Value*> hits;
    bool unconstrained = false;  // a match outside any array goes with everything
    for (const Value& v : it->second) {
      if (std::none_of(leaf.patterns.begin(), leaf.patterns.end(), [&](const Pattern& p) { return value_matches(p, v); }))
        continue;
      if ((unconstrained = v.arrays.empty())) break;
      hits.push_back(&v);
    }
    if (unconstrained) continue;
    if (hits.empty()) return false;
    fields.push_back(std::move(hits));
  }
  if (fields.size() <= 1) return true;
  std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
  std::vector<const Value*> chosen;
  int budget = kMaxMatchSteps;
  return choose(fields, 0, chosen, budget);
}

bool evaluate(const FilterPolicy::Compiled& c, const Event& event) {
  if (!event.any) return false;
  return std::any_of(c.branches.begin(), c.branches.end(), [&](const Branch& b) { return branch_matches(c, b, event); });
}

}  // namespace

Result<FilterPolicy> FilterPolicy::parse(std::string_view json, FilterScope scope, Limits limits) {
  if (json.size() > kMaxPolicyBytes) return invalid("Filter policy is too large");
  TreeBuilder tree;
  rapidjson::ParseResult parsed = sax_parse(json, tree);
  if (parsed.IsError()) {
    if (tree.too_deep) return invalid(fmt::format("failed to parse JSON. Nesting depth exceeds {}", kMaxJsonDepth));
    return invalid(fmt::format("failed to parse JSON. {} (at offset {})", rapidjson::GetParseError_En(parsed.Code()),
                               parsed.Offset()));
  }
  if (tree.root.kind != Kind::kObject) return invalid("Filter is not an object");
  auto compiled = std::make_shared<Compiled>();
  if (tree.root.members.empty()) return FilterPolicy(std::move(compiled));  // "{}": no filtering
  Compiler compiler;
  Node root;
  if (!compiler.object(tree.root, "", 1, root)) return invalid(compiler.error);
  // [constraints] "Amazon SNS doesn't accept a nested filter policy for attribute-based filtering";
  // wording [recorded].
  if (scope == FilterScope::kMessageAttributes && compiler.nested) {
    return ApiError{"InvalidParameter",
                    "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
                    400, true, "", {}};
  }
  compiled->leaves = std::move(compiler.leaves);
  if (!expand(root, compiled->leaves, compiled->branches)) return invalid("Filter policy is too complex");
  if (limits == Limits::kSns) {
    if (auto error = limit_error(*compiled)) return invalid(*error);
  }
  for (const Leaf& leaf : compiled->leaves) compiled->paths.insert(leaf.path);
  return FilterPolicy(std::move(compiled));
}

bool FilterPolicy::matches(const FilterAttributes& attributes) const {
  if (compiled_->branches.empty()) return true;
  Event event{&compiled_->paths, {}, false};
  for (const auto& [name, a] : attributes) {
    std::string_view type = a.data_type;
    std::string_view base = type.substr(0, type.find('.'));
    if (type == "String.Array") {
      Flattener array(event, name, true);  // each element is a value; SNS checked the JSON on Publish
      (void)sax_parse(a.string_value, array);
    } else if (base == "String" || base == "Number") {
      event.add(name, base == "String" ? Kind::kString : Kind::kNumber, a.string_value, {});
    }
    // [constraints] "Amazon SNS ignores message attributes with the Binary data type."
  }
  return evaluate(*compiled_, event);
}

bool FilterPolicy::matches_body(std::string_view message_body) const {
  if (compiled_->branches.empty()) return true;
  Event event{&compiled_->paths, {}, false};
  Flattener body(event, "", false);
  // [policies] "Filter policies for the message body assume that the message payload is a
  // well-formed JSON object": anything else matches no policy.
  if (sax_parse(message_body, body).IsError()) return false;
  return evaluate(*compiled_, event);
}

}  // namespace runnel::pattern
