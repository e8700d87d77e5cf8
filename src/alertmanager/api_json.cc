#include "alertmanager/api_json.h"

#include <algorithm>

namespace mytsdb::alertmanager {

namespace {

void WriteStrings(JsonWriter* w, const std::vector<std::string>& list) {
  w->StartArray();
  for (const std::string& s : list) WriteJsonString(w, s);
  w->EndArray();
}

std::string GetString(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                      : std::string();
}

Result<absl::Time> GetTime(const rapidjson::Value& v, const char* key, bool required) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || it->value.IsNull()) {
    if (required) return Status::InvalidArgument(std::string(key) + " in body is required");
    return kZeroTime;
  }
  if (!it->value.IsString()) return Status::InvalidArgument(std::string(key) + " in body must be of type date-time");
  return ParseRfc3339(std::string_view(it->value.GetString(), it->value.GetStringLength()));
}

}  // namespace

void WriteAlertJson(JsonWriter* w, const AlertState& s) {
  const Alert& a = s.alert;
  w->StartObject();
  w->Key("annotations");
  WriteStringMapJson(w, a.annotations);
  w->Key("endsAt");
  WriteJsonString(w, FormatRfc3339(a.ends_at));
  w->Key("fingerprint");
  WriteJsonString(w, FingerprintString(a.Fingerprint()));
  w->Key("receivers");
  w->StartArray();
  for (const std::string& r : s.receivers) {
    w->StartObject();
    w->Key("name");
    WriteJsonString(w, r);
    w->EndObject();
  }
  w->EndArray();
  w->Key("startsAt");
  WriteJsonString(w, FormatRfc3339(a.starts_at));
  w->Key("status");
  w->StartObject();
  w->Key("inhibitedBy");
  WriteStrings(w, s.inhibited_by);
  w->Key("silencedBy");
  WriteStrings(w, s.silenced_by);
  w->Key("state");
  w->String(s.state);
  w->EndObject();
  w->Key("updatedAt");
  WriteJsonString(w, FormatRfc3339(a.updated_at));
  w->Key("generatorURL");
  WriteJsonString(w, a.generator_url);
  w->Key("labels");
  WriteLabelsJson(w, a.labels);
  w->EndObject();
}

void WriteSilenceJson(JsonWriter* w, const Silence& s, absl::Time now) {
  w->StartObject();
  w->Key("id");
  WriteJsonString(w, s.id);
  w->Key("status");
  w->StartObject();
  w->Key("state");
  w->String(SilenceStateString(s.StateAt(now)));
  w->EndObject();
  w->Key("updatedAt");
  WriteJsonString(w, FormatRfc3339(s.updated_at));
  w->Key("comment");
  WriteJsonString(w, s.comment);
  w->Key("createdBy");
  WriteJsonString(w, s.created_by);
  w->Key("endsAt");
  WriteJsonString(w, FormatRfc3339(s.ends_at));
  w->Key("matchers");
  w->StartArray();
  for (const Matcher& m : s.matchers) {
    w->StartObject();
    w->Key("isEqual");
    w->Bool(m.type() == MatchType::kEqual || m.type() == MatchType::kRegexp);
    w->Key("isRegex");
    w->Bool(m.type() == MatchType::kRegexp || m.type() == MatchType::kNotRegexp);
    w->Key("name");
    WriteJsonString(w, m.name());
    w->Key("value");
    WriteJsonString(w, m.value());
    w->EndObject();
  }
  w->EndArray();
  w->Key("startsAt");
  WriteJsonString(w, FormatRfc3339(s.starts_at));
  if (!s.time_intervals.empty()) {
    w->Key("timeIntervals");  // MyTSDB's recurring silences
    WriteStrings(w, s.time_intervals);
  }
  w->EndObject();
}



