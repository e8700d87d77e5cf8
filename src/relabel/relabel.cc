#include "relabel/relabel.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "common/case_map.h"
#include "common/utf8.h"

namespace mytsdb::relabel {

namespace {

using NameScheme = model::Labels::NameScheme;

constexpr const char* kActions[] = {"replace",  "keep",     "drop",      "keepequal", "dropequal", "hashmod",
                                    "labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase"};

bool ValidLabelName(std::string_view name, NameScheme names) {
  return names == NameScheme::kLegacy ? model::IsValidLegacyLabelName(name) : !name.empty() && model::IsValidUtf8(name);
}

// Prometheus's relabelTarget: a label name in which $1, ${1}, $name or
// ${name} may stand for a group (legacy names); any UTF-8 with UTF-8 names.
bool ValidTargetTemplate(std::string_view s, NameScheme names) {
  if (names != NameScheme::kLegacy) return !s.empty() && model::IsValidUtf8(s);
  static const RE2 target(R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)");
  return RE2::FullMatch(s, target);
}

// Go's regexp extract: a group name or number after '$' ("name" or
// "{name}"); false when malformed.
bool ExtractGroup(std::string_view s, std::string_view* name, size_t* consumed) {
  if (s.empty()) return false;
  const bool brace = s[0] == '{';
  size_t i = brace ? 1 : 0;
  const size_t start = i;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // Go accepts any Unicode letter or digit; a letter's case mapping is
      // the test MyTSDB has for that.
      const auto [cp, len] = DecodeUtf8(s, i);
      if (!IsLetterOrDigit(static_cast<int32_t>(cp)) || (cp == 0xfffd && len == 1)) break;
      i += len;
      continue;
    }
    if (!std::isalnum(c) && c != '_') break;
    ++i;
  }
  if (i == start) return false;
  *name = s.substr(start, i - start);
  if (brace) {
    if (i >= s.size() || s[i] != '}') return false;
    ++i;
  }
  *consumed = i;
  return true;
}

std::string Md5Mod(std::string_view s, uint64_t modulus) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), digest, &len, EVP_md5(), nullptr);
  uint64_t tail = 0;
  for (int i = 8; i < 16; ++i) tail = (tail << 8) | digest[i];  // big-endian, the last 8 bytes
  return std::to_string(tail % modulus);
}

// The groups of a match of `re` on the whole of `s` (anchored), or false.
bool MatchGroups(const RE2& re, std::string_view s, std::vector<re2::StringPiece>* groups) {
  groups->assign(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1, re2::StringPiece());
  return re.Match(s, 0, s.size(), RE2::UNANCHORED, groups->data(), static_cast<int>(groups->size()));
}

}  // namespace

const char* ActionName(Action action) { return kActions[static_cast<int>(action)]; }

std::string Expand(const RE2& re, std::string_view tmpl, const std::vector<re2::StringPiece>& groups) {
  std::string out;
  while (!tmpl.empty()) {
    const size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out += '$';
      tmpl.remove_prefix(1);
      continue;
    }
    std::string_view name;
    size_t consumed = 0;
    if (!ExtractGroup(tmpl, &name, &consumed)) {
      out += '$';  // malformed: the '$' is text
      continue;
    }
    tmpl.remove_prefix(consumed);
    // A number (no leading zero, below 1e8) is a group's index, else a name.
    int64_t num = 0;
    bool numeric = !(name[0] == '0' && name.size() > 1);
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100'000'000) {
        numeric = false;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (numeric) {
      if (num < static_cast<int64_t>(groups.size()) && groups[num].data() != nullptr) out.append(groups[num].data(), groups[num].size());
      continue;
    }
    const auto& named = re.NamedCapturingGroups();
    auto it = named.find(std::string(name));
    if (it != named.end() && it->second < static_cast<int>(groups.size()) && groups[it->second].data() != nullptr) {
      out.append(groups[it->second].data(), groups[it->second].size());
    }
  }
  out.append(tmpl);
  return out;
}

Status Validate(Config* c, NameScheme names) {
  auto compiled = std::make_shared<RE2>("^(?:" + c->regex + ")$", RE2::Quiet);
  if (!compiled->ok()) return Status::InvalidArgument("error parsing regexp: " + compiled->error());
  c->compiled = std::move(compiled);
  const Action a = c->action;
  const std::string name = ActionName(a);
  const Config defaults;
  auto invalid_target = [&] {
    return Status::InvalidArgument("\"" + c->target_label + "\" is invalid 'target_label' for " + name + " action");
  };
  if (a == Action::kHashMod && c->modulus == 0) {
    return Status::InvalidArgument("relabel configuration for hashmod requires non-zero modulus");
  }
  if ((a == Action::kReplace || a == Action::kHashMod || a == Action::kLowercase || a == Action::kUppercase ||
       a == Action::kKeepEqual || a == Action::kDropEqual) &&
      c->target_label.empty()) {
    return Status::InvalidArgument("relabel configuration for " + name + " action requires 'target_label' value");
  }
  if (a == Action::kReplace) {
    const bool templated = c->target_label.find('$') != std::string::npos;
    if (templated ? !ValidTargetTemplate(c->target_label, names) : !ValidLabelName(c->target_label, names)) {
      return invalid_target();
    }
  }
  if ((a == Action::kLowercase || a == Action::kUppercase || a == Action::kKeepEqual || a == Action::kDropEqual)) {
    if (!ValidLabelName(c->target_label, names)) return invalid_target();
    if (c->replacement != defaults.replacement) {
      return Status::InvalidArgument("'replacement' can not be set for " + name + " action");
    }
  }
  if (a == Action::kLabelMap && !ValidTargetTemplate(c->replacement, names)) {
    return Status::InvalidArgument("\"" + c->replacement + "\" is invalid 'replacement' for " + name + " action");
  }
  if (a == Action::kHashMod && !ValidLabelName(c->target_label, names)) return invalid_target();
  if ((a == Action::kKeepEqual || a == Action::kDropEqual) &&
      (c->regex_given || c->modulus != 0 || c->separator != defaults.separator ||
       c->replacement != defaults.replacement)) {
    return Status::InvalidArgument(name + " action requires only 'source_labels' and `target_label`, and no other fields");
  }
  if ((a == Action::kLabelDrop || a == Action::kLabelKeep) &&
      (!c->source_labels.empty() || !c->target_label.empty() || c->modulus != 0 ||
       c->separator != defaults.separator || c->replacement != defaults.replacement)) {
    return Status::InvalidArgument(name + " action requires only 'regex', and no other fields");
  }
  return Status::OK();
}

