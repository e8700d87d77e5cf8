#include "rules/manager.h"


#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include <spdlog/spdlog.h>

#include "io/file_system.h"

namespace mytsdb::rules {

namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A group's definition as text (with the defaults it takes), to tell a
// reload's unchanged groups apart.
std::string Fingerprint(const std::string& file, const RuleGroup& g, const RuleSources& sources) {
  const int64_t interval = g.interval_ms > 0 ? g.interval_ms : sources.evaluation_interval_ms;
  const int64_t offset = g.query_offset_ms.value_or(sources.query_offset_ms);
  std::string s = file + "\n" + g.name + "\n" + std::to_string(interval) + "\n" + std::to_string(g.limit) + "\n" +
                  std::to_string(offset) + "\n";
  auto map = [&s](const LabelMap& m) {
    for (const auto& [k, v] : m) s += k + "=" + v + "\n";
    s += "\n";
  };
  map(g.labels);
  for (const Rule& r : g.rules) {
    s += (r.kind == Rule::Kind::kAlerting ? "alert " : "record ") + r.name + "\n" + r.expr + "\n" + r.sql + "\n" +
         std::to_string(r.for_ms) + " " + std::to_string(r.keep_firing_for_ms) + "\n";
    map(r.labels);
    map(r.annotations);
  }
  return s;
}

}  // namespace

struct Manager::Running {
  std::shared_ptr<Group> group;
  std::string fingerprint;
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::atomic<uint64_t> iterations{0};
  std::atomic<uint64_t> missed{0};
};

Result<std::unique_ptr<Manager>> Manager::Start(ManagerOptions options) {
  if (!options.now_ms) options.now_ms = SystemNowMs;
  std::unique_ptr<Manager> m(new Manager(std::move(options)));
  RETURN_NOT_OK(m->Reload(m->options_.sources));
  return m;
}

Manager::Manager(ManagerOptions options) : options_(std::move(options)) {}

Manager::~Manager() { Stop(); }

Result<std::vector<std::pair<std::string, RuleGroup>>> Manager::LoadFiles(const RuleSources& sources,
                                                                          std::vector<std::string>* files) const {
  std::set<std::string> matched;
  for (const std::string& pattern : sources.rule_files) {
    std::filesystem::path p(pattern);
    if (p.is_relative() && !sources.base_dir.empty()) p = std::filesystem::path(sources.base_dir) / p;
    auto paths = io::Glob(p.string());
    if (!paths.ok()) return Status::InvalidArgument("rule_files: cannot read the glob " + p.string());
    matched.insert(paths->begin(), paths->end());
  }
  std::vector<std::pair<std::string, RuleGroup>> groups;
  for (const std::string& file : matched) {
    ParsedRuleFile parsed = LoadRuleFile(file, options_.file_options);
    if (!parsed.errors.empty()) {
      std::string message = "invalid rule file:";
      for (const std::string& e : parsed.errors) message += "\n" + e;
      return Status::InvalidArgument(message);
    }
    for (RuleGroup& g : parsed.file.groups) groups.emplace_back(file, std::move(g));
  }
  *files = std::vector<std::string>(matched.begin(), matched.end());
  return groups;
}

Status Manager::Reload(RuleSources sources) {
  std::vector<std::string> files;
  ASSIGN_OR_RETURN(auto specs, LoadFiles(sources, &files));
  std::unique_lock lock(mu_);
  // Build every changed group before touching the running ones: a problem
  // leaves them as they are. An unchanged group keeps running with its
  // state (alerts, the series it wrote).
  std::vector<std::unique_ptr<Running>> built(specs.size());
  std::vector<std::string> fingerprints;
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& [file, spec] = specs[i];
    fingerprints.push_back(Fingerprint(file, spec, sources));
    const bool unchanged = std::any_of(running_.begin(), running_.end(), [&](const std::unique_ptr<Running>& r) {
      return r->fingerprint == fingerprints.back();
    });
    if (unchanged) continue;
    GroupOptions group_options;
    group_options.default_interval_ms = sources.evaluation_interval_ms;
    group_options.default_query_offset_ms = sources.query_offset_ms;
    group_options.append = options_.append;
    group_options.restore = !started_;
    group_options.notify = options_.notify;
    group_options.on_transitions = options_.on_transitions;
    group_options.resend_delay_ms = options_.resend_delay_ms;
    group_options.external_url = options_.context.external_url;
    auto group = Group::Make(spec, file, std::move(group_options));
    if (!group.ok()) return group.status().WithContext(file);
    built[i] = std::make_unique<Running>();
    built[i]->group = std::shared_ptr<Group>(group.MoveValue());
    built[i]->fingerprint = fingerprints.back();
  }
  std::vector<std::unique_ptr<Running>> next;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (built[i]) {
      next.push_back(std::move(built[i]));
      continue;
    }
    auto same = std::find_if(running_.begin(), running_.end(), [&](const std::unique_ptr<Running>& r) {
      return r && r->fingerprint == fingerprints[i];
    });
    next.push_back(std::move(*same));
  }
  // Groups that are gone stop; a changed group's state goes to the group
  // of the same file and name that replaces it, and the series of groups
  // gone for good go stale.
  for (auto& r : running_) {
    if (!r) continue;
    StopThread(*r);
    auto successor = std::find_if(next.begin(), next.end(), [&](const std::unique_ptr<Running>& n) {
      return !n->thread.joinable() && n->group->file() == r->group->file() && n->group->name() == r->group->name();
    });
    if (successor != next.end()) {
      (*successor)->group->CopyStateFrom(*r->group);
      continue;
    }
    Status stale = r->group->MarkAllStale(options_.now_ms());
    if (!stale.ok()) {
      spdlog::warn("rules: staleness markers of removed group {} ({}): {}", r->group->name(), r->group->file(),
                   stale.message());
    }
  }
  running_ = std::move(next);
  started_ = true;
  files_ = std::move(files);
  options_.sources = std::move(sources);
  for (auto& r : running_) {
    if (!r->thread.joinable()) r->thread = std::thread([this, running = r.get()] { Run(running); });
  }
  return Status::OK();
}

