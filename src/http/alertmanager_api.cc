#include "http/alertmanager_api.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <absl/time/clock.h>
#include <re2/re2.h>

#include <algorithm>

#include "alertmanager/alertmanager.h"
#include "http/api_util.h"

namespace mytsdb::http {

namespace {

namespace am = alertmanager;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(JsonWriter* w, std::string_view s) { w->String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

// go-swagger answers errors with a JSON string.
void Error(Response& res, int status, std::string_view message) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  Str(&w, message);
  res.status = status;
  res.set_content(std::string(buf.GetString(), buf.GetSize()) + "\n", "application/json");
}

void Json(Response& res, const rapidjson::StringBuffer& buf) {
  res.set_content(std::string(buf.GetString(), buf.GetSize()) + "\n", "application/json");
}

void WriteLabels(JsonWriter* w, const model::Labels& labels) {
  w->StartObject();
  for (const model::Label& l : labels) {
    Str(w, l.name);
    Str(w, l.value);
  }
  w->EndObject();
}

void WriteStrings(JsonWriter* w, const std::vector<std::string>& list) {
  w->StartArray();
  for (const std::string& s : list) Str(w, s);
  w->EndArray();
}

void WriteAlert(JsonWriter* w, const am::AlertState& s) {
  const am::Alert& a = s.alert;
  w->StartObject();
  w->Key("annotations");
  w->StartObject();
  for (const auto& [k, v] : a.annotations) {
    Str(w, k);
    Str(w, v);
  }
  w->EndObject();
  w->Key("endsAt");
  Str(w, am::FormatRfc3339(a.ends_at));
  w->Key("fingerprint");
  Str(w, am::FingerprintString(a.Fingerprint()));
  w->Key("receivers");
  w->StartArray();
  for (const std::string& r : s.receivers) {
    w->StartObject();
    w->Key("name");
    Str(w, r);
    w->EndObject();
  }
  w->EndArray();
  w->Key("startsAt");
  Str(w, am::FormatRfc3339(a.starts_at));
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
  Str(w, am::FormatRfc3339(a.updated_at));
  w->Key("generatorURL");
  Str(w, a.generator_url);
  w->Key("labels");
  WriteLabels(w, a.labels);
  w->EndObject();
}

void WriteSilence(JsonWriter* w, const am::Silence& s, absl::Time now) {
  w->StartObject();
  w->Key("id");
  Str(w, s.id);
  w->Key("status");
  w->StartObject();
  w->Key("state");
  w->String(am::SilenceStateString(s.StateAt(now)));
  w->EndObject();
  w->Key("updatedAt");
  Str(w, am::FormatRfc3339(s.updated_at));
  w->Key("comment");
  Str(w, s.comment);
  w->Key("createdBy");
  Str(w, s.created_by);
  w->Key("endsAt");
  Str(w, am::FormatRfc3339(s.ends_at));
  w->Key("matchers");
  w->StartArray();
  for (const am::Matcher& m : s.matchers) {
    w->StartObject();
    w->Key("isEqual");
    w->Bool(m.type() == am::MatchType::kEqual || m.type() == am::MatchType::kRegexp);
    w->Key("isRegex");
    w->Bool(m.type() == am::MatchType::kRegexp || m.type() == am::MatchType::kNotRegexp);
    w->Key("name");
    Str(w, m.name());
    w->Key("value");
    Str(w, m.value());
    w->EndObject();
  }
  w->EndArray();
  w->Key("startsAt");
  Str(w, am::FormatRfc3339(s.starts_at));
  if (!s.time_intervals.empty()) {
    w->Key("timeIntervals");  // MyTSDB's recurring silences
    WriteStrings(w, s.time_intervals);
  }
  w->EndObject();
}

Result<am::Matchers> FilterMatchers(const Request& req) {
  am::Matchers out;
  for (size_t i = 0; i < req.get_param_value_count("filter"); ++i) {
    ASSIGN_OR_RETURN(am::Matcher m, am::ParseMatcher(req.get_param_value("filter", i)));
    out.push_back(std::move(m));
  }
  return out;
}

Result<bool> BoolParam(const Request& req, const char* name) {
  if (!req.has_param(name)) return true;
  const std::string v = req.get_param_value(name);
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return Status::InvalidArgument(std::string(name) + " in query must be of type boolean: \"" + v + "\"");
}

// The filters /api/v2/alerts and /api/v2/alerts/groups share.
struct AlertFilter {
  am::Matchers matchers;
  bool active = true, silenced = true, inhibited = true;
  std::unique_ptr<RE2> receiver;