Result<std::vector<Config>> ParseConfigs(const YAML::Node& node, NameScheme names) {
  std::vector<Config> out;
  if (!node || node.IsNull()) return out;
  if (!node.IsSequence()) return Status::InvalidArgument("relabel configs must be a list");
  for (const YAML::Node& item : node) {
    if (!item.IsMap()) return Status::InvalidArgument("a relabel config must be a map");
    Config c;
    try {
      for (const auto& kv : item) {
        const std::string key = kv.first.as<std::string>();
        const YAML::Node& v = kv.second;
        if (key == "source_labels") {
          if (!v.IsSequence()) return Status::InvalidArgument("source_labels must be a list of label names");
          for (const YAML::Node& l : v) {
            const std::string label = l.as<std::string>();
            if (!ValidLabelName(label, names)) return Status::InvalidArgument("\"" + label + "\" is not a valid label name");
            c.source_labels.push_back(label);
          }
        } else if (key == "separator") {
          c.separator = v.IsNull() ? "" : v.as<std::string>();
        } else if (key == "regex") {
          c.regex = v.IsNull() ? "" : v.as<std::string>();
          c.regex_given = true;
        } else if (key == "modulus") {
          c.modulus = v.as<uint64_t>();
        } else if (key == "target_label") {
          c.target_label = v.IsNull() ? "" : v.as<std::string>();
        } else if (key == "replacement") {
          c.replacement = v.IsNull() ? "" : v.as<std::string>();
        } else if (key == "action") {
          std::string action = ToLowerUtf8(v.as<std::string>());
          auto it = std::find(std::begin(kActions), std::end(kActions), action);
          if (it == std::end(kActions)) {
            return Status::InvalidArgument("unknown relabel action \"" + v.as<std::string>() + "\"");
          }
          c.action = static_cast<Action>(it - std::begin(kActions));
        } else {
          return Status::InvalidArgument("field " + key + " not found in type relabel.plain");
        }
      }
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument("relabel config: " + e.msg);
    }
    RETURN_NOT_OK(Validate(&c, names));
    out.push_back(std::move(c));
  }
  return out;
}

bool Process(const std::vector<Config>& configs, model::Labels* labels, NameScheme names) {
  std::map<std::string, std::string, std::less<>> lb;
  for (const model::Label& l : *labels) lb[l.name] = l.value;
  auto get = [&lb](std::string_view name) -> std::string_view {
    auto it = lb.find(name);
    return it == lb.end() ? std::string_view() : std::string_view(it->second);
  };
  // Setting a label to "" removes it, as Prometheus's labels.Builder does.
  auto set = [&lb](const std::string& name, std::string value) {
    if (value.empty()) {
      lb.erase(name);
    } else {
      lb[name] = std::move(value);
    }
  };
  std::vector<re2::StringPiece> groups;
  for (const Config& c : configs) {
    std::string val;
    for (size_t i = 0; i < c.source_labels.size(); ++i) {
      if (i > 0) val += c.separator;
      val += get(c.source_labels[i]);
    }
    const RE2& re = *c.compiled;
    switch (c.action) {
      case Action::kDrop:
        if (RE2::FullMatch(val, re)) return false;
        break;
      case Action::kKeep:
        if (!RE2::FullMatch(val, re)) return false;
        break;
      case Action::kDropEqual:
        if (get(c.target_label) == val) return false;
        break;
      case Action::kKeepEqual:
        if (get(c.target_label) != val) return false;
        break;
      case Action::kReplace: {
        if (!MatchGroups(re, val, &groups)) break;  // no match: no replacement
        const std::string target = Expand(re, c.target_label, groups);
        if (!ValidLabelName(target, names)) break;
        set(target, Expand(re, c.replacement, groups));
        break;
      }
      case Action::kLowercase:
        set(c.target_label, ToLowerUtf8(val));
        break;
      case Action::kUppercase:
        set(c.target_label, ToUpperUtf8(val));
        break;
      case Action::kHashMod:
        set(c.target_label, Md5Mod(val, c.modulus));
        break;
      case Action::kLabelMap: {
        // Over the labels as they were before this step.
        const auto before = lb;
        for (const auto& [name, value] : before) {
          if (MatchGroups(re, name, &groups)) set(Expand(re, c.replacement, groups), value);
        }
        break;
      }
      case Action::kLabelDrop:
      case Action::kLabelKeep: {
        const bool drop_matching = c.action == Action::kLabelDrop;
        std::erase_if(lb, [&](const auto& kv) { return RE2::FullMatch(kv.first, re) == drop_matching; });
        break;
      }
    }
  }
  std::vector<model::Label> out;
  out.reserve(lb.size());
  for (auto& [name, value] : lb) out.push_back({name, std::move(value)});
  *labels = model::Labels::FromSorted(std::move(out));
  return true;
}

}  // namespace mytsdb::relabel
