// Sends alerts to Alertmanagers, as Prometheus's notifier does: a bounded
// queue (the oldest alerts are dropped when it is full, and counted),
// batches of at most 256 alerts POSTed to every Alertmanager's
// /api/v2/alerts, external labels added to alerts that lack them, and the
// prometheus_notifications_* metrics.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "model/labels.h"
#include "relabel/relabel.h"
#include "telemetry/metrics.h"

namespace mytsdb::notifier {

struct Alertmanager {
  std::string scheme = "http";  // http or https
  std::string host_port;        // "127.0.0.1:9093"
  std::string path_prefix = "/";
  int64_t timeout_ms = 10'000;
  // The alerts endpoint: scheme://host_port/path_prefix/api/v2/alerts.
  std::string Url() const;
};

struct Alert {
  model::Labels labels;
  std::vector<model::Label> annotations;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;  // 0: not set
  std::string generator_url;
};

struct NotifierOptions {
  std::vector<Alertmanager> alertmanagers;
  size_t queue_capacity = 10'000;  // --alertmanager.notification-queue-capacity
  size_t max_batch = 256;
  std::map<std::string, std::string> external_labels;
  // `alerting.alert_relabel_configs`: applied to each alert's labels (the
  // external labels included) before it is queued; an alert a step drops
  // is not sent.
  std::vector<relabel::Config> alert_relabel_configs;
  // The built-in Alertmanager (--alertmanager.config.file): each batch is
  // handed to it in process, besides the Alertmanagers above; its Status
  // counts as one more Alertmanager's answer.
  std::function<Status(const std::vector<Alert>&)> local;
};

// The JSON body Alertmanager's API v2 takes for `alerts`.
std::string EncodeAlerts(const std::vector<Alert>& alerts);

class Notifier {
 public:
  explicit Notifier(NotifierOptions options);
  ~Notifier();

  // Queues `alerts` (with the external labels) to be sent; never blocks on
  // the network.
  void Send(std::vector<Alert> alerts);
  // Sends what is queued, then stops.
  void Stop();

  size_t queue_length() const;
  void WriteMetrics(telemetry::TextWriter* w) const;

 private:
  void Run();
  bool Post(const Alertmanager& am, const std::string& body);
  // The `alertmanager` label of the i-th counter: its URL, or "built-in".
  std::string AlertmanagerName(size_t i) const;

  NotifierOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Alert> queue_;
  bool stop_ = false;
  uint64_t dropped_ = 0;
  std::vector<uint64_t> sent_, errors_;  // per Alertmanager (the local one last), alerts
  std::thread thread_;
};

}  // namespace mytsdb::notifier
