// An alert as Alertmanager holds it (types.Alert of 0.25): labels,
// annotations, start and end, when it was last updated, and whether its
// end is only the resolve timeout (the sender gave none). Times are
// absl::Time; Go's zero time (0001-01-01T00:00:00Z) is kZeroTime.
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/labels.h"

namespace mytsdb::alertmanager {

using Annotations = std::map<std::string, std::string>;

// Go's time.Time{}.
extern const absl::Time kZeroTime;

struct Alert {
  model::Labels labels;
  Annotations annotations;
  absl::Time starts_at = kZeroTime;
  absl::Time ends_at = kZeroTime;
  absl::Time updated_at = kZeroTime;
  std::string generator_url;
  bool timeout = false;  // ends_at is now + resolve_timeout, not the sender's

  uint64_t Fingerprint() const;
  // Resolved at `now`: it has an end, and the end is not after `now`.
  bool ResolvedAt(absl::Time now) const { return ends_at != kZeroTime && ends_at <= now; }
  const char* StatusAt(absl::Time now) const { return ResolvedAt(now) ? "resolved" : "firing"; }
};

// Prometheus's LabelSet.Fingerprint: FNV-1a over the sorted names and
// values, each followed by 0xff.
uint64_t LabelsFingerprint(const model::Labels& labels);
// The fingerprint as the API prints it: 16 hex digits.
std::string FingerprintString(uint64_t fp);

// What Alertmanager keeps when an alert it holds is sent again (Alert.Merge):
// the newer update's fields, the earliest start, and the later end where
// Alertmanager's rules say so.
Alert MergeAlerts(const Alert& older, const Alert& newer);

// Whether two alerts' activity overlaps so that `incoming` updates `held`
// rather than starting anew (the memory provider's test).
bool Overlaps(const Alert& held, const Alert& incoming);

// Alertmanager's order of alerts in a notification (AlertSlice.Less): by
// the `job` label, then `instance` (an alert without one comes after),
// then by all labels.
bool AlertLess(const Alert& a, const Alert& b);

// Prometheus's LabelSet.Before: the smaller set first, then label by label.
bool LabelsBefore(const model::Labels& a, const model::Labels& b);

// Prometheus's LabelSet.String(): `{a="b", c="d"}` with Go's %q quoting.
std::string LabelSetString(const model::Labels& labels);

// RFC 3339 with nanoseconds, trailing zeros dropped, in UTC ("Z"), as Go's
// time.Time marshals to JSON.
std::string FormatRfc3339(absl::Time t);
// RFC 3339 with any fraction and offset; InvalidArgument otherwise.
Result<absl::Time> ParseRfc3339(std::string_view s);

}  // namespace mytsdb::alertmanager
