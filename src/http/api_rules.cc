// /api/v1/rules and /api/v1/alerts with Prometheus's JSON (web/api/v1 in
// Prometheus), as Grafana and amtool-style tools read them.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <set>

#include "common/time_format.h"
#include "http/api_util.h"
#include "http/server.h"
#include "promql/ast.h"
#include "rules/manager.h"
#include "template/format.h"

namespace mytsdb::http {

namespace {

void WriteAlert(JsonWriter& w, const rules::Alert& a) {
  w.StartObject();
  w.Key("labels");
  WriteLabelObject(w, a.labels);
  w.Key("annotations");
  w.StartObject();
  for (const model::Label& l : a.annotations) {
    WriteString(w, l.name);
    WriteString(w, l.value);
  }
  w.EndObject();
  w.Key("state");
  w.String(rules::AlertStateName(a.state));
  w.Key("activeAt");
  WriteString(w, GoJsonTime(a.active_at));
  if (a.keep_firing_since != 0) {
    w.Key("keepFiringSince");
    WriteString(w, GoJsonTime(a.keep_firing_since));
  }
  w.Key("value");
  WriteString(w, tmpl::FormatFloat(a.value, 'e', -1));
  w.EndObject();
}

bool Listed(const std::vector<std::string>& filter, const std::string& value) {
  return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
}

}  // namespace

void Server::HandleRules(const Request& req, Response& res) {
  const std::string type = ParamValue(req, "type");
  if (!type.empty() && type != "alert" && type != "record") {
    return WriteApiError(res, 400, "bad_data", "invalid parameter \"type\": not supported value \"" + type + "\"");
  }
  const std::string exclude = ParamValue(req, "exclude_alerts");
  if (!exclude.empty() && exclude != "true" && exclude != "false") {
    return WriteApiError(res, 400, "bad_data", "invalid parameter \"exclude_alerts\": not a boolean");
  }
  const auto names = ParamValues(req, "rule_name[]");
  const auto groups_filter = ParamValues(req, "rule_group[]");
  const auto files = ParamValues(req, "file[]");
  std::shared_ptr<const rules::Manager> manager = rules_ ? rules_() : nullptr;

  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("groups");
  w.StartArray();
  for (const auto& g : manager ? manager->Groups() : std::vector<std::shared_ptr<const rules::Group>>{}) {
    if (!Listed(groups_filter, g->name()) || !Listed(files, g->file())) continue;
    const rules::GroupEvalStats stats = g->stats();
    std::vector<const rules::RuleInstance*> listed;
    for (const auto& r : g->rules()) {
      const bool alerting = r->spec().kind == rules::Rule::Kind::kAlerting;
      if ((type == "alert" && !alerting) || (type == "record" && alerting)) continue;
      if (!Listed(names, r->spec().name)) continue;
      listed.push_back(r.get());
    }
    // With a filter on rules, groups left without any are not listed.
    if (listed.empty() && (!type.empty() || !names.empty())) continue;
    w.StartObject();
    w.Key("name");
    WriteString(w, g->name());
    w.Key("file");
    WriteString(w, g->file());
    w.Key("rules");
    w.StartArray();
    for (const rules::RuleInstance* r : listed) {
      const rules::Rule& spec = r->spec();
      const rules::RuleHealth health = r->health();
      w.StartObject();
      const auto* alerting = dynamic_cast<const rules::AlertingRule*>(r);
      if (alerting) {
        const std::vector<rules::Alert> alerts = alerting->Alerts();
        rules::AlertState state = rules::AlertState::kInactive;
        for (const rules::Alert& a : alerts) state = std::max(state, a.state);
        w.Key("state");
        w.String(rules::AlertStateName(state));
      }
      w.Key("name");
      WriteString(w, spec.name);
      w.Key("query");
      WriteString(w, r->query().Text());
      if (alerting) {
        w.Key("duration");
        w.Double(spec.for_ms / 1000.0);
        w.Key("keepFiringFor");
        w.Double(spec.keep_firing_for_ms / 1000.0);
      }
      w.Key("labels");
      WriteLabelObject(w, spec.labels);
      if (alerting) {
        w.Key("annotations");
        WriteLabelObject(w, spec.annotations);
        w.Key("alerts");
        w.StartArray();
        if (exclude != "true") {
          for (const rules::Alert& a : alerting->Alerts()) {
            if (a.state != rules::AlertState::kInactive) WriteAlert(w, a);
          }
        }
        w.EndArray();
      }
      w.Key("health");
      w.String(health.state == rules::RuleHealth::State::kOk    ? "ok"
               : health.state == rules::RuleHealth::State::kErr ? "err"
                                                                : "unknown");
      if (!health.last_error.empty()) {
        w.Key("lastError");
        WriteString(w, health.last_error);
      }
      w.Key("evaluationTime");
      w.Double(health.eval_duration_us / 1e6);
      w.Key("lastEvaluation");
      WriteString(w, GoJsonTime(health.last_eval_ms));
      w.Key("type");
      w.String(alerting ? "alerting" : "recording");
      w.EndObject();
    }
    w.EndArray();
    w.Key("interval");
    w.Double(g->interval_ms() / 1000.0);
    w.Key("limit");
    w.Int64(g->limit());
    w.Key("evaluationTime");
    w.Double(stats.last_duration_us / 1e6);
    w.Key("lastEvaluation");
    WriteString(w, GoJsonTime(stats.last_eval_ms));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  WriteApiSuccess(res, buf.GetString());
}

void Server::HandleAlerts(const Request&, Response& res) {
  std::shared_ptr<const rules::Manager> manager = rules_ ? rules_() : nullptr;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("alerts");
  w.StartArray();
  if (manager) {
    for (const auto& g : manager->Groups()) {
      for (const auto& r : g->rules()) {
        const auto* alerting = dynamic_cast<const rules::AlertingRule*>(r.get());
        if (!alerting) continue;
        for (const rules::Alert& a : alerting->Alerts()) {
          if (a.state != rules::AlertState::kInactive) WriteAlert(w, a);
        }
      }
    }
  }
  w.EndArray();
  w.EndObject();
  WriteApiSuccess(res, buf.GetString());
}

}  // namespace mytsdb::http