void Manager::StopThread(Running& r) {
  {
    std::lock_guard lock(r.mu);
    r.stop = true;
  }
  r.cv.notify_all();
  if (r.thread.joinable()) r.thread.join();
}

void Manager::Run(Running* running) {
  Group& g = *running->group;
  const int64_t interval = g.interval_ms();
  // The first evaluation at the next aligned time, as Prometheus waits.
  int64_t ts = g.EvalTimestamp(options_.now_ms()) + interval;
  std::unique_lock lock(running->mu);
  while (true) {
    const auto wait = std::chrono::milliseconds(std::max<int64_t>(0, ts - options_.now_ms()));
    if (running->cv.wait_for(lock, wait, [running] { return running->stop; })) return;
    if (options_.now_ms() < ts) continue;  // woke early
    lock.unlock();
    g.Eval(ts, options_.context);
    // Alerts are restored after the second evaluation, as Prometheus does:
    // by then recording rules have written what alerts may read.
    if (g.needs_restore() && running->iterations.load() >= 1) {
      g.RestoreForState(options_.now_ms(), options_.context, options_.outage_tolerance_ms, options_.grace_period_ms);
    }
    running->iterations.fetch_add(1, std::memory_order_relaxed);
    // An evaluation that overran skips the times it covered (counted as
    // missed), as Prometheus does.
    const int64_t behind = (options_.now_ms() - ts) / interval;
    if (behind > 0) running->missed.fetch_add(static_cast<uint64_t>(behind), std::memory_order_relaxed);
    ts += (std::max<int64_t>(behind, 0) + 1) * interval;
    lock.lock();
  }
}

void Manager::Stop() {
  std::lock_guard lock(mu_);
  for (auto& r : running_) StopThread(*r);
}

std::vector<std::shared_ptr<const Group>> Manager::Groups() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const Group>> out;
  for (const auto& r : running_) out.push_back(r->group);
  return out;
}

std::vector<std::string> Manager::Files() const {
  std::lock_guard lock(mu_);
  return files_;
}

void Manager::WriteMetrics(telemetry::TextWriter* w) const {
  std::lock_guard lock(mu_);
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    std::function<double(const Running&)> value;
  };
  const Family families[] = {
      {"prometheus_rule_evaluations_total", "counter", "The total number of rule evaluations.",
       [](const Running& r) { return static_cast<double>(r.group->stats().evaluations * r.group->rules().size()); }},
      {"prometheus_rule_evaluation_failures_total", "counter", "The total number of rule evaluation failures.",
       [](const Running& r) { return static_cast<double>(r.group->stats().rule_failures); }},
      {"prometheus_rule_group_iterations_total", "counter",
       "The total number of scheduled rule group evaluations, whether executed or missed.",
       [](const Running& r) { return static_cast<double>(r.iterations.load() + r.missed.load()); }},
      {"prometheus_rule_group_iterations_missed_total", "counter",
       "The total number of rule group evaluations missed due to slow rule group evaluation.",
       [](const Running& r) { return static_cast<double>(r.missed.load()); }},
      {"prometheus_rule_group_last_duration_seconds", "gauge", "The duration of the last rule group evaluation.",
       [](const Running& r) { return r.group->stats().last_duration_us / 1e6; }},
      {"prometheus_rule_group_last_evaluation_timestamp_seconds", "gauge",
       "The timestamp of the last rule group evaluation in seconds.",
       [](const Running& r) { return r.group->stats().last_eval_ms / 1e3; }},
      {"prometheus_rule_group_interval_seconds", "gauge", "The interval of a rule group.",
       [](const Running& r) { return r.group->interval_ms() / 1e3; }},
      {"prometheus_rule_group_rules", "gauge", "The number of rules.",
       [](const Running& r) { return static_cast<double>(r.group->rules().size()); }},
  };
  for (const Family& f : families) {
    w->Family(f.name, f.type, f.help);
    for (const auto& r : running_) {
      const std::string key = r->group->file() + ";" + r->group->name();
      w->Sample(f.name, {{"rule_group", key}}, f.value(*r));
    }
  }
}

}  // namespace mytsdb::rules