  static Result<AlertFilter> From(const Request& req) {
    AlertFilter f;
    ASSIGN_OR_RETURN(f.matchers, FilterMatchers(req));
    ASSIGN_OR_RETURN(f.active, BoolParam(req, "active"));
    ASSIGN_OR_RETURN(f.silenced, BoolParam(req, "silenced"));
    ASSIGN_OR_RETURN(f.inhibited, BoolParam(req, "inhibited"));
    (void)BoolParam(req, "unprocessed");  // every alert here has been processed
    if (req.has_param("receiver")) {
      f.receiver = std::make_unique<RE2>("^(?:" + req.get_param_value("receiver") + ")$", RE2::Quiet);
      if (!f.receiver->ok()) return Status::InvalidArgument("failed to parse receiver param: " + f.receiver->error());
    }
    return f;
  }

  bool Keep(const am::AlertState& s, absl::Time now, bool check_receiver = true) const {
    if (s.alert.ResolvedAt(now)) return false;
    if (!active && std::string_view(s.state) == "active") return false;
    if (!silenced && !s.silenced_by.empty()) return false;
    if (!inhibited && !s.inhibited_by.empty()) return false;
    if (check_receiver && receiver && std::none_of(s.receivers.begin(), s.receivers.end(),
                                 [&](const std::string& r) { return RE2::FullMatch(r, *receiver); })) {
      return false;
    }
    return am::MatchesAll(matchers, s.alert.labels);
  }
};

std::string GetString(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                      : std::string();
}

Result<absl::Time> GetTime(const rapidjson::Value& v, const char* key, bool required) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || it->value.IsNull()) {
    if (required) return Status::InvalidArgument(std::string(key) + " in body is required");
    return am::kZeroTime;
  }
  if (!it->value.IsString()) return Status::InvalidArgument(std::string(key) + " in body must be of type date-time");
  return am::ParseRfc3339(std::string_view(it->value.GetString(), it->value.GetStringLength()));
}

