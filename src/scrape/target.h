// A scrape target: its labels as Prometheus builds them from discovery
// (scrape/target.go PopulateLabels): the discovered labels with the job's
// (__scheme__, __metrics_path__, __scrape_interval__, __scrape_timeout__,
// __param_*, job), relabeled, checked, __meta_* removed, `instance`
// defaulted to __address__; the URL it is scraped at; and where its
// scrapes fall within the interval.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/result.h"
#include "model/labels.h"
#include "scrape/scrape_config.h"

namespace mytsdb::scrape {

using LabelMap = std::map<std::string, std::string>;

// The labels before relabeling: the target's own, then its group's, then
// the job's defaults for what neither set.
LabelMap DiscoveredLabels(const ScrapeConfig& config, const LabelMap& target, const LabelMap& group);

// The labels after relabeling and checks (still with the `__` ones the
// URL needs), nullopt when relabeling dropped the target, or an error
// ("no address", "... is not a valid hostname", ...) that drops it too.
Result<std::optional<LabelMap>> TargetLabels(const ScrapeConfig& config, const LabelMap& discovered);

// What a scraped series gets: the target labels without those starting
// with "__".
model::Labels PublicLabels(const LabelMap& labels);

// scheme://address/metrics_path?params, the __param_* labels replacing the
// configured params' first values.
std::string TargetUrl(const ScrapeConfig& config, const LabelMap& labels);

// Where a target's scrapes fall in each interval, as Prometheus's offset:
// (hash of the target's labels and URL XOR the instance's seed) modulo the
// interval, from the interval's start in absolute time. `now_ms` is the
// time of the call; the result is the next scrape's time at or after it.
int64_t FirstScrapeTime(uint64_t target_hash, uint64_t seed, int64_t interval_ms, int64_t now_ms);

}  // namespace mytsdb::scrape
