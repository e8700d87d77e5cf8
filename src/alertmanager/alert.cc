#include "alertmanager/alert.h"

#include <absl/time/civil_time.h>
#include <absl/time/clock.h>

#include <algorithm>
#include <cstdio>

#include "template/quote.h"

namespace mytsdb::alertmanager {

const absl::Time kZeroTime = absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());

namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

uint64_t FnvAdd(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

uint64_t FnvAddByte(uint64_t h, unsigned char b) {
  h ^= b;
  return h * kFnvPrime;
}


}  // namespace

uint64_t LabelsFingerprint(const model::Labels& labels) {
  uint64_t h = kFnvOffset;
  for (const model::Label& l : labels) {
    h = FnvAddByte(FnvAdd(h, l.name), 0xff);
    h = FnvAddByte(FnvAdd(h, l.value), 0xff);
  }
  return h;
}

uint64_t Alert::Fingerprint() const { return LabelsFingerprint(labels); }

std::string FingerprintString(uint64_t fp) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(fp));
  return buf;
}

Alert MergeAlerts(const Alert& a, const Alert& o) {
  if (o.updated_at < a.updated_at) return MergeAlerts(o, a);
  const absl::Time now = absl::Now();
  Alert res = o;
  if (a.starts_at < o.starts_at) res.starts_at = a.starts_at;
  if (o.ResolvedAt(now)) {
    // The latest explicit end wins when both are resolved.
    if (a.ResolvedAt(now) && a.ends_at > o.ends_at) res.ends_at = a.ends_at;
  } else if (a.ends_at > o.ends_at && !a.timeout) {
    // An end the sender gave rules over a timeout when it is the later.
    res.ends_at = a.ends_at;
  }
  return res;
}

bool Overlaps(const Alert& held, const Alert& incoming) {
  return (incoming.ends_at > held.starts_at && incoming.ends_at < held.ends_at) ||
         (incoming.starts_at > held.starts_at && incoming.starts_at < held.ends_at);
}

bool LabelsBefore(const model::Labels& a, const model::Labels& b) {
  // Fewer labels first; then over the union of names in order, a set
  // that lacks a name comes first, else the smaller value.
  if (a.size() != b.size()) return a.size() < b.size();
  std::vector<std::string_view> names;
  for (const model::Label& l : a) names.push_back(l.name);
  for (const model::Label& l : b) names.push_back(l.name);
  std::sort(names.begin(), names.end());
  for (std::string_view name : names) {
    if (!a.Has(name)) return true;
    if (!b.Has(name)) return false;
    const std::string_view x = a.Get(name), y = b.Get(name);
    if (x != y) return x < y;
  }
  return false;
}

bool AlertLess(const Alert& a, const Alert& b) {
  for (std::string_view key : {"job", "instance"}) {
    const bool has_a = a.labels.Has(key), has_b = b.labels.Has(key);
    if (!has_a && !has_b) continue;
    if (!has_a) return false;
    if (!has_b) return true;
    if (a.labels.Get(key) != b.labels.Get(key)) return a.labels.Get(key) < b.labels.Get(key);
  }
  return LabelsBefore(a.labels, b.labels);
}


std::string LabelSetString(const model::Labels& labels) {
  std::string out = "{";
  bool first = true;
  for (const model::Label& l : labels) {
    if (!first) out += ", ";
    first = false;
    out += l.name + "=" + tmpl::GoQuote(l.value);
  }
  return out + "}";
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%4Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

Result<absl::Time> ParseRfc3339(std::string_view s) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(s), absl::UTCTimeZone(), &t, &error)) {
    return Status::InvalidArgument("parsing time \"" + std::string(s) + "\" as RFC 3339: " + error);
  }
  return t;
}

}  // namespace mytsdb::alertmanager
