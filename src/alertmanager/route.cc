#include "alertmanager/route.h"

#include <yaml-cpp/yaml.h>

#include "promconfig/yaml_fields.h"

namespace mytsdb::alertmanager {

using promconfig::ParseYamlDuration;
using promconfig::UnknownField;
using promconfig::YamlStringList;

namespace {

// The printed branches of a tree, as github.com/xlab/treeprint draws them.
void PrintTree(const Route& r, const std::string& indent, bool last, std::string* out) {
  std::string slug = r.matchers().empty() ? "default-route" : MatchersString(r.matchers());
  if (r.continue_matching()) slug += "  continue: true";
  slug += "  receiver: " + r.options().receiver;
  *out += indent + (last ? "└── " : "├── ") + slug + "\n";
  // treeprint's vertical bar is followed by two no-break spaces.
  const std::string child_indent = indent + (last ? "    " : "│\u00a0\u00a0 ");
  for (size_t i = 0; i < r.routes().size(); ++i) {
    PrintTree(*r.routes()[i], child_indent, i + 1 == r.routes().size(), out);
  }
}

}  // namespace

Result<std::unique_ptr<Route>> Route::FromYaml(const YAML::Node& node) {
  if (!node || node.IsNull()) return Status::InvalidArgument("no routes provided");
  if (!node.IsMap()) return Status::InvalidArgument("route must be a mapping");
  return Make(node, RouteOptions(), /*parent_key=*/nullptr);
}

Result<std::unique_ptr<Route>> Route::Make(const YAML::Node& node, const RouteOptions& parent,
                                           const std::string* parent_key) {
  const bool root = parent_key == nullptr;
  auto r = std::unique_ptr<Route>(new Route());
  r->options_ = parent;
  r->options_.mute_time_intervals.clear();
  r->options_.active_time_intervals.clear();
  std::vector<std::string> group_by;
  bool has_group_by_all = false, has_matchers = false;
  try {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "receiver") {
        const std::string receiver = v.IsNull() ? "" : v.as<std::string>();
        if (!receiver.empty()) r->options_.receiver = receiver;
      } else if (key == "group_by") {
        for (const std::string& l : YamlStringList(v)) {
          if (l == "...") {
            has_group_by_all = true;
          } else if (!model::IsValidLegacyLabelName(l)) {
            return Status::InvalidArgument("invalid label name \"" + l + "\" in group_by list");
          } else {
            group_by.push_back(l);
          }
        }
      } else if (key == "continue") {
        r->continue_ = v.as<bool>();
      } else if (key == "match" || key == "match_re") {
        if (!v.IsMap()) return Status::InvalidArgument(key + " must be a mapping");
        for (const auto& m : v) {
          const std::string name = m.first.as<std::string>();
          if (!model::IsValidLegacyLabelName(name)) return Status::InvalidArgument("invalid label name \"" + name + "\"");
          // Alertmanager keeps match_re's regexes anchored, and anchors
          // them again as matchers.
          if (key == "match_re") RETURN_NOT_OK(CheckRegex("^(?:" + m.second.as<std::string>() + ")$"));
          auto matcher = key == "match"
                             ? Matcher::Make(MatchType::kEqual, name, m.second.as<std::string>())
                             : Matcher::Make(MatchType::kRegexp, name, "^(?:" + m.second.as<std::string>() + ")$");
          if (!matcher.ok()) return matcher.status();
          r->matchers_.push_back(*std::move(matcher));
          has_matchers = true;
        }
      } else if (key == "matchers") {
        for (const std::string& text : YamlStringList(v)) {
          ASSIGN_OR_RETURN(Matcher matcher, ParseMatcher(text));
          r->matchers_.push_back(std::move(matcher));
          has_matchers = true;
        }
      } else if (key == "group_wait") {
        ASSIGN_OR_RETURN(r->options_.group_wait_ms, ParseYamlDuration(v));
      } else if (key == "group_interval") {
        ASSIGN_OR_RETURN(r->options_.group_interval_ms, ParseYamlDuration(v));
        if (r->options_.group_interval_ms == 0) return Status::InvalidArgument("group_interval cannot be zero");
      } else if (key == "repeat_interval") {
        ASSIGN_OR_RETURN(r->options_.repeat_interval_ms, ParseYamlDuration(v));
        if (r->options_.repeat_interval_ms == 0) return Status::InvalidArgument("repeat_interval cannot be zero");
      } else if (key == "mute_time_intervals") {
        r->options_.mute_time_intervals = YamlStringList(v);
      } else if (key == "active_time_intervals") {
        r->options_.active_time_intervals = YamlStringList(v);
      } else if (key != "routes") {
        return UnknownField(kv.first, "config.plain");
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("route: " + e.msg);
  }
  if (!group_by.empty() && has_group_by_all) {
    return Status::InvalidArgument("cannot have wildcard group_by (`...`) and other other labels at the same time");
  }
  std::set<std::string> seen;
  for (const std::string& l : group_by) {
    if (!seen.insert(l).second) return Status::InvalidArgument("duplicated label \"" + l + "\" in group_by");
  }
  if (!group_by.empty()) {
    r->options_.group_by = std::move(seen);
    r->options_.group_by_all = false;
  } else if (has_group_by_all) {
    r->options_.group_by_all = true;
  }
  if (root) {
    if (r->options_.receiver.empty()) return Status::InvalidArgument("root route must specify a default receiver");
    if (has_matchers) return Status::InvalidArgument("root route must not have any matchers");
    if (!r->options_.mute_time_intervals.empty()) {
      return Status::InvalidArgument("root route must not have any mute time intervals");
    }
    if (!r->options_.active_time_intervals.empty()) {
      return Status::InvalidArgument("root route must not have any active time intervals");
    }
    if (r->continue_) return Status::InvalidArgument("cannot have continue in root route");
  }
  SortMatchers(&r->matchers_);
  r->key_ = (root ? "" : *parent_key + "/") + MatchersString(r->matchers_);
  if (const YAML::Node children = node["routes"]; children && !children.IsNull()) {
    if (!children.IsSequence()) return Status::InvalidArgument("routes must be a list");
    for (const YAML::Node& child : children) {
      if (!child.IsMap()) return Status::InvalidArgument("a route must be a mapping");
      ASSIGN_OR_RETURN(auto route, Make(child, r->options_, &r->key_));
      r->routes_.push_back(std::move(route));
    }
  }
  return r;
}

std::vector<const Route*> Route::Match(const model::Labels& labels) const {
  std::vector<const Route*> out;
  Match(labels, &out);
  return out;
}

void Route::Match(const model::Labels& labels, std::vector<const Route*>* out) const {
  if (!MatchesAll(matchers_, labels)) return;
  const size_t before = out->size();
  for (const auto& child : routes_) {
    const size_t at = out->size();
    child->Match(labels, out);
    if (out->size() > at && !child->continue_) break;
  }
  if (out->size() == before) out->push_back(this);
}

std::string Route::TreeString() const {
  std::string out = "Routing tree:\n.\n";
  PrintTree(*this, "", /*last=*/true, &out);
  return out;
}

}  // namespace mytsdb::alertmanager
