#include "expr/parser.h"

#include <algorithm>
#include <optional>

#include "expr/lexer.h"

namespace runnel::expr::detail {
namespace {

// Deeper nesting than this is reported as a syntax error at the offending token. It bounds the
// recursion (a 4 KB expression could otherwise nest ~2000 levels); no real expression gets close.
constexpr int kMaxNesting = 100;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), toks_(tokenize(text)) {}

  ApiError syntax_error() const {
    return ApiError::validation(syntax_error_message(text_, toks_, furthest_));
  }

  // --- condition -------------------------------------------------------------------------------
  std::optional<CondNode> parse_condition_root() {
    auto node = or_expr();
    if (!node || !check(Tok::End)) return std::nullopt;
    return node;
  }
  size_t operators() const { return operators_; }

  // --- update ----------------------------------------------------------------------------------
  bool parse_update_root(ParsedUpdate& out) {
    do {
      if (!update_clause(out)) return false;
    } while (!check(Tok::End));
    return true;
  }

  // --- projection ------------------------------------------------------------------------------
  bool parse_projection_root(ParsedProjection& out) {
    mode_ = Mode::Projection;
    do {
      std::vector<RawPathElement> p;
      if (!path(p)) return false;
      out.paths.push_back(std::move(p));
    } while (accept(Tok::Comma));
    return check(Tok::End);
  }

  void set_mode_update() { mode_ = Mode::Update; }

 private:
  enum class Mode { Condition, Update, Projection };

