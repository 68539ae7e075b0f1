// Internal: the resolution passes (resolve.cc), shared with key_condition.cc and legacy.cc.
// Each returns the bare message of the first problem (callers add "Invalid <Which>: ").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "expr/ast.h"
#include "expr/parser.h"

namespace runnel::expr::detail {

std::optional<std::string> resolve_path(const std::vector<RawPathElement>& raw, Path& out,
                                        Substitutions& subs);
std::optional<std::string> resolve_condition(CondNode& root, Substitutions& subs);
std::optional<std::string> resolve_update(ParsedUpdate& parsed, Substitutions& subs);
std::optional<std::string> resolve_projection(const ParsedProjection& parsed, std::vector<Path>& out,
                                              Substitutions& subs);
// "Two document paths overlap / conflict with each other; ..." for the first offending pair.
std::optional<std::string> check_path_overlaps(const std::vector<const Path*>& paths);

}  // namespace runnel::expr::detail
