#include "alertmanager/notification_data.h"

#include "alertmanager/json_writer.h"

namespace mytsdb::alertmanager {

std::string QuoteMeta(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

NotificationData MakeNotificationData(std::string_view receiver, const model::Labels& group_labels,
                                      const std::vector<Alert>& alerts, absl::Time now, std::string external_url) {
  NotificationData d;
  d.receiver = QuoteMeta(receiver);
  d.group_labels = group_labels;
  d.external_url = std::move(external_url);
  bool any_firing = false;
  for (const Alert& a : alerts) {
    AlertData ad;
    const bool resolved = a.ResolvedAt(now);
    any_firing = any_firing || !resolved;
    ad.status = resolved ? "resolved" : "firing";
    ad.labels = a.labels;
    ad.annotations = a.annotations;
    ad.starts_at = a.starts_at;
    ad.ends_at = resolved ? a.ends_at : kZeroTime;  // an end not reached yet is not shown
    ad.generator_url = a.generator_url;
    ad.fingerprint = FingerprintString(a.Fingerprint());
    d.alerts.push_back(std::move(ad));
  }
  if (!alerts.empty()) {
    for (const model::Label& l : alerts[0].labels) d.common_labels[l.name] = l.value;
    d.common_annotations = alerts[0].annotations;
    for (size_t i = 1; i < alerts.size(); ++i) {
      std::erase_if(d.common_labels, [&](const auto& kv) { return alerts[i].labels.Get(kv.first) != kv.second; });
      std::erase_if(d.common_annotations, [&](const auto& kv) {
        auto it = alerts[i].annotations.find(kv.first);
        return it == alerts[i].annotations.end() || it->second != kv.second;
      });
    }
  }
  d.status = any_firing ? "firing" : "resolved";
  return d;
}

std::string WebhookMessage(const NotificationData& d, const std::string& group_key, uint64_t truncated_alerts) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("receiver");
  WriteJsonString(&w, d.receiver);
  w.Key("status");
  WriteJsonString(&w, d.status);
  w.Key("alerts");
  w.StartArray();
  for (const AlertData& a : d.alerts) {
    w.StartObject();
    w.Key("status");
    WriteJsonString(&w, a.status);
    w.Key("labels");
    WriteLabelsJson(&w, a.labels);
    w.Key("annotations");
    WriteStringMapJson(&w, a.annotations);
    w.Key("startsAt");
    WriteJsonString(&w, FormatRfc3339(a.starts_at));
    w.Key("endsAt");
    WriteJsonString(&w, FormatRfc3339(a.ends_at));
    w.Key("generatorURL");
    WriteJsonString(&w, a.generator_url);
    w.Key("fingerprint");
    WriteJsonString(&w, a.fingerprint);
    w.EndObject();
  }
  w.EndArray();
  w.Key("groupLabels");
  WriteLabelsJson(&w, d.group_labels);
  w.Key("commonLabels");
  WriteStringMapJson(&w, d.common_labels);
  w.Key("commonAnnotations");
  WriteStringMapJson(&w, d.common_annotations);
  w.Key("externalURL");
  WriteJsonString(&w, d.external_url);
  w.Key("version");
  w.String("4");
  w.Key("groupKey");
  WriteJsonString(&w, group_key);
  w.Key("truncatedAlerts");
  w.Uint64(truncated_alerts);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

}  // namespace mytsdb::alertmanager