  const Token& peek(size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  void note_failure() { furthest_ = std::max(furthest_, pos_); }
  // True when the next token is `k`; otherwise records a failure here (PEG-style error position).
  bool check(Tok k) {
    if (peek().kind == k) return true;
    note_failure();
    return false;
  }
  bool accept(Tok k) {
    if (!check(k)) return false;
    ++pos_;
    return true;
  }
  bool check_keyword(std::string_view kw) {
    if (peek().kind == Tok::Ident && keyword_equals(peek().text, kw)) return true;
    note_failure();
    return false;
  }
  bool accept_keyword(std::string_view kw) {
    if (!check_keyword(kw)) return false;
    ++pos_;
    return true;
  }

  // Identifiers a grammar reserves for its own syntax; they cannot name attributes or functions.
  bool is_grammar_keyword(std::string_view ident) const {
    switch (mode_) {
      case Mode::Condition:
        return keyword_equals(ident, "AND") || keyword_equals(ident, "OR") ||
               keyword_equals(ident, "NOT") || keyword_equals(ident, "BETWEEN") ||
               keyword_equals(ident, "IN");
      case Mode::Update:
        return clause_keyword(ident) != nullptr;
      case Mode::Projection:
        return false;
    }
    return false;
  }
  static const char* clause_keyword(std::string_view ident) {
    for (const char* kw : {"SET", "REMOVE", "ADD", "DELETE"}) {
      if (keyword_equals(ident, kw)) return kw;
    }
    return nullptr;
  }

  struct DepthGuard {
    explicit DepthGuard(int& d) : d_(d) { ++d_; }
    ~DepthGuard() { --d_; }
    int& d_;
  };
  bool too_deep() {
    if (depth_ <= kMaxNesting) return false;
    note_failure();
    return true;
  }

  // or := and (OR and)*
  std::optional<CondNode> or_expr() {
    auto left = and_expr();
    if (!left) return std::nullopt;
    while (accept_keyword("OR")) {
      auto right = and_expr();
      if (!right) return std::nullopt;
      CondNode n;
      n.kind = CondNode::Kind::Or;
      n.children.push_back(std::move(*left));
      n.children.push_back(std::move(*right));
      left = std::move(n);
      ++operators_;
    }
    return left;
  }

  std::optional<CondNode> and_expr() {
    auto left = not_expr();
    if (!left) return std::nullopt;
    while (accept_keyword("AND")) {
      auto right = not_expr();
      if (!right) return std::nullopt;
      CondNode n;
      n.kind = CondNode::Kind::And;
      n.children.push_back(std::move(*left));
      n.children.push_back(std::move(*right));
      left = std::move(n);
      ++operators_;
    }
    return left;
  }

  std::optional<CondNode> not_expr() {
    DepthGuard g(depth_);
    if (too_deep()) return std::nullopt;
    if (accept_keyword("NOT")) {
      auto inner = not_expr();
      if (!inner) return std::nullopt;
      CondNode n;
      n.kind = CondNode::Kind::Not;
      n.children.push_back(std::move(*inner));
      ++operators_;
      return n;
    }
    return primary();
  }

  std::optional<CondNode> primary() {
    if (check(Tok::LParen)) {
      // First alternative: a parenthesized condition. If that fails, the '(' may open an operand
      // such as "(a) = :v" or "(a.b)[1] = :v".
      size_t save = pos_;
      size_t save_ops = operators_;
      ++pos_;
      auto inner = or_expr();
      if (inner && accept(Tok::RParen)) {
        if (inner->parenthesized) inner->redundant_parens = true;
        inner->parenthesized = true;
        return inner;
      }
      pos_ = save;
      operators_ = save_ops;
    }
    auto first = operand();
    if (!first) return std::nullopt;
    CondNode n;
    CmpOp op;
    if (comparator(op)) {
      auto second = operand();
      if (!second) return std::nullopt;
      n.kind = CondNode::Kind::Compare;
      n.op = op;
      n.operands.push_back(std::move(*first));
      n.operands.push_back(std::move(*second));
      ++operators_;
      return n;
    }
    if (accept_keyword("BETWEEN")) {
      auto lo = operand();
      if (!lo || !accept_keyword("AND")) return std::nullopt;
      auto hi = operand();
      if (!hi) return std::nullopt;
      n.kind = CondNode::Kind::Between;
      n.operands.push_back(std::move(*first));
      n.operands.push_back(std::move(*lo));
      n.operands.push_back(std::move(*hi));
      ++operators_;
      return n;
    }
    if (accept_keyword("IN")) {
      if (!accept(Tok::LParen)) return std::nullopt;
      n.kind = CondNode::Kind::In;
      n.operands.push_back(std::move(*first));
      do {
        auto o = operand();
        if (!o) return std::nullopt;
        n.operands.push_back(std::move(*o));
      } while (accept(Tok::Comma));
      if (!accept(Tok::RParen)) return std::nullopt;
      ++operators_;
      return n;
    }
    if (first->kind == Operand::Kind::Function) {
      n.kind = CondNode::Kind::Function;
      n.operands.push_back(std::move(*first));
      return n;
    }
    return std::nullopt;  // the failed comparator / keyword checks recorded the position
  }

  bool comparator(CmpOp& op) {
    switch (peek().kind) {
      case Tok::Eq: op = CmpOp::Eq; break;
      case Tok::Ne: op = CmpOp::Ne; break;
      case Tok::Lt: op = CmpOp::Lt; break;
      case Tok::Le: op = CmpOp::Le; break;
      case Tok::Gt: op = CmpOp::Gt; break;
      case Tok::Ge: op = CmpOp::Ge; break;
      default: note_failure(); return false;
    }
    ++pos_;
    return true;
  }

  // operand := function | :value | path | '(' operand ')'
  std::optional<Operand> operand() {
    DepthGuard g(depth_);
    if (too_deep()) return std::nullopt;
    const Token& t = peek();
    if (t.kind == Tok::LParen) {
      ++pos_;
      auto inner = operand();
      if (!inner || !accept(Tok::RParen)) return std::nullopt;
      if (inner->parenthesized) inner->redundant_parens = true;
      inner->parenthesized = true;
      if (inner->kind == Operand::Kind::Path && !path_suffix(inner->raw_path)) return std::nullopt;
      return inner;
    }
    if (t.kind == Tok::ValueRef) {
      Operand o;
      o.kind = Operand::Kind::Value;
      o.placeholder = std::string(t.text);
      ++pos_;
      return o;
    }
    if (t.kind == Tok::Ident && !is_grammar_keyword(t.text) && peek(1).kind == Tok::LParen) {
      Operand o;
      o.kind = Operand::Kind::Function;
      o.func_name = std::string(t.text);
      pos_ += 2;
      do {
        auto a = operand();
        if (!a) return std::nullopt;
        o.args.push_back(std::move(*a));
      } while (accept(Tok::Comma));
      if (!accept(Tok::RParen)) return std::nullopt;
      ++operators_;
      return o;
    }
    Operand o;
    o.kind = Operand::Kind::Path;
    if (!path(o.raw_path)) return std::nullopt;
    return o;
  }

  bool path_element_name(std::vector<RawPathElement>& out) {
    const Token& t = peek();
    if (t.kind == Tok::NameRef) {
      out.push_back(RawPathElement{std::string(t.text), true, -1});
      ++pos_;
      return true;
    }
    if (t.kind == Tok::Ident && !is_grammar_keyword(t.text)) {
      out.push_back(RawPathElement{std::string(t.text), false, -1});
      ++pos_;
      return true;
    }
    note_failure();
    return false;
  }

  // path := (ident | #name) ('.' (ident | #name) | '[' digits ']')*
  bool path(std::vector<RawPathElement>& out) {
    if (!path_element_name(out)) return false;
    return path_suffix(out);
  }

  bool path_suffix(std::vector<RawPathElement>& out) {
    for (;;) {
      if (accept(Tok::Dot)) {
        if (!path_element_name(out)) return false;
      } else if (accept(Tok::LBracket)) {
        if (!check(Tok::Number)) return false;
        std::string_view digits = peek().text;
        // Indexes beyond int range cannot address any list (items are <= 400 KB).
        if (digits.size() > 9) {
          note_failure();
          return false;
        }
        int index = 0;
        for (char c : digits) index = index * 10 + (c - '0');
        ++pos_;
        if (!accept(Tok::RBracket)) return false;
        out.push_back(RawPathElement{std::string(), false, index});
      } else {
        return true;
      }
    }
  }

  // --- update ----------------------------------------------------------------------------------
  bool update_clause(ParsedUpdate& out) {
    const char* kw = peek().kind == Tok::Ident ? clause_keyword(peek().text) : nullptr;
    if (!kw) {
      note_failure();
      return false;
    }
    ++pos_;
    out.clauses.push_back(kw);
    std::string_view k(kw);
    do {
      UpdateAction a;
      if (!path(a.raw_path)) return false;
      if (k == "SET") {
        a.kind = UpdateAction::Kind::Set;
        if (!accept(Tok::Eq)) return false;
        auto v = set_value();
        if (!v) return false;
        a.value = std::move(*v);
      } else if (k == "REMOVE") {
        a.kind = UpdateAction::Kind::Remove;
      } else {
        a.kind = k == "ADD" ? UpdateAction::Kind::Add : UpdateAction::Kind::Delete;
        if (!check(Tok::ValueRef)) return false;
        a.value.kind = Operand::Kind::Value;
        a.value.placeholder = std::string(peek().text);
        ++pos_;
      }
      out.ast.actions.push_back(std::move(a));
    } while (accept(Tok::Comma));
    return true;
  }

  // set_value := '(' value ')' | value ; value := operand (('+' | '-') operand)?
  std::optional<Operand> set_value() {
    if (check(Tok::LParen)) {
      size_t save = pos_;
      size_t save_ops = operators_;
      ++pos_;
      auto v = arithmetic();
      if (v && accept(Tok::RParen) && peek().kind != Tok::Plus && peek().kind != Tok::Minus) {
        return v;
      }
      pos_ = save;  // e.g. "(a) + :b": the parenthesis belonged to the first operand
      operators_ = save_ops;
    }
    return arithmetic();
  }

  std::optional<Operand> arithmetic() {
    auto left = operand();
    if (!left) return std::nullopt;
    Tok k = peek().kind;
    if (k != Tok::Plus && k != Tok::Minus) {
      note_failure();
      return left;
    }
    ++pos_;
    auto right = operand();
    if (!right) return std::nullopt;
    Operand o;
    o.kind = k == Tok::Plus ? Operand::Kind::Plus : Operand::Kind::Minus;
    o.func_name = k == Tok::Plus ? "+" : "-";
    o.args.push_back(std::move(*left));
    o.args.push_back(std::move(*right));
    ++operators_;
    return o;
  }

  std::string_view text_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  size_t furthest_ = 0;
  size_t operators_ = 0;
  int depth_ = 0;
  Mode mode_ = Mode::Condition;
};

}  // namespace

Result<ParsedCondition> parse_condition_syntax(std::string_view text) {
  Parser p(text);
  auto root = p.parse_condition_root();
  if (!root) return p.syntax_error();
  return ParsedCondition{std::move(*root), p.operators()};
}

Result<ParsedUpdate> parse_update_syntax(std::string_view text) {
  Parser p(text);
  p.set_mode_update();
  ParsedUpdate out;
  if (!p.parse_update_root(out)) return p.syntax_error();
  out.operators = p.operators();
  return out;
}

Result<ParsedProjection> parse_projection_syntax(std::string_view text) {
  Parser p(text);
  ParsedProjection out;
  if (!p.parse_projection_root(out)) return p.syntax_error();
  return out;
}

}  // namespace runnel::expr::detail
