#include "alertmanager/notification_template.h"


#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "alertmanager/template_functions.h"
#include "io/file_system.h"

namespace mytsdb::alertmanager {

namespace {

using tmpl::Kind;
using tmpl::Method;
using tmpl::Param;
using tmpl::Type;
using tmpl::Value;

// The subject of a notification: its status (with the number of firing
// alerts), the group's label values, then in parentheses the values of
// the other labels all alerts share. Slack titles and email subjects use
// it, so they read as Alertmanager's.
constexpr std::string_view kDefaults = R"TMPL(
{{- define "__alertmanager" }}Alertmanager{{ end }}
{{- define "__alertmanagerURL" }}{{ .ExternalURL }}/#/alerts?receiver={{ urlquery .Receiver }}{{ end }}
{{- define "__subject" -}}
[{{ toUpper .Status }}{{ if eq .Status "firing" }}:{{ len .Alerts.Firing }}{{ end }}] {{ join " " .GroupLabels.SortedPairs.Values }} {{ if gt (len .CommonLabels) (len .GroupLabels) }}({{ join " " (.CommonLabels.Remove .GroupLabels.Names).Values }}){{ end }}
{{- end }}
{{- define "__alert_lines" }}{{ range . }}Labels:
{{ range .Labels.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end }}Annotations:
{{ range .Annotations.SortedPairs }} - {{ .Name }} = {{ .Value }}
{{ end }}Source: {{ .GeneratorURL }}
{{ end }}{{ end }}

{{- define "slack.default.title" }}{{ template "__subject" . }}{{ end }}
{{- define "slack.default.username" }}{{ template "__alertmanager" . }}{{ end }}
{{- define "slack.default.titlelink" }}{{ template "__alertmanagerURL" . }}{{ end }}
{{- define "slack.default.fallback" }}{{ template "slack.default.title" . }} | {{ template "slack.default.titlelink" . }}{{ end }}
{{- define "slack.default.callbackid" }}{{ end }}
{{- define "slack.default.pretext" }}{{ end }}
{{- define "slack.default.iconemoji" }}{{ end }}
{{- define "slack.default.iconurl" }}{{ end }}
{{- define "slack.default.text" }}{{ end }}
{{- define "slack.default.footer" }}{{ end }}

{{- define "email.default.subject" }}{{ template "__subject" . }}{{ end }}
{{- define "email.default.text" }}{{ template "__subject" . }}

{{ if .Alerts.Firing }}Firing:
{{ template "__alert_lines" .Alerts.Firing }}{{ end }}{{ if .Alerts.Resolved }}Resolved:
{{ template "__alert_lines" .Alerts.Resolved }}{{ end }}
Sent by {{ template "__alertmanager" . }}: {{ template "__alertmanagerURL" . }}
{{ end }}
{{- define "__email_alert_rows" }}{{ range . }}
<tr><td style="padding:8px 12px;border-top:1px solid #e4e7ea">
<strong>{{ .Labels.alertname }}</strong>
<table style="margin:6px 0;border-collapse:collapse;font-size:13px">
{{ range .Labels.SortedPairs }}<tr><td style="padding:1px 8px 1px 0;color:#667">{{ .Name }}</td><td>{{ .Value }}</td></tr>
{{ end }}</table>
{{ range .Annotations.SortedPairs }}<p style="margin:4px 0"><em>{{ .Name }}</em>: {{ .Value }}</p>
{{ end }}{{ if .GeneratorURL }}<p style="margin:4px 0"><a href="{{ .GeneratorURL }}">Source</a></p>{{ end }}
</td></tr>{{ end }}{{ end }}
{{- define "email.default.html" -}}
<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>{{ template "__subject" . }}</title></head>
<body style="font-family:Helvetica,Arial,sans-serif;background:#f6f6f6;margin:0;padding:20px">
<table style="max-width:640px;margin:0 auto;background:#fff;border:1px solid #e4e7ea;border-collapse:collapse;width:100%">
<tr><td style="padding:14px 12px;color:#fff;background:{{ if eq .Status "firing" }}#d63b3b{{ else }}#3a9d5d{{ end }}">
{{ len .Alerts.Firing }} firing, {{ len .Alerts.Resolved }} resolved{{ if .GroupLabels }}: {{ join " " .GroupLabels.SortedPairs.Values }}{{ end }}
</td></tr>
{{ if .Alerts.Firing }}<tr><td style="padding:10px 12px 0"><strong>Firing</strong></td></tr>{{ template "__email_alert_rows" .Alerts.Firing }}{{ end }}
{{ if .Alerts.Resolved }}<tr><td style="padding:10px 12px 0"><strong>Resolved</strong></td></tr>{{ template "__email_alert_rows" .Alerts.Resolved }}{{ end }}
<tr><td style="padding:12px;font-size:12px;color:#667">Sent by MyTSDB's {{ template "__alertmanager" . }} &middot; <a href="{{ template "__alertmanagerURL" . }}">view in Alertmanager</a></td></tr>
</table></body></html>
{{ end }}
)TMPL";

std::shared_ptr<const Type> MakeType(std::string name, std::map<std::string, Method, std::less<>> methods = {}) {
  auto t = std::make_shared<Type>();
  t->name = std::move(name);
  t->methods = std::move(methods);
  return t;
}

// KV.SortedPairs: by name, with alertname first.
std::vector<std::pair<std::string, std::string>> SortedPairs(const Value& kv) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& [k, v] : kv.AsMap().entries) {
    if (k != "alertname") pairs.emplace_back(k, v.AsString());
  }
  if (auto it = kv.AsMap().entries.find("alertname"); it != kv.AsMap().entries.end()) {
    pairs.insert(pairs.begin(), {"alertname", it->second.AsString()});
  }
  return pairs;
}

