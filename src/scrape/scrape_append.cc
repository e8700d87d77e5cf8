#include "scrape/scrape_append.h"

#include <algorithm>
#include <functional>

#include "model/sample.h"
#include "relabel/relabel.h"

namespace mytsdb::scrape {

namespace {

// remote write's MetricType numbering, as the head keeps metadata.
uint8_t MetricTypeNumber(std::string_view type) {
  static constexpr std::string_view kTypes[] = {"unknown", "counter", "gauge", "histogram",
                                                "gaugehistogram", "summary", "info", "stateset"};
  for (size_t i = 0; i < std::size(kTypes); ++i) {
    if (kTypes[i] == type) return static_cast<uint8_t>(i);
  }
  return 0;
}

std::vector<model::Label>::iterator Find(std::vector<model::Label>& labels, std::string_view name) {
  return std::find_if(labels.begin(), labels.end(), [name](const model::Label& l) { return l.name == name; });
}

// Go's %.50s: at most 50 characters (bytes here, as a label is ASCII mostly).
std::string Clip(std::string_view s) { return std::string(s.substr(0, 50)); }

size_t RuneCount(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

constexpr std::string_view kReportNames[] = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                             "scrape_samples_post_metric_relabeling", "scrape_series_added"};

model::Labels ReportLabels(const model::Labels& target_labels, std::string_view name) {
  std::vector<model::Label> items = target_labels.items();
  items.push_back({std::string(model::kMetricNameLabel), std::string(name)});
  return model::Labels::FromUnsorted(std::move(items));
}

}  // namespace

void AppendBatch::Add(model::Labels series, int64_t t, double v) {
  labels.push_back(std::move(series));
  samples.push_back({model::Sample{t, v}});
}

std::vector<head::SeriesSamples> AppendBatch::View() const {
  std::vector<head::SeriesSamples> out;
  out.reserve(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) out.push_back({&labels[i], samples[i]});
  return out;
}

size_t AppendBatch::num_samples() const {
  size_t n = 0;
  for (const auto& s : samples) n += s.size();
  return n;
}

TargetAppender::TargetAppender(const ScrapeConfig* config, model::Labels target_labels)
    : config_(config), target_labels_(std::move(target_labels)) {}

Result<std::optional<model::Labels>> TargetAppender::SeriesLabels(ScrapedSample& sample) const {
  std::vector<model::Label> items;
  items.reserve(sample.labels.size() + target_labels_.size());
  for (auto& l : sample.labels) {
    if (!l.value.empty()) items.push_back(std::move(l));
  }
  if (config_->honor_labels) {
    for (const auto& l : target_labels_) {
      if (Find(items, l.name) == items.end()) items.push_back(l);
    }
  } else {
    std::vector<model::Label> conflicting;
    for (const auto& l : target_labels_) {
      auto it = Find(items, l.name);
      if (it != items.end()) {
        conflicting.push_back(*it);
        it->value = l.value;
      } else {
        items.push_back(l);
      }
    }
    std::stable_sort(conflicting.begin(), conflicting.end(),
                     [](const model::Label& a, const model::Label& b) { return a.name.size() < b.name.size(); });
    for (const auto& l : conflicting) {
      std::string name = l.name;
      for (;;) {
        name = "exported_" + name;
        if (Find(items, name) == items.end()) {
          items.push_back({name, l.value});
          break;
        }
      }
    }
  }
  model::Labels labels = model::Labels::FromUnsorted(std::move(items));
  if (!config_->metric_relabel_configs.empty() && !relabel::Process(config_->metric_relabel_configs, &labels)) {
    return std::optional<model::Labels>();
  }
  const std::string metric(labels.metric_name());
  if (config_->label_limit > 0 && labels.size() > config_->label_limit) {
    return Status::InvalidArgument("label_limit exceeded (metric: " + Clip(metric) + ", number of labels: " +
                                   std::to_string(labels.size()) + ", limit: " +
                                   std::to_string(config_->label_limit) + ")");
  }
  for (const auto& l : labels) {
    if (config_->label_name_length_limit > 0 && l.name.size() > config_->label_name_length_limit) {
      return Status::InvalidArgument("label_name_length_limit exceeded (metric: " + Clip(metric) + ", label name: " +
                                     Clip(l.name) + ", length: " + std::to_string(l.name.size()) + ", limit: " +
                                     std::to_string(config_->label_name_length_limit) + ")");
    }
    if (config_->label_value_length_limit > 0 && RuneCount(l.value) > config_->label_value_length_limit) {
      return Status::InvalidArgument("label_value_length_limit exceeded (metric: " + Clip(metric) +
                                     ", label name: " + Clip(l.name) + ", value: \"" + Clip(l.value) +
                                     "\", length: " + std::to_string(RuneCount(l.value)) + ", limit: " +
                                     std::to_string(config_->label_value_length_limit) + ")");
    }
  }
  if (Status valid = labels.Validate(); !valid.ok()) {
    return Status::InvalidArgument("invalid metric name or label names: " + labels.ToBracedString() + ": " +
                                   valid.message());
  }
  return std::optional<model::Labels>(std::move(labels));
}

Result<ScrapeCounts> TargetAppender::AddScrape(std::vector<ScrapedSample>&& samples,
                                               const std::vector<FamilyMetadata>& metadata, int64_t t,
                                               AppendBatch* out) {
  ScrapeCounts counts;
  counts.scraped = samples.size();
  seen_.clear();
  new_series_.clear();
  std::unordered_set<uint64_t> untracked;  // series with their own timestamps
  out->labels.reserve(samples.size() + last_.size());
  out->samples.reserve(samples.size() + last_.size());
  for (ScrapedSample& sample : samples) {
    ASSIGN_OR_RETURN(std::optional<model::Labels> labels, SeriesLabels(sample));
    if (!labels) continue;
    ++counts.post_metric_relabeling;
    if (config_->sample_limit > 0 && counts.post_metric_relabeling > config_->sample_limit) {
      return Status::ResourceExhausted("sample limit exceeded");
    }
    const bool own_time = config_->honor_timestamps && sample.timestamp_ms.has_value();
    const uint64_t hash = labels->Hash();
    // A series twice in one body: the first sample is kept, as the head
    // would refuse the second one.
    if (seen_.count(hash) || untracked.count(hash)) continue;
    const bool known = last_.count(hash) > 0;
    if (!known) ++counts.series_added;
    if (own_time && !config_->track_timestamps_staleness) {
      untracked.insert(hash);
    } else {
      seen_.insert(hash);
      // Only a new series' labels are copied; a known one's stay in last_.
      if (!known) new_series_.emplace(hash, *labels);
    }
    out->Add(std::move(*labels), own_time ? *sample.timestamp_ms : t, sample.value);
  }
  for (const auto& [hash, labels] : last_) {
    if (!seen_.count(hash)) out->Add(labels, t, model::StaleNaN());
  }
  // The metadata goes to the head only when it changed since the last
  // appended scrape.
  size_t hash = 0;
  for (const FamilyMetadata& m : metadata) {
    for (const std::string* field : {&m.name, &m.type, &m.help, &m.unit}) {
      hash = hash * 1099511628211ULL + std::hash<std::string>()(*field) + 1;
    }
  }
  if (hash != metadata_hash_) {
    for (const FamilyMetadata& m : metadata) {
      out->metadata.push_back({m.name, MetricTypeNumber(m.type), m.help, m.unit});
    }
  }
  pending_metadata_hash_ = hash;
  pending_ = true;
  return counts;
}

void TargetAppender::AddFailure(int64_t t, AppendBatch* out) {
  for (const auto& [hash, labels] : last_) out->Add(labels, t, model::StaleNaN());
  seen_.clear();
  new_series_.clear();
  pending_metadata_hash_ = metadata_hash_;
  pending_ = true;
}

void TargetAppender::AddReport(bool up, double duration_seconds, const ScrapeCounts& counts, int64_t t,
                               AppendBatch* out) const {
  const double values[] = {up ? 1.0 : 0.0, duration_seconds, static_cast<double>(counts.scraped),
                           static_cast<double>(counts.post_metric_relabeling),
                           static_cast<double>(counts.series_added)};
  for (size_t i = 0; i < std::size(kReportNames); ++i) out->Add(ReportLabels(target_labels_, kReportNames[i]), t, values[i]);
}

void TargetAppender::AddEndOfRun(int64_t t, AppendBatch* out) {
  AddFailure(t, out);
  for (std::string_view name : kReportNames) out->Add(ReportLabels(target_labels_, name), t, model::StaleNaN());
}

void TargetAppender::Commit() {
  if (!pending_) return;
  std::erase_if(last_, [this](const auto& entry) { return !seen_.count(entry.first); });
  last_.merge(new_series_);
  seen_.clear();
  new_series_.clear();
  metadata_hash_ = pending_metadata_hash_;
  pending_ = false;
}

}  // namespace mytsdb::scrape
