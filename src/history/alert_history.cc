#include "history/alert_history.h"

#include <arrow/api.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "cold/arrow_io.h"
#include "cold/table_file.h"
#include "common/time_format.h"

namespace mytsdb::history {

namespace {

using io::JoinPath;

constexpr const char* kPartPrefix = "part";     // written from the queue
constexpr const char* kMergedPrefix = "merged";  // a day's files merged

// The Parquet columns, in schema order (the partition column `day` is in
// the directory names only, as Delta has it).
std::shared_ptr<arrow::Schema> ArrowSchema() {
  static const auto* schema = new std::shared_ptr<arrow::Schema>(arrow::schema({
      arrow::field("time", arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"), false),
      arrow::field("kind", arrow::utf8(), false),
      arrow::field("rule", arrow::utf8(), false),
      arrow::field("group_name", arrow::utf8(), false),
      arrow::field("rule_file", arrow::utf8(), false),
      arrow::field("state", arrow::utf8(), false),
      arrow::field("previous_state", arrow::utf8(), true),
      arrow::field("fingerprint", arrow::int64(), false),
      arrow::field("labels", arrow::map(arrow::utf8(), arrow::utf8()), false),
      arrow::field("annotations", arrow::map(arrow::utf8(), arrow::utf8()), false),
      arrow::field("value", arrow::float64(), true),
      arrow::field("active_at", arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"), true),
      arrow::field("fired_at", arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"), true),
      arrow::field("receiver", arrow::utf8(), true),
      arrow::field("integration", arrow::utf8(), true),
      arrow::field("error", arrow::utf8(), true),
  }));
  return *schema;
}

Status Check(const arrow::Status& st, std::string_view what) { return cold::FromArrow(st, what); }

// The events as one Arrow table in the schema above.
Result<std::shared_ptr<arrow::Table>> ToTable(const std::vector<AlertEvent>& events) {
  arrow::MemoryPool* pool = cold::ArrowMemoryPool();
  const auto ts_type = arrow::timestamp(arrow::TimeUnit::MILLI, "UTC");
  arrow::TimestampBuilder time(ts_type, pool), active_at(ts_type, pool), fired_at(ts_type, pool);
  arrow::StringBuilder kind(pool), rule(pool), group(pool), file(pool), state(pool), previous(pool),
      receiver(pool), integration(pool), error(pool);
  arrow::Int64Builder fingerprint(pool);
  arrow::DoubleBuilder value(pool);
  auto map_builder = [pool] {
    return std::make_unique<arrow::MapBuilder>(pool, std::make_shared<arrow::StringBuilder>(pool),
                                               std::make_shared<arrow::StringBuilder>(pool));
  };
  auto labels = map_builder(), annotations = map_builder();
  auto optional = [](arrow::StringBuilder& b, const std::string& s) { return s.empty() ? b.AppendNull() : b.Append(s); };
  auto optional_time = [](arrow::TimestampBuilder& b, int64_t ms) { return ms == 0 ? b.AppendNull() : b.Append(ms); };
  auto append_map = [](arrow::MapBuilder& b, auto&& pairs) -> arrow::Status {
    ARROW_RETURN_NOT_OK(b.Append());
    auto* keys = static_cast<arrow::StringBuilder*>(b.key_builder());
    auto* items = static_cast<arrow::StringBuilder*>(b.item_builder());
    for (const model::Label& l : pairs) {
      ARROW_RETURN_NOT_OK(keys->Append(l.name));
      ARROW_RETURN_NOT_OK(items->Append(l.value));
    }
    return arrow::Status::OK();
  };
  for (const AlertEvent& e : events) {
    arrow::Status st = time.Append(e.time_ms);
    if (st.ok()) st = kind.Append(e.kind);
    if (st.ok()) st = rule.Append(e.rule);
    if (st.ok()) st = group.Append(e.group_name);
    if (st.ok()) st = file.Append(e.rule_file);
    if (st.ok()) st = state.Append(e.state);
    if (st.ok()) st = optional(previous, e.previous_state);
    if (st.ok()) st = fingerprint.Append(static_cast<int64_t>(e.labels.Hash()));
    if (st.ok()) st = append_map(*labels, e.labels);
    if (st.ok()) st = append_map(*annotations, e.annotations);
    if (st.ok()) st = e.kind == "state" ? value.Append(e.value) : value.AppendNull();
    if (st.ok()) st = optional_time(active_at, e.active_at_ms);
    if (st.ok()) st = optional_time(fired_at, e.fired_at_ms);
    if (st.ok()) st = optional(receiver, e.receiver);
    if (st.ok()) st = optional(integration, e.integration);
    if (st.ok()) st = optional(error, e.error);
    RETURN_NOT_OK(Check(st, "build the alert history's columns"));
  }
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (arrow::ArrayBuilder* b : std::initializer_list<arrow::ArrayBuilder*>{
           &time, &kind, &rule, &group, &file, &state, &previous, &fingerprint, labels.get(), annotations.get(),
           &value, &active_at, &fired_at, &receiver, &integration, &error}) {
    std::shared_ptr<arrow::Array> array;
    RETURN_NOT_OK(Check(b->Finish(&array), "build the alert history's columns"));
    columns.push_back(std::move(array));
  }
  return arrow::Table::Make(ArrowSchema(), std::move(columns), static_cast<int64_t>(events.size()));
}

// Delta's per-file statistics: the row count and the time bounds.
std::string StatsJson(int64_t rows, int64_t min_ts, int64_t max_ts) {
  auto iso = [](int64_t ms) {
    std::string s = FormatUtcMs(ms - ms % 1000, /*t_separator=*/true);
    char frac[8];
    std::snprintf(frac, sizeof(frac), ".%03d", static_cast<int>(((ms % 1000) + 1000) % 1000));
    return s + frac + "Z";
  };
  return "{\"numRecords\":" + std::to_string(rows) + ",\"minValues\":{\"time\":\"" + iso(min_ts) +
         "\"},\"maxValues\":{\"time\":\"" + iso(max_ts) + "\"},\"nullCount\":{\"time\":0}}";
}

// The least and greatest `time` of a table.
std::pair<int64_t, int64_t> TimeBounds(const arrow::Table& table) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (const auto& chunk : table.column(0)->chunks()) {
    const auto& times = static_cast<const arrow::TimestampArray&>(*chunk);
    for (int64_t i = 0; i < times.length(); ++i) {
      lo = std::min(lo, times.Value(i));
      hi = std::max(hi, times.Value(i));
    }
  }
  return {lo, hi};
}

}  // namespace

const cold::FixedLayout& AlertHistory::Layout() {
  static const auto* layout = [] {
    auto field = [](const std::string& name, const std::string& type, bool nullable) {
      return "{\"name\":\"" + name + "\",\"type\":" + type + ",\"nullable\":" + (nullable ? "true" : "false") +
             ",\"metadata\":{}}";
    };
    const std::string map =
        "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"string\",\"valueContainsNull\":true}";
    const std::vector<std::string> fields = {
        field("time", "\"timestamp\"", false),       field("kind", "\"string\"", false),
        field("rule", "\"string\"", false),          field("group_name", "\"string\"", false),
        field("rule_file", "\"string\"", false),     field("state", "\"string\"", false),
        field("previous_state", "\"string\"", true), field("fingerprint", "\"long\"", false),
        field("labels", map, false),                 field("annotations", map, false),
        field("value", "\"double\"", true),          field("active_at", "\"timestamp\"", true),
        field("fired_at", "\"timestamp\"", true),    field("receiver", "\"string\"", true),
        field("integration", "\"string\"", true),    field("error", "\"string\"", true),
        field("day", "\"string\"", false),
    };
    std::string schema = "{\"type\":\"struct\",\"fields\":[";
    for (size_t i = 0; i < fields.size(); ++i) schema += (i ? "," : "") + fields[i];
    schema += "]}";
    return new cold::FixedLayout{schema, {"time"}};
  }();
  return *layout;
}

Result<std::unique_ptr<AlertHistory>> AlertHistory::Open(const AlertHistoryOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("alert history: directory not set");
  std::unique_ptr<AlertHistory> h(new AlertHistory(options));
  RETURN_NOT_OK(options.fs->CreateDirs(options.dir));
  RETURN_NOT_OK(options.fs->SyncDir(io::DirName(options.dir)));
  ASSIGN_OR_RETURN(h->table_, cold::DeltaTable::Open(options.dir, options.fs, Layout()));
  RETURN_NOT_OK(h->AdoptLeftovers());
  if (options.flush_interval.count() > 0) h->thread_ = std::thread([p = h.get()] { p->Loop(); });
  return h;
}

AlertHistory::~AlertHistory() {
  Status st = Close();
  if (!st.ok()) spdlog::error("alert history: {}", st.ToString());
}

Status AlertHistory::AdoptLeftovers() {
  std::lock_guard lock(table_mu_);
  io::FileSystem* fs = options_.fs;
  ASSIGN_OR_RETURN(std::vector<io::DirEntry> days, fs->ListDir(options_.dir));
  std::vector<cold::AddFile> adopt;
  for (const io::DirEntry& day : days) {
    if (!day.name.starts_with("day=")) continue;
    const std::string day_dir = JoinPath(options_.dir, day.name);
    ASSIGN_OR_RETURN(std::vector<io::DirEntry> files, fs->ListDir(day_dir));
    for (const io::DirEntry& f : files) {
      const std::string path = day.name + "/" + f.name;
      const std::string full = JoinPath(day_dir, f.name);
      if (table_->files().count(path)) continue;
      const bool tombstoned = table_->tombstones().count(path) > 0;
      if (f.name.ends_with(".tmp") || tombstoned || f.name.starts_with(kMergedPrefix)) {
        // Unfinished, removed by a commit, or a merge whose commit did not
        // happen (its rows are in the files it was to replace).
        RETURN_NOT_OK(fs->Remove(full));
        continue;
      }
      if (!f.name.starts_with(kPartPrefix) || !f.name.ends_with(".parquet")) {
        return Status::Corruption("alert history: " + full +
                                  " is not a file MyTSDB writes; move it away to start");
      }
      // Whole (renamed only once synced) but never committed: a crash came
      // between the two. Its events are nowhere else.
      ASSIGN_OR_RETURN(std::shared_ptr<arrow::Table> table, cold::ReadTableFile(fs, full));
      if (!table->schema()->Equals(*ArrowSchema(), /*check_metadata=*/false)) {
        return Status::Corruption("alert history: " + full + " does not have the alert history's columns");
      }
      ASSIGN_OR_RETURN(io::FileStatus status, fs->Stat(full));
      cold::AddFile add;
      add.path = path;
      add.day = day.name.substr(4);
      add.size_bytes = static_cast<int64_t>(status.size);
      add.num_records = table->num_rows();
      std::tie(add.min_ts, add.max_ts) = TimeBounds(*table);
      add.has_mytsdb_tags = true;
      add.stats_json = StatsJson(add.num_records, add.min_ts, add.max_ts);
      spdlog::warn("alert history: committing {} ({} events), written before a crash and never committed",
                   full, add.num_records);
      adopt.push_back(std::move(add));
    }
  }
  if (adopt.empty()) return Status::OK();
  cold::CommitRequest request;
  request.adds = adopt;
  return table_->Commit(request);
}

void AlertHistory::Record(std::vector<AlertEvent> events) {
  if (events.empty()) return;
  std::lock_guard lock(queue_mu_);
  for (AlertEvent& e : events) queue_.push_back(std::move(e));
  while (queue_.size() > options_.max_queued) {
    queue_.pop_front();
    dropped_.fetch_add(1);
  }
}

Result<cold::AddFile> AlertHistory::WriteFile(const arrow::Table& table, const std::string& prefix) {
  const auto [min_ts, max_ts] = TimeBounds(table);
  io::FileSystem* fs = options_.fs;
  cold::AddFile add;
  add.day = cold::DayOf(min_ts);
  add.path = "day=" + add.day + "/" + prefix + "-" + std::to_string(min_ts) + "-" + cold::RandomFileSuffix() + ".parquet";
  const std::string full = JoinPath(options_.dir, add.path);
  const std::string dir = io::DirName(full);
  RETURN_NOT_OK(fs->CreateDirs(dir));
  RETURN_NOT_OK(fs->SyncDir(options_.dir));
  // Whole under its final name (see AdoptLeftovers).
  ASSIGN_OR_RETURN(add.size_bytes, cold::WriteTableFile(fs, full, table));
  add.num_records = table.num_rows();
  add.min_ts = min_ts;
  add.max_ts = max_ts;
  add.has_mytsdb_tags = true;
  add.stats_json = StatsJson(add.num_records, min_ts, max_ts);
  return add;
}

Status AlertHistory::Commit(const cold::CommitRequest& request, const std::vector<cold::AddFile>& written) {
  bool committed = false;
  Status st = table_->Commit(request, &committed);
  if (!st.ok() && !committed) DeleteUncommitted(written);
  return st;
}

void AlertHistory::DeleteUncommitted(const std::vector<cold::AddFile>& written) {
  for (const cold::AddFile& add : written) {
    Status removed = options_.fs->Remove(JoinPath(options_.dir, add.path));
    if (!removed.ok()) spdlog::warn("alert history: cannot delete uncommitted {}: {}", add.path, removed.ToString());
  }
}

Status AlertHistory::Flush() {
  std::vector<AlertEvent> events;
  {
    std::lock_guard lock(queue_mu_);
    events.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
  }
  if (events.empty()) return Status::OK();
  std::map<std::string, std::vector<AlertEvent>> by_day;
  for (AlertEvent& e : events) by_day[cold::DayOf(e.time_ms)].push_back(e);
  std::lock_guard lock(table_mu_);
  cold::CommitRequest request;
  Status st;
  for (auto& [day, day_events] : by_day) {
    Result<std::shared_ptr<arrow::Table>> table = ToTable(day_events);
    Result<cold::AddFile> add = table.ok() ? WriteFile(**table, kPartPrefix) : table.status();
    if (!add.ok()) {
      st = add.status();
      break;
    }
    request.adds.push_back(*std::move(add));
  }
  if (st.ok()) {
    st = Commit(request, request.adds);  // deletes the files if no commit happened
  } else {
    DeleteUncommitted(request.adds);
  }
  if (!st.ok()) {
    if (table_->failure().ok()) {
      // Tried again with the next flush, before what came since.
      std::lock_guard queue_lock(queue_mu_);
      queue_.insert(queue_.begin(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
      while (queue_.size() > options_.max_queued) {
        queue_.pop_front();
        dropped_.fetch_add(1);
      }
    }
    flush_failures_.fetch_add(1);
    return st.WithContext("alert history");
  }
  written_.fetch_add(events.size());
  return Status::OK();
}

Status AlertHistory::Maintain() {
  std::lock_guard lock(table_mu_);
  io::FileSystem* fs = options_.fs;
  const int64_t now = options_.clock->NowMs();
  // Retention: files whose rows are all older than the cutoff.
  cold::CommitRequest retention;
  retention.operation = "DELETE";
  const int64_t cutoff = now - options_.retention_ms;
  for (const auto& [path, add] : table_->files()) {
    if (add.max_ts < cutoff) retention.removes.push_back(path);
  }
  if (!retention.removes.empty()) {
    RETURN_NOT_OK(Commit(retention, {}).WithContext("alert history retention"));
    for (const std::string& path : retention.removes) pending_deletes_.push_back({path, now});
    spdlog::info("alert history: retention removed {} file(s) older than {}", retention.removes.size(),
                 FormatUtcMs(cutoff, true));
  }
  // A finished day with several files becomes one.
  std::map<std::string, std::vector<cold::AddFile>> by_day;
  for (const auto& [path, add] : table_->files()) {
    if (add.day < cold::DayOf(now)) by_day[add.day].push_back(add);
  }
  for (auto& [day, adds] : by_day) {
    if (adds.size() < 2) continue;
    std::sort(adds.begin(), adds.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
    std::vector<std::shared_ptr<arrow::Table>> tables;
    for (const cold::AddFile& add : adds) {
      const std::string full = JoinPath(options_.dir, add.path);
      ASSIGN_OR_RETURN(std::shared_ptr<arrow::Table> table, cold::ReadTableFile(fs, full));
      tables.push_back(std::move(table));
    }
    auto merged = arrow::ConcatenateTables(tables);
    if (!merged.ok()) return Check(merged.status(), "merge the alert history of " + day);
    ASSIGN_OR_RETURN(cold::AddFile add, WriteFile(**merged, kMergedPrefix));
    cold::CommitRequest request;
    request.operation = "OPTIMIZE";
    request.adds.push_back(add);
    for (const cold::AddFile& a : adds) request.removes.push_back(a.path);
    RETURN_NOT_OK(Commit(request, request.adds).WithContext("alert history merge of " + day));
    for (const cold::AddFile& a : adds) pending_deletes_.push_back({a.path, now});
  }
  // Files removed long enough ago.
  const int64_t grace = options_.delete_grace.count();
  std::erase_if(pending_deletes_, [&](const auto& d) {
    if (now - d.second < grace) return false;
    Status st = fs->Remove(JoinPath(options_.dir, d.first));
    if (!st.ok() && st.code() != StatusCode::kNotFound) {
      spdlog::warn("alert history: cannot delete {}: {}", d.first, st.ToString());
      return false;
    }
    return true;
  });
  return Status::OK();
}

Result<int64_t> AlertHistory::SnapshotTo(const std::string& target) {
  RETURN_NOT_OK(Flush());
  std::lock_guard lock(table_mu_);
  std::vector<std::string> paths;
  for (const auto& [path, add] : table_->files()) paths.push_back(path);
  RETURN_NOT_OK(cold::CopyDeltaSnapshot(options_.fs, options_.dir, table_->version(), paths, target));
  return table_->version();
}

std::vector<std::string> AlertHistory::Files() const {
  std::lock_guard lock(table_mu_);
  std::vector<std::string> out;
  for (const auto& [path, add] : table_->files()) out.push_back(path);
  return out;
}

AlertHistoryStats AlertHistory::stats() const {
  AlertHistoryStats st;
  st.events_written = written_.load();
  st.events_dropped = dropped_.load();
  st.flush_failures = flush_failures_.load();
  {
    std::lock_guard lock(queue_mu_);
    st.queued = queue_.size();
  }
  std::lock_guard lock(table_mu_);
  st.version = table_->version();
  st.files = table_->files().size();
  return st;
}

void AlertHistory::Loop() {
  // Maintenance about once an hour, flushes every interval.
  auto next_maintenance = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  std::unique_lock lock(queue_mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.flush_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    Status st = Flush();
    if (!st.ok()) spdlog::error("{}", st.ToString());
    if (std::chrono::steady_clock::now() >= next_maintenance) {
      st = Maintain();
      if (!st.ok()) spdlog::error("alert history maintenance: {}", st.ToString());
      next_maintenance = std::chrono::steady_clock::now() + std::chrono::hours(1);
    }
    lock.lock();
  }
}

Status AlertHistory::Close() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  return Flush();
}

}  // namespace mytsdb::history