Value StringList(std::vector<std::string> items) {
  Value::List list;
  for (std::string& s : items) list.push_back(Value::String(std::move(s)));
  return Value::MakeList(std::move(list));
}

const std::shared_ptr<const Type>& PairsType();
const std::shared_ptr<const Type>& KvType();

const std::shared_ptr<const Type>& PairType() {
  static const auto* type = new std::shared_ptr<const Type>(MakeType("template.Pair"));
  return *type;
}

Value FieldOf(const Value& v, std::string_view name) {
  for (const auto& [field, value] : v.AsFields()) {
    if (field == name) return value;
  }
  return Value();
}

const std::shared_ptr<const Type>& PairsType() {
  static const auto* type = new std::shared_ptr<const Type>(MakeType(
      "template.Pairs",
      {{"Names", Method{{}, false, Param::kAny, [](const Value& self, std::span<const Value>) -> Result<Value> {
          std::vector<std::string> out;
          for (const Value& p : self.AsList()) out.push_back(FieldOf(p, "Name").AsString());
          return StringList(std::move(out));
        }}},
       {"Values", Method{{}, false, Param::kAny, [](const Value& self, std::span<const Value>) -> Result<Value> {
          std::vector<std::string> out;
          for (const Value& p : self.AsList()) out.push_back(FieldOf(p, "Value").AsString());
          return StringList(std::move(out));
        }}}}));
  return *type;
}

Value MakeKv(std::map<std::string, std::string, std::less<>> entries) {
  return Value::StringMap(std::move(entries), KvType());
}

const std::shared_ptr<const Type>& KvType() {
  static const auto* type = new std::shared_ptr<const Type>(MakeType(
      "template.KV",
      {{"SortedPairs", Method{{}, false, Param::kAny, [](const Value& self, std::span<const Value>) -> Result<Value> {
          Value::List list;
          for (auto& [k, v] : SortedPairs(self)) {
            list.push_back(Value::Struct({{"Name", Value::String(k)}, {"Value", Value::String(v)}}, PairType()));
          }
          return Value::MakeList(std::move(list), PairsType());
        }}},
       {"Names", Method{{}, false, Param::kAny, [](const Value& self, std::span<const Value>) -> Result<Value> {
          std::vector<std::string> out;
          for (auto& [k, v] : SortedPairs(self)) out.push_back(k);
          return StringList(std::move(out));
        }}},
       {"Values", Method{{}, false, Param::kAny, [](const Value& self, std::span<const Value>) -> Result<Value> {
          std::vector<std::string> out;
          for (auto& [k, v] : SortedPairs(self)) out.push_back(v);
          return StringList(std::move(out));
        }}},
       {"Remove", Method{{Param::kAny}, false, Param::kAny,
                         [](const Value& self, std::span<const Value> args) -> Result<Value> {
                           if (args[0].kind() != Kind::kList) {
                             return Status::InvalidArgument("wrong type for value; expected []string; got " +
                                                            args[0].TypeName());
                           }
                           std::map<std::string, std::string, std::less<>> kept;
                           for (const auto& [k, v] : self.AsMap().entries) kept[k] = v.AsString();
                           for (const Value& key : args[0].AsList()) {
                             if (key.kind() == Kind::kString) kept.erase(key.AsString());
                           }
                           return MakeKv(std::move(kept));
                         }}}}));
  return *type;
}

