#include "http/router.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace meterline::http {

namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// Returns the number of literal segments matched, or -1 when the route does not match.
int MatchScore(const Route& route, const std::vector<std::string>& parts,
               std::unordered_map<std::string, std::string>* params) {
  if (route.segments.size() != parts.size()) return -1;
  int literals = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& seg = route.segments[i];
    if (!seg.empty() && seg[0] == ':') {
      if (parts[i].empty()) return -1;
      if (params) (*params)[seg.substr(1)] = parts[i];
    } else if (seg == parts[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  return literals;
}

}  // namespace

void Router::Add(Route route) {
  if (route.pattern.empty() || route.pattern[0] != '/') throw std::logic_error("route pattern must start with /");
  route.segments = Split(route.pattern);
  for (const auto& existing : routes_) {
    if (existing->method == route.method && existing->pattern == route.pattern) {
      throw std::logic_error("duplicate route " + route.pattern);
    }
  }
  routes_.push_back(std::make_unique<Route>(std::move(route)));
}

Router::Match Router::Find(Method method, std::string_view path) const {
  Match match;
  std::vector<std::string> parts = Split(path);
  auto best_for = [&](Method m) -> const Route* {
    const Route* best = nullptr;
    int best_score = -1;
    for (const auto& route : routes_) {
      if (route->method != m) continue;
      int score = MatchScore(*route, parts, nullptr);
      if (score > best_score) {
        best = route.get();
        best_score = score;
      }
    }
    return best;
  };
  const Route* route = best_for(method);
  if (route == nullptr && method == Method::kHead) route = best_for(Method::kGet);
  if (route != nullptr) {
    MatchScore(*route, parts, &match.params);
    match.route = route;
    return match;
  }
  for (const auto& r : routes_) {
    if (MatchScore(*r, parts, nullptr) >= 0 &&
        std::find(match.allowed.begin(), match.allowed.end(), r->method) == match.allowed.end()) {
      match.allowed.push_back(r->method);
    }
  }
  return match;
}

}  // namespace meterline::http
