// A REST-JSON service's operation table: each operation's HTTP method and path template as the
// service model's `http` trait names them ("POST /2015-03-31/functions/{FunctionName}/invocations"),
// its name and traits (protocol/operation.h), and its handler. The service lists its operations once; the table matches a request
// to one and hands over the path's labels, percent-decoded.
// https://smithy.io/2.0/spec/http-bindings.html#http-trait
//
// Matching: the path is compared segment by segment with the template (one trailing slash is
// ignored, as the models write some URIs with one: "/2015-03-31/functions/"); a `{Label}` segment
// takes any non-empty segment. A path no template matches, or a method no route of a matching
// template takes, is no operation (the service answers its own 404).
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/percent_decode.h"
#include "protocol/operation.h"

namespace runnel::protocol {

template <class Handler>
class RestRoutes {
 public:
  struct Route {
    std::string method;
    std::string path;
    Operation operation;
    Handler handler;
  };
  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string, std::less<>> labels;  // "FunctionName" -> "my-function"
    const std::string& label(std::string_view name) const {
      static const std::string kNone;
      auto it = labels.find(name);
      return it == labels.end() ? kNone : it->second;
    }
  };

  RestRoutes& add(std::string method, std::string path, std::string operation, OperationTraits traits, Handler handler) {
    std::string prefix = path.substr(0, path.find('{'));
    if (std::find(prefixes_.begin(), prefixes_.end(), prefix) == prefixes_.end()) prefixes_.push_back(std::move(prefix));
    routes_.push_back({std::move(method), std::move(path), Operation{std::move(operation), traits}, std::move(handler)});
    return *this;
  }

  std::optional<Match> match(std::string_view method, std::string_view path) const {
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    const auto segments = split(path);
    for (const auto& route : routes_) {
      if (route.method != method) continue;
      auto pattern = split(route.path);
      if (pattern.size() != segments.size()) continue;
      Match m;
      m.route = &route;
      bool same = true;
      for (size_t i = 0; i < pattern.size() && same; ++i) {
        std::string_view p = pattern[i];
        if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
          if (segments[i].empty()) same = false;
          else m.labels.emplace(std::string(p.substr(1, p.size() - 2)), percent_decode(segments[i], PlusMeans::kPlus));
        } else {
          same = p == segments[i];
        }
      }
      if (same) return m;
    }
    return std::nullopt;
  }

  // Whether `path` lies under a route's literal prefix (its template up to the first label):
  // the service owns the path and answers it, with its own 404 when no route matches.
  // (Asked of every request's target by the server's body limit: a few distinct prefixes, kept.)
  bool owns(std::string_view path) const {
    return std::any_of(prefixes_.begin(), prefixes_.end(), [&](const std::string& p) { return path.starts_with(p); });
  }

  const std::vector<Route>& routes() const { return routes_; }

 private:
  static std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> out;
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    while (true) {
      size_t slash = path.find('/');
      out.push_back(path.substr(0, slash));
      if (slash == std::string_view::npos) break;
      path.remove_prefix(slash + 1);
    }
    return out;
  }

  std::vector<Route> routes_;
  std::vector<std::string> prefixes_;  // each route's template up to its first label, once
};

}  // namespace runnel::protocol