const std::shared_ptr<const Type>& TimeType() {
  static const auto* type = new std::shared_ptr<const Type>([] {
    auto t = std::make_shared<Type>();
    t->name = "time.Time";
    t->string_method = [](const Value& v) { return v.AsString(); };
    return std::shared_ptr<const Type>(std::move(t));
  }());
  return *type;
}

Value TimeValue(absl::Time t) {
  // Go's time.Time.String() in UTC.
  return Value::Typed(Value::String(absl::FormatTime("%4Y-%m-%d %H:%M:%E*S +0000 UTC", t, absl::UTCTimeZone())),
                      TimeType());
}

const std::shared_ptr<const Type>& AlertsType() {
  static const auto* type = new std::shared_ptr<const Type>([] {
    auto filter = [](const char* status) {
      return Method{{}, false, Param::kAny, [status](const Value& self, std::span<const Value>) -> Result<Value> {
                      Value::List out;
                      for (const Value& a : self.AsList()) {
                        if (FieldOf(a, "Status").AsString() == status) out.push_back(a);
                      }
                      return Value::MakeList(std::move(out), AlertsType());
                    }};
    };
    return MakeType("template.Alerts", {{"Firing", filter("firing")}, {"Resolved", filter("resolved")}});
  }());
  return *type;
}

std::map<std::string, std::string, std::less<>> ToMap(const model::Labels& labels) {
  std::map<std::string, std::string, std::less<>> out;
  for (const model::Label& l : labels) out[l.name] = l.value;
  return out;
}

}  // namespace

std::string_view DefaultTemplates() { return kDefaults; }

tmpl::Value TemplateData(const NotificationData& d) {
  static const auto* alert_type = new std::shared_ptr<const Type>(MakeType("template.Alert"));
  static const auto* data_type = new std::shared_ptr<const Type>(MakeType("*template.Data"));
  Value::List alerts;
  for (const AlertData& a : d.alerts) {
    std::map<std::string, std::string, std::less<>> annotations(a.annotations.begin(), a.annotations.end());
    alerts.push_back(Value::Struct({{"Status", Value::String(a.status)},
                                    {"Labels", MakeKv(ToMap(a.labels))},
                                    {"Annotations", MakeKv(std::move(annotations))},
                                    {"StartsAt", TimeValue(a.starts_at)},
                                    {"EndsAt", TimeValue(a.ends_at)},
                                    {"GeneratorURL", Value::String(a.generator_url)},
                                    {"Fingerprint", Value::String(a.fingerprint)}},
                                   *alert_type));
  }
  return Value::Struct(
      {{"Receiver", Value::String(d.receiver)},
       {"Status", Value::String(d.status)},
       {"Alerts", Value::MakeList(std::move(alerts), AlertsType())},
       {"GroupLabels", MakeKv(ToMap(d.group_labels))},
       {"CommonLabels", MakeKv({d.common_labels.begin(), d.common_labels.end()})},
       {"CommonAnnotations", MakeKv({d.common_annotations.begin(), d.common_annotations.end()})},
       {"ExternalURL", Value::String(d.external_url)}},
      *data_type);
}

Result<std::shared_ptr<const NotificationTemplates>> NotificationTemplates::Load(const std::vector<std::string>& globs) {
  ASSIGN_OR_RETURN(tmpl::Template set, tmpl::Template::Parse("", "", TemplateFunctions()));
  RETURN_NOT_OK(set.AddText("default.tmpl", kDefaults));
  for (const std::string& pattern : globs) {
    // A pattern that cannot be read matches nothing, as Go's filepath.Glob.
    const std::vector<std::string> paths = io::Glob(pattern).ValueOr({});
    for (const std::string& path : paths) {
      std::ifstream in(path, std::ios::binary);
      if (!in) return Status::IOError("open " + path + ": cannot read");
      std::stringstream text;
      text << in.rdbuf();
      RETURN_NOT_OK(set.AddText(std::filesystem::path(path).filename().string(), text.str()));
    }
  }
  return std::shared_ptr<const NotificationTemplates>(new NotificationTemplates(std::move(set)));
}

Result<std::string> NotificationTemplates::Execute(std::string_view text, const tmpl::Value& data, bool html) const {
  if (text.empty()) return std::string();
  tmpl::Template t = set_;
  RETURN_NOT_OK(t.AddText("__text", text));
  tmpl::ExecOptions options;
  options.missing_key = tmpl::MissingKey::kZero;  // Alertmanager's missingkey=zero
  options.escape_html = html;
  return t.ExecuteTemplate("__text", data, options);
}

}  // namespace mytsdb::alertmanager