Result<std::vector<Alert>> ParsePostableAlerts(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsArray()) return Status::InvalidArgument("parsing alerts body: not a JSON list");
  std::vector<Alert> out;
  for (const auto& v : doc.GetArray()) {
    if (!v.IsObject()) return Status::InvalidArgument("parsing alerts body: an alert is not an object");
    Alert a;
    auto labels = v.FindMember("labels");
    if (labels == v.MemberEnd() || !labels->value.IsObject()) {
      return Status::InvalidArgument("labels in body is required");
    }
    std::vector<model::Label> list;
    for (const auto& m : labels->value.GetObject()) {
      if (!m.value.IsString()) return Status::InvalidArgument("labels in body must be a map of strings");
      list.push_back({m.name.GetString(), std::string(m.value.GetString(), m.value.GetStringLength())});
    }
    a.labels = model::Labels::FromUnsorted(std::move(list));
    if (auto ann = v.FindMember("annotations"); ann != v.MemberEnd() && ann->value.IsObject()) {
      for (const auto& m : ann->value.GetObject()) {
        if (!m.value.IsString()) return Status::InvalidArgument("annotations in body must be a map of strings");
        a.annotations[m.name.GetString()] = std::string(m.value.GetString(), m.value.GetStringLength());
      }
    }
    ASSIGN_OR_RETURN(a.starts_at, GetTime(v, "startsAt", false));
    ASSIGN_OR_RETURN(a.ends_at, GetTime(v, "endsAt", false));
    a.generator_url = GetString(v, "generatorURL");
    out.push_back(std::move(a));
  }
  return out;
}

Result<Silence> ParsePostableSilence(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return Status::InvalidArgument("parsing silence body: not a JSON object");
  const rapidjson::Value& root = doc;  // const iterators: unambiguous comparisons in C++20
  Silence s;
  s.id = GetString(root, "id");
  auto matchers = root.FindMember("matchers");
  if (matchers == root.MemberEnd() || !matchers->value.IsArray()) {
    return Status::InvalidArgument("matchers in body is required");
  }
  for (const auto& m : matchers->value.GetArray()) {
    if (!m.IsObject()) return Status::InvalidArgument("matchers in body must be objects");
    auto flag = [&m](const char* key, bool fallback) {
      auto it = m.FindMember(key);
      return it != m.MemberEnd() && it->value.IsBool() ? it->value.GetBool() : fallback;
    };
    const bool regex = flag("isRegex", false), equal = flag("isEqual", true);
    const MatchType type = regex ? (equal ? MatchType::kRegexp : MatchType::kNotRegexp)
                                     : (equal ? MatchType::kEqual : MatchType::kNotEqual);
    auto matcher = Matcher::Make(type, GetString(m, "name"), GetString(m, "value"));
    if (!matcher.ok()) {
      return Status::InvalidArgument("failed to convert API silence to internal silence: " +
                                     matcher.status().message());
    }
    s.matchers.push_back(*std::move(matcher));
  }
  ASSIGN_OR_RETURN(s.starts_at, GetTime(root, "startsAt", true));
  ASSIGN_OR_RETURN(s.ends_at, GetTime(root, "endsAt", true));
  s.created_by = GetString(root, "createdBy");
  s.comment = GetString(root, "comment");
  if (auto ti = root.FindMember("timeIntervals"); ti != root.MemberEnd() && ti->value.IsArray()) {
    for (const auto& n : ti->value.GetArray()) {
      if (!n.IsString()) return Status::InvalidArgument("timeIntervals in body must be a list of names");
      s.time_intervals.emplace_back(n.GetString(), n.GetStringLength());
    }
  }
  return s;
}

// Alertmanager's order: active by end, then pending by start, then
// expired, the latest end first.
void SortSilences(std::vector<Silence>* silences, absl::Time now) {
  auto rank = [now](const Silence& s) {
    switch (s.StateAt(now)) {
      case SilenceState::kActive: return 0;
      case SilenceState::kPending: return 1;
      case SilenceState::kExpired: return 2;
    }
    return 3;
  };
  std::stable_sort(silences->begin(), silences->end(), [&](const Silence& a, const Silence& b) {
    const int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb;
    if (ra == 0) return a.ends_at < b.ends_at;
    if (ra == 1) return a.starts_at < b.starts_at;
    return a.ends_at > b.ends_at;
  });
}

// A silence's matchers against a filter: every filter matcher must equal
// one of the silence's (Alertmanager's CheckSilenceMatchesFilterLabels).
bool SilenceMatchesFilter(const Silence& s, const Matchers& filter) {
  if (filter.empty()) return true;
  std::vector<model::Label> labels;
  for (const Matcher& m : s.matchers) {
    if (m.type() == MatchType::kEqual) labels.push_back({m.name(), m.value()});
  }
  const model::Labels set = model::Labels::FromUnsorted(std::move(labels));
  for (const Matcher& f : filter) {
    bool found = false;
    for (const Matcher& m : s.matchers) {
      if (m.name() != f.name()) continue;
      if (m.type() == MatchType::kEqual) {
        found = f.Matches(m.value());
      } else {
        found = m.type() == f.type() && m.value() == f.value();
      }
      if (found) break;
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace mytsdb::alertmanager