Result<std::vector<am::Alert>> ParsePostableAlerts(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsArray()) return Status::InvalidArgument("parsing alerts body: not a JSON list");
  std::vector<am::Alert> out;
  for (const auto& v : doc.GetArray()) {
    if (!v.IsObject()) return Status::InvalidArgument("parsing alerts body: an alert is not an object");
    am::Alert a;
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

Result<am::Silence> ParsePostableSilence(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return Status::InvalidArgument("parsing silence body: not a JSON object");
  am::Silence s;
  s.id = GetString(doc, "id");
  auto matchers = doc.FindMember("matchers");
  if (matchers == doc.MemberEnd() || !matchers->value.IsArray()) return Status::InvalidArgument("matchers in body is required");
  for (const auto& m : matchers->value.GetArray()) {
    if (!m.IsObject()) return Status::InvalidArgument("matchers in body must be objects");
    auto flag = [&m](const char* key, bool fallback) {
      auto it = m.FindMember(key);
      return it != m.MemberEnd() && it->value.IsBool() ? it->value.GetBool() : fallback;
    };
    const bool regex = flag("isRegex", false), equal = flag("isEqual", true);
    const am::MatchType type = regex ? (equal ? am::MatchType::kRegexp : am::MatchType::kNotRegexp)
                                     : (equal ? am::MatchType::kEqual : am::MatchType::kNotEqual);
    auto matcher = am::Matcher::Make(type, GetString(m, "name"), GetString(m, "value"));
    if (!matcher.ok()) {
      return Status::InvalidArgument("failed to convert API silence to internal silence: " +
                                     matcher.status().message());
    }
    s.matchers.push_back(*std::move(matcher));
  }
  ASSIGN_OR_RETURN(s.starts_at, GetTime(doc, "startsAt", true));
  ASSIGN_OR_RETURN(s.ends_at, GetTime(doc, "endsAt", true));
  s.created_by = GetString(doc, "createdBy");
  s.comment = GetString(doc, "comment");
  if (auto ti = doc.FindMember("timeIntervals"); ti != doc.MemberEnd() && ti->value.IsArray()) {
    for (const auto& n : ti->value.GetArray()) {
      if (!n.IsString()) return Status::InvalidArgument("timeIntervals in body must be a list of names");
      s.time_intervals.emplace_back(n.GetString(), n.GetStringLength());
    }
  }
  return s;
}

// Alertmanager's order: active by end, then pending by start, then
// expired, the latest end first.
void SortSilences(std::vector<am::Silence>* silences, absl::Time now) {
  auto rank = [now](const am::Silence& s) {
    switch (s.StateAt(now)) {
      case am::SilenceState::kActive: return 0;
      case am::SilenceState::kPending: return 1;
      case am::SilenceState::kExpired: return 2;
    }
    return 3;
  };
  std::stable_sort(silences->begin(), silences->end(), [&](const am::Silence& a, const am::Silence& b) {
    const int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb;
    if (ra == 0) return a.ends_at < b.ends_at;
    if (ra == 1) return a.starts_at < b.starts_at;
    return a.ends_at > b.ends_at;
  });
}

// A silence's matchers against a filter: every filter matcher must equal
// one of the silence's (Alertmanager's CheckSilenceMatchesFilterLabels).
bool SilenceMatchesFilter(const am::Silence& s, const am::Matchers& filter) {
  if (filter.empty()) return true;
  std::vector<model::Label> labels;
  for (const am::Matcher& m : s.matchers) {
    if (m.type() == am::MatchType::kEqual) labels.push_back({m.name(), m.value()});
  }
  const model::Labels set = model::Labels::FromUnsorted(std::move(labels));
  for (const am::Matcher& f : filter) {
    bool found = false;
    for (const am::Matcher& m : s.matchers) {
      if (m.name() != f.name()) continue;
      if (m.type() == am::MatchType::kEqual) {
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

}  // namespace

void AddAlertmanagerApi(Server* server, std::function<am::Alertmanager*()> get) {
  using Pool = Server::Pool;
  auto with = [get](std::function<void(am::Alertmanager&, const Request&, Response&)> f) {
    return [get, f = std::move(f)](const Request& req, Response& res) {
      am::Alertmanager* a = get();
      if (a == nullptr) return Error(res, 503, "the Alertmanager is not running");
      f(*a, req, res);
    };
  };

  server->AddRoute("GET", "/api/v2/status", "/api/v2/status", with([](am::Alertmanager& a, const Request&, Response& res) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("cluster");
    w.StartObject();
    w.Key("peers");
    w.StartArray();
    w.EndArray();
    w.Key("status");
    w.String("disabled");  // single node: no gossip (docs/ALERTMANAGER.md)
    w.EndObject();
    w.Key("config");
    w.StartObject();
    w.Key("original");
    Str(&w, am::RedactedConfigText(a.config()->original));
    w.EndObject();
    w.Key("uptime");
    Str(&w, am::FormatRfc3339(a.started_at()));
    w.Key("versionInfo");
    w.StartObject();
    for (auto [k, v] : {std::pair{"branch", "HEAD"}, {"buildDate", ""}, {"buildUser", "mytsdb"},
                        {"goVersion", "none (MyTSDB, C++)"}, {"revision", ""}, {"version", "0.25.0-mytsdb"}}) {
      w.Key(k);
      w.String(v);
    }
    w.EndObject();
    w.EndObject();
    Json(res, buf);
  }), Pool::kAdmin);

  server->AddRoute("GET", "/api/v2/receivers", "/api/v2/receivers", with([](am::Alertmanager& a, const Request&, Response& res) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (const am::Receiver& r : a.config()->receivers) {
      w.StartObject();
      w.Key("name");
      Str(&w, r.name);
      w.EndObject();
    }
    w.EndArray();
    Json(res, buf);
  }), Pool::kAdmin);

  server->AddRoute("GET", "/api/v2/alerts", "/api/v2/alerts", with([](am::Alertmanager& a, const Request& req, Response& res) {
    auto filter = AlertFilter::From(req);
    if (!filter.ok()) return Error(res, 400, filter.status().message());
    const absl::Time now = absl::Now();
    std::vector<am::AlertState> alerts = a.Alerts();
    std::erase_if(alerts, [&](const am::AlertState& s) { return !filter->Keep(s, now); });
    std::sort(alerts.begin(), alerts.end(), [](const am::AlertState& x, const am::AlertState& y) {
      return am::FingerprintString(x.alert.Fingerprint()) < am::FingerprintString(y.alert.Fingerprint());
    });
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (const am::AlertState& s : alerts) WriteAlert(&w, s);
    w.EndArray();
    Json(res, buf);
  }), Pool::kAdmin);

  server->AddRoute("POST", "/api/v2/alerts", "/api/v2/alerts", with([](am::Alertmanager& a, const Request& req, Response& res) {
    auto alerts = ParsePostableAlerts(req.body);
    if (!alerts.ok()) return Error(res, 400, alerts.status().message());
    if (Status st = a.PutAlerts(*std::move(alerts)); !st.ok()) return Error(res, 400, st.message());
    res.set_content("", "application/json");
  }), Pool::kIngest);

  server->AddRoute("GET", "/api/v2/alerts/groups", "/api/v2/alerts/groups", with([](am::Alertmanager& a, const Request& req, Response& res) {
    auto filter = AlertFilter::From(req);
    if (!filter.ok()) return Error(res, 400, filter.status().message());
    const absl::Time now = absl::Now();
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (am::Alertmanager::Group& g : a.Groups()) {
      if (filter->receiver && !RE2::FullMatch(g.receiver, *filter->receiver)) continue;
      // The group's receiver was checked above; its alerts may go elsewhere too.
      std::erase_if(g.alerts, [&](const am::AlertState& s) { return !filter->Keep(s, now, /*check_receiver=*/false); });
      if (g.alerts.empty()) continue;
      w.StartObject();
      w.Key("alerts");
      w.StartArray();
      for (const am::AlertState& s : g.alerts) WriteAlert(&w, s);
      w.EndArray();
      w.Key("labels");
      WriteLabels(&w, g.labels);
      w.Key("receiver");
      w.StartObject();
      w.Key("name");
      Str(&w, g.receiver);
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
    Json(res, buf);
  }), Pool::kAdmin);

  server->AddRoute("GET", "/api/v2/silences", "/api/v2/silences", with([](am::Alertmanager& a, const Request& req, Response& res) {
    auto filter = FilterMatchers(req);
    if (!filter.ok()) return Error(res, 400, filter.status().message());
    const absl::Time now = absl::Now();
    std::vector<am::Silence> silences = a.silences().List();
    std::erase_if(silences, [&](const am::Silence& s) { return !SilenceMatchesFilter(s, *filter); });
    SortSilences(&silences, now);
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (const am::Silence& s : silences) WriteSilence(&w, s, now);
    w.EndArray();
    Json(res, buf);
  }), Pool::kAdmin);

  server->AddRoute("POST", "/api/v2/silences", "/api/v2/silences", with([](am::Alertmanager& a, const Request& req, Response& res) {
    auto silence = ParsePostableSilence(req.body);
    if (!silence.ok()) return Error(res, 400, silence.status().message());
    if (silence->starts_at >= silence->ends_at) {
      return Error(res, 400, "Failed to create silence: start time must be before end time");
    }
    if (silence->ends_at < absl::Now()) return Error(res, 400, "Failed to create silence: end time can't be in the past");
    // A recurring silence names time intervals of the configuration.
    const auto config = a.config();
    for (const std::string& name : silence->time_intervals) {
      if (!config->time_intervals.count(name)) {
        return Error(res, 400, "Failed to create silence: time interval \"" + name +
                                   "\" is not defined in the configuration's time_intervals");
      }
    }
    auto id = a.silences().Set(*std::move(silence));
    if (!id.ok()) return Error(res, id.status().IsNotFound() ? 404 : 400, id.status().message());
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("silenceID");
    Str(&w, *id);
    w.EndObject();
    Json(res, buf);
  }), Pool::kAdmin);

  server->AddRoute("GET", "/api/v2/silence/([^/]+)", "/api/v2/silence/:id", with([](am::Alertmanager& a, const Request& req, Response& res) {
    auto s = a.silences().Get(req.matches.at(1));
    if (!s) {
      res.status = 404;
      res.set_content("", "application/json");
      return;
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    WriteSilence(&w, *s, absl::Now());
    Json(res, buf);
  }), Pool::kAdmin);

  server->AddRoute("DELETE", "/api/v2/silence/([^/]+)", "/api/v2/silence/:id", with([](am::Alertmanager& a, const Request& req, Response& res) {
    Status st = a.silences().Expire(req.matches.at(1));
    if (st.IsNotFound()) {
      res.status = 404;
      res.set_content("", "application/json");
      return;
    }
    if (!st.ok()) return Error(res, 500, st.message());
    res.set_content("", "application/json");
  }), Pool::kAdmin);
}

}  // namespace mytsdb::http
