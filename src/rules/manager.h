// The rule manager: loads the rule files, runs each group on its own thread
// at its aligned evaluation times (Prometheus's rules.Manager), reloads
// them, and reports on them (groups and alerts for the HTTP API, the
// prometheus_rule_* metrics).
//
// Policy lives here: a group evaluates at EvalTimestamp + k * interval;
// when an evaluation overruns, the iterations it covered are counted as
// missed and the group continues at the next aligned time (never piling
// up). Evaluation threads run at normal priority, queries from the API at
// the lowest (http/worker_pool), so dashboard load does not delay rules.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "rules/group.h"
#include "telemetry/metrics.h"

namespace mytsdb::rules {

// What a reload can change: the rule files and the global defaults.
struct RuleSources {
  std::vector<std::string> rule_files;  // globs
  std::string base_dir;                 // relative globs are relative to this
  int64_t evaluation_interval_ms = 60'000;
  int64_t query_offset_ms = 0;
};

struct ManagerOptions {
  RuleSources sources;
  RuleFileOptions file_options;
  EvalContext context;  // queries, external labels and URL
  std::function<Status(std::span<const RuleSample>)> append;
  std::function<int64_t()> now_ms;  // the clock (tests set their own)
  // Restoring alerts at start (--rules.alert.for-outage-tolerance and
  // --rules.alert.for-grace-period, Prometheus's defaults).
  int64_t outage_tolerance_ms = 3'600'000;
  int64_t grace_period_ms = 600'000;
  // Alerts to send (GroupOptions::notify), and how often firing ones are
  // sent again.
  std::function<void(const RuleQuery& query, std::vector<Alert> alerts)> notify;
  // Alert state changes (GroupOptions::on_transitions), for the history.
  std::function<void(const Group& group, const AlertingRule& rule, int64_t ts,
                     std::vector<AlertTransition> changes)>
      on_transitions;
  int64_t resend_delay_ms = 60'000;
};

class Manager {
 public:
  // Loads the rule files and starts evaluating. Fails, naming the file and
  // problem, when a file is invalid or a glob cannot be read.
  static Result<std::unique_ptr<Manager>> Start(ManagerOptions options);
  ~Manager();

  // Loads the rule files anew; groups whose definition did not change keep
  // running with their state (alerts, staleness tracking). On any problem
  // nothing changes and the problem is returned.
  Status Reload(RuleSources sources);
  void Stop();

  // The groups, in file and definition order (for /api/v1/rules).
  std::vector<std::shared_ptr<const Group>> Groups() const;
  // The files the globs matched at the last (re)load.
  std::vector<std::string> Files() const;

  // prometheus_rule_* metrics, as Prometheus names them.
  void WriteMetrics(telemetry::TextWriter* w) const;

 private:
  struct Running;
  explicit Manager(ManagerOptions options);
  Result<std::vector<std::pair<std::string, RuleGroup>>> LoadFiles(const RuleSources& sources,
                                                                   std::vector<std::string>* files) const;
  void Run(Running* running);
  static void StopThread(Running& r);

  ManagerOptions options_;
  bool started_ = false;  // groups of the first load restore their alerts
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Running>> running_;
  std::vector<std::string> files_;
};

}  // namespace mytsdb::rules
