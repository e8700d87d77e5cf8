// What one scrape of one target appends, as Prometheus's scrapeLoop.append
// builds it (no I/O, no clock: the loop supplies the body and the time):
//
//  - each scraped sample's labels merged with the target's: with
//    honor_labels the scraped ones win, without it a scraped label that
//    collides is kept as exported_<name>; then metric_relabel_configs;
//  - the limits (sample_limit, label_limit, label name and value lengths)
//    and invalid series fail the whole scrape: nothing of it is appended;
//  - timestamps: the sample's own with honor_timestamps, else the scrape's;
//  - a series of the last scrape missing from this one gets a stale marker
//    (series with their own timestamps are not tracked, as Prometheus);
//    a failed scrape marks all of the last scrape's series stale;
//  - the report series: up, scrape_duration_seconds,
//    scrape_samples_scraped, scrape_samples_post_metric_relabeling,
//    scrape_series_added.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/result.h"
#include "head/head.h"
#include "model/labels.h"
#include "scrape/exposition.h"
#include "scrape/scrape_config.h"

namespace mytsdb::scrape {

// Series with their samples, owned, and the view Storage::Append takes.
struct AppendBatch {
  std::vector<model::Labels> labels;
  std::vector<std::vector<model::Sample>> samples;  // samples[i] of labels[i]
  std::vector<head::MetricMetadata> metadata;

  void Add(model::Labels series, int64_t t, double v);
  std::vector<head::SeriesSamples> View() const;
  size_t num_samples() const;
};

struct ScrapeCounts {
  size_t scraped = 0;              // samples in the body
  size_t post_metric_relabeling = 0;
  size_t series_added = 0;         // series not in the last scrape
};

class TargetAppender {
 public:
  // `target_labels`: the target's public labels (no `__` ones).
  TargetAppender(const ScrapeConfig* config, model::Labels target_labels);

  // A parsed body scraped at `t`: its samples and the stale markers of the
  // series that went away into `out`. An error (a limit, an invalid
  // series) means the scrape failed; `out` is then to be discarded. The
  // samples' labels are moved from.
  Result<ScrapeCounts> AddScrape(std::vector<ScrapedSample>&& samples, const std::vector<FamilyMetadata>& metadata,
                                 int64_t t, AppendBatch* out);
  Result<ScrapeCounts> AddScrape(Exposition&& exposition, int64_t t, AppendBatch* out) {
    return AddScrape(std::move(exposition.samples), exposition.metadata, t, out);
  }

  // A failed scrape at `t`: stale markers for every series of the last one.
  void AddFailure(int64_t t, AppendBatch* out);

  // The report series at `t`; `counts` is empty for a failed scrape.
  void AddReport(bool up, double duration_seconds, const ScrapeCounts& counts, int64_t t, AppendBatch* out) const;

  // The target went away: stale markers at `t` for its series and its
  // report series.
  void AddEndOfRun(int64_t t, AppendBatch* out);

  // After `out` was appended: the series of this scrape become the last
  // scrape's. Not called when the append failed, so the next scrape
  // compares against what is stored.
  void Commit();

  const model::Labels& target_labels() const { return target_labels_; }
  void set_config(const ScrapeConfig* config) { config_ = config; }

 private:
  Result<std::optional<model::Labels>> SeriesLabels(ScrapedSample& sample) const;

  const ScrapeConfig* config_;
  model::Labels target_labels_;
  // The tracked series of the last appended scrape, by hash; of this
  // scrape, the hashes seen and the labels of those new since. Commit()
  // turns this scrape's into the last one's without copying labels.
  std::unordered_map<uint64_t, model::Labels> last_;
  std::unordered_set<uint64_t> seen_;
  std::unordered_map<uint64_t, model::Labels> new_series_;
  bool pending_ = false;
  size_t metadata_hash_ = 0;  // of the last metadata appended: sent again only when it changes
  size_t pending_metadata_hash_ = 0;
};

}  // namespace mytsdb::scrape
