#include "http/alertmanager_api.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <absl/time/clock.h>
#include <re2/re2.h>

#include <algorithm>

#include "alertmanager/alertmanager.h"
#include "alertmanager/api_json.h"
#include "http/api_util.h"

namespace mytsdb::http {

namespace {

namespace am = alertmanager;
using am::JsonWriter;

// go-swagger answers errors with a JSON string.
void Error(Response& res, int status, std::string_view message) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  am::WriteJsonString(&w, message);
  res.status = status;
  res.set_content(std::string(buf.GetString(), buf.GetSize()) + "\n", "application/json");
}

void Json(Response& res, const rapidjson::StringBuffer& buf) {
  res.set_content(std::string(buf.GetString(), buf.GetSize()) + "\n", "application/json");
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
    am::WriteJsonString(&w, am::RedactedConfigText(a.config()->original));
    w.EndObject();
    w.Key("uptime");
    am::WriteJsonString(&w, am::FormatRfc3339(a.started_at()));
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
      am::WriteJsonString(&w, r.name);
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
    for (const am::AlertState& s : alerts) am::WriteAlertJson(&w, s);
    w.EndArray();
    Json(res, buf);
  }), Pool::kAdmin);

  server->AddRoute("POST", "/api/v2/alerts", "/api/v2/alerts", with([](am::Alertmanager& a, const Request& req, Response& res) {
    auto alerts = am::ParsePostableAlerts(req.body);
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
      for (const am::AlertState& s : g.alerts) am::WriteAlertJson(&w, s);
      w.EndArray();
      w.Key("labels");
      am::WriteLabelsJson(&w, g.labels);
      w.Key("receiver");
      w.StartObject();
      w.Key("name");
      am::WriteJsonString(&w, g.receiver);
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
    std::erase_if(silences, [&](const am::Silence& s) { return !am::SilenceMatchesFilter(s, *filter); });
    am::SortSilences(&silences, now);
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartArray();
    for (const am::Silence& s : silences) am::WriteSilenceJson(&w, s, now);
    w.EndArray();
    Json(res, buf);
  }), Pool::kAdmin);

  server->AddRoute("POST", "/api/v2/silences", "/api/v2/silences", with([](am::Alertmanager& a, const Request& req, Response& res) {
    auto silence = am::ParsePostableSilence(req.body);
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
    am::WriteJsonString(&w, *id);
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
    am::WriteSilenceJson(&w, *s, absl::Now());
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
