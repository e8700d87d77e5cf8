#include "notifier/notifier.h"

#include <httplib.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include "common/time_format.h"

namespace mytsdb::notifier {

std::string Alertmanager::Url() const {
  std::string prefix = path_prefix;
  if (prefix.empty() || prefix.front() != '/') prefix.insert(prefix.begin(), '/');
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return scheme + "://" + host_port + prefix + "/api/v2/alerts";
}

std::string EncodeAlerts(const std::vector<Alert>& alerts) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartArray();
  for (const Alert& a : alerts) {
    w.StartObject();
    w.Key("labels");
    w.StartObject();
    for (const model::Label& l : a.labels) {
      str(l.name);
      str(l.value);
    }
    w.EndObject();
    w.Key("annotations");
    w.StartObject();
    for (const model::Label& l : a.annotations) {
      str(l.name);
      str(l.value);
    }
    w.EndObject();
    w.Key("startsAt");
    str(FormatUtcMs(a.starts_at_ms, true) + "Z");
    if (a.ends_at_ms != 0) {
      w.Key("endsAt");
      str(FormatUtcMs(a.ends_at_ms, true) + "Z");
    }
    w.Key("generatorURL");
    str(a.generator_url);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

Notifier::Notifier(NotifierOptions options)
    : options_(std::move(options)),
      sent_(options_.alertmanagers.size() + (options_.local ? 1 : 0), 0),
      errors_(options_.alertmanagers.size() + (options_.local ? 1 : 0), 0) {
  thread_ = std::thread([this] { Run(); });
}

Notifier::~Notifier() { Stop(); }

std::string Notifier::AlertmanagerName(size_t i) const {
  return i < options_.alertmanagers.size() ? options_.alertmanagers[i].Url() : "built-in";
}

void Notifier::Send(std::vector<Alert> alerts) {
  if (alerts.empty()) return;
  // External labels go to alerts that do not have them.
  for (Alert& a : alerts) {
    std::vector<model::Label> items = a.labels.items();
    for (const auto& [k, v] : options_.external_labels) {
      if (!a.labels.Has(k)) items.push_back({k, v});
    }
    a.labels = model::Labels::FromUnsorted(std::move(items));
  }
  if (!options_.alert_relabel_configs.empty()) {
    std::erase_if(alerts, [this](Alert& a) { return !relabel::Process(options_.alert_relabel_configs, &a.labels); });
    if (alerts.empty()) return;
  }
  {
    std::lock_guard lock(mu_);
    for (Alert& a : alerts) queue_.push_back(std::move(a));
    // A full queue drops the oldest alerts: the newest state matters.
    while (queue_.size() > options_.queue_capacity) {
      queue_.pop_front();
      ++dropped_;
    }
  }
  cv_.notify_one();
}

void Notifier::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

size_t Notifier::queue_length() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

bool Notifier::Post(const Alertmanager& am, const std::string& body) {
  httplib::Client client(am.scheme + "://" + am.host_port);
  const std::chrono::milliseconds timeout(am.timeout_ms);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  const std::string url = am.Url();
  const std::string path = url.substr(url.find('/', am.scheme.size() + 3));
  auto res = client.Post(path, body, "application/json");
  if (!res) {
    spdlog::warn("notifier: sending to {}: {}", url, httplib::to_string(res.error()));
    return false;
  }
  if (res->status / 100 != 2) {
    spdlog::warn("notifier: {} answered {}: {}", url, res->status, res->body.substr(0, 200));
    return false;
  }
  return true;
}

void Notifier::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    std::vector<Alert> batch;
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    std::vector<bool> ok(options_.alertmanagers.size());
    if (!options_.alertmanagers.empty()) {
      const std::string body = EncodeAlerts(batch);
      for (size_t i = 0; i < options_.alertmanagers.size(); ++i) ok[i] = Post(options_.alertmanagers[i], body);
    }
    if (options_.local) {
      const Status st = options_.local(batch);
      if (!st.ok()) spdlog::warn("notifier: the built-in Alertmanager refused alerts: {}", st.message());
      ok.push_back(st.ok());
    }
    lock.lock();
    for (size_t i = 0; i < ok.size(); ++i) (ok[i] ? sent_ : errors_)[i] += batch.size();
    if (ok.empty()) dropped_ += batch.size();
  }
}

void Notifier::WriteMetrics(telemetry::TextWriter* w) const {
  std::lock_guard lock(mu_);
  w->Family("prometheus_notifications_sent_total", "counter", "Total number of alerts sent.");
  for (size_t i = 0; i < sent_.size(); ++i) {
    w->Sample("prometheus_notifications_sent_total", {{"alertmanager", AlertmanagerName(i)}},
              static_cast<double>(sent_[i]));
  }
  w->Family("prometheus_notifications_errors_total", "counter",
            "Total number of sent alerts affected by errors.");
  for (size_t i = 0; i < errors_.size(); ++i) {
    w->Sample("prometheus_notifications_errors_total", {{"alertmanager", AlertmanagerName(i)}},
              static_cast<double>(errors_[i]));
  }
  w->Family("prometheus_notifications_dropped_total", "counter",
            "Total number of alerts dropped due to errors when sending to Alertmanager.");
  w->Sample("prometheus_notifications_dropped_total", {}, static_cast<double>(dropped_));
  w->Family("prometheus_notifications_queue_length", "gauge", "The number of alert notifications in the queue.");
  w->Sample("prometheus_notifications_queue_length", {}, static_cast<double>(queue_.size()));
  w->Family("prometheus_notifications_queue_capacity", "gauge", "The capacity of the alert notifications queue.");
  w->Sample("prometheus_notifications_queue_capacity", {}, static_cast<double>(options_.queue_capacity));
  w->Family("prometheus_notifications_alertmanagers_discovered", "gauge",
            "The number of alertmanagers discovered and active.");
  w->Sample("prometheus_notifications_alertmanagers_discovered", {},
            static_cast<double>(options_.alertmanagers.size()));
}

}  // namespace mytsdb::notifier
