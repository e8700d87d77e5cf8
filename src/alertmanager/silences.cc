#include "alertmanager/silences.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <random>

#include "alertmanager/alert.h"
#include "alertmanager/snapshot_file.h"
#include "common/utf8.h"
#include "template/quote.h"

namespace mytsdb::alertmanager {

namespace {

// A random (version 4) UUID, as Alertmanager gives silences.
std::string NewUuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xffff), static_cast<unsigned long long>(hi & 0xffff),
                static_cast<unsigned long long>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

bool SameMatchers(const Matchers& a, const Matchers& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].type() != b[i].type() || a[i].name() != b[i].name() || a[i].value() != b[i].value()) return false;
  }
  return true;
}

bool MatchesEmpty(const Matcher& m) {
  switch (m.type()) {
    case MatchType::kEqual: return m.value().empty();
    case MatchType::kRegexp: {
      RE2 re(m.value(), RE2::Quiet);  // Go's regexp.MatchString: unanchored
      return re.ok() && RE2::PartialMatch("", re);
    }
    default: return false;
  }
}

// Alertmanager's canUpdate: what may change without a new silence.
bool CanUpdate(const Silence& held, const Silence& update, absl::Time now) {
  if (!SameMatchers(held.matchers, update.matchers)) return false;
  if (held.time_intervals != update.time_intervals) return false;
  switch (held.StateAt(now)) {
    case SilenceState::kActive:
      if (absl::ToUnixSeconds(update.starts_at) != absl::ToUnixSeconds(held.starts_at)) return false;
      return update.ends_at >= now;
    case SilenceState::kPending: return update.starts_at >= now;
    case SilenceState::kExpired: return false;
  }
  return false;
}

std::string Str(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                      : std::string();
}

}  // namespace

const char* SilenceStateString(SilenceState state) {
  switch (state) {
    case SilenceState::kExpired: return "expired";
    case SilenceState::kActive: return "active";
    case SilenceState::kPending: return "pending";
  }
  return "";
}

SilenceState Silence::StateAt(absl::Time now) const {
  if (now < starts_at) return SilenceState::kPending;
  if (now > ends_at) return SilenceState::kExpired;
  return SilenceState::kActive;
}

Status ValidateSilence(const Silence& s) {
  if (s.id.empty()) return Status::InvalidArgument("ID missing");
  if (s.matchers.empty()) return Status::InvalidArgument("at least one matcher required");
  bool all_match_empty = true;
  for (size_t i = 0; i < s.matchers.size(); ++i) {
    const Matcher& m = s.matchers[i];
    const std::string prefix = "invalid label matcher " + std::to_string(i) + ": ";
    if (!model::IsValidLegacyLabelName(m.name())) {
      return Status::InvalidArgument(prefix + "invalid label name " + tmpl::GoQuote(m.name()));
    }
    if ((m.type() == MatchType::kEqual || m.type() == MatchType::kNotEqual) && !model::IsValidUtf8(m.value())) {
      return Status::InvalidArgument(prefix + "invalid label value " + tmpl::GoQuote(m.value()));
    }
    if (m.type() == MatchType::kRegexp || m.type() == MatchType::kNotRegexp) {
      if (Status st = CheckRegex(m.value()); !st.ok()) {
        return Status::InvalidArgument(prefix + "invalid regular expression " + tmpl::GoQuote(m.value()) + ": " +
                                       st.message());
      }
    }
    all_match_empty = all_match_empty && MatchesEmpty(m);
  }
  if (all_match_empty) return Status::InvalidArgument("at least one matcher must not match the empty string");
  if (s.starts_at == kZeroTime) return Status::InvalidArgument("invalid zero start timestamp");
  if (s.ends_at == kZeroTime) return Status::InvalidArgument("invalid zero end timestamp");
  if (s.ends_at < s.starts_at) return Status::InvalidArgument("end time must not be before start time");
  return Status::OK();
}

Result<std::unique_ptr<Silences>> Silences::Open(Options options) {
  if (options.clock == nullptr) options.clock = io::SystemClock();
  auto s = std::unique_ptr<Silences>(new Silences(std::move(options)));
  RETURN_NOT_OK(s->Load());
  return s;
}

absl::Time Silences::Now() const { return absl::FromUnixMillis(options_.clock->NowMs()); }

Result<std::string> Silences::Set(Silence silence) {
  std::lock_guard lock(mu_);
  const absl::Time now = Now();
  if (!silence.id.empty()) {
    auto it = silences_.find(silence.id);
    if (it == silences_.end()) return Status::NotFound("silence not found");
    if (CanUpdate(it->second, silence, now)) {
      RETURN_NOT_OK(Store(silence));
      return silence.id;
    }
    if (it->second.StateAt(now) != SilenceState::kExpired) {
      RETURN_NOT_OK(ExpireLocked(silence.id).WithContext("expire previous silence"));
    }
  }
  silence.id = NewUuid();
  if (silence.starts_at < now) silence.starts_at = now;
  const std::string id = silence.id;
  RETURN_NOT_OK(Store(std::move(silence)));
  return id;
}

Status Silences::Store(Silence silence) {
  silence.updated_at = Now();
  if (Status st = ValidateSilence(silence); !st.ok()) return Status::InvalidArgument("silence invalid: " + st.message());
  const std::string id = silence.id;
  std::optional<Silence> previous;
  if (auto it = silences_.find(id); it != silences_.end()) previous = it->second;
  silences_[id] = std::move(silence);
  if (Status st = Persist(); !st.ok()) {
    // Not acknowledged: the change is undone in memory too.
    if (previous) {
      silences_[id] = *previous;
    } else {
      silences_.erase(id);
    }
    return st;
  }
  ++version_;
  return Status::OK();
}

Status Silences::Expire(const std::string& id) {
  std::lock_guard lock(mu_);
  return ExpireLocked(id);
}

Status Silences::ExpireLocked(const std::string& id) {
  auto it = silences_.find(id);
  if (it == silences_.end()) return Status::NotFound("silence not found");
  Silence s = it->second;
  const absl::Time now = Now();
  switch (s.StateAt(now)) {
    case SilenceState::kExpired: return Status::OK();
    case SilenceState::kActive: s.ends_at = now; break;
    case SilenceState::kPending:
      s.starts_at = now;
      s.ends_at = now;
      break;
  }
  return Store(std::move(s));
}

std::optional<Silence> Silences::Get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return std::nullopt;
  return it->second;
}

std::vector<Silence> Silences::List() const {
  std::lock_guard lock(mu_);
  std::vector<Silence> out;
  out.reserve(silences_.size());
  for (const auto& [id, s] : silences_) out.push_back(s);
  return out;
}

std::vector<std::string> Silences::Mutes(const model::Labels& labels, absl::Time now,
                                         const IntervalCheck& intervals) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (const auto& [id, s] : silences_) {
    if (s.StateAt(now) != SilenceState::kActive || !MatchesAll(s.matchers, labels)) continue;
    if (!s.time_intervals.empty()) {
      const bool within = std::any_of(s.time_intervals.begin(), s.time_intervals.end(),
                                      [&](const std::string& name) { return intervals && intervals(name, now); });
      if (!within) continue;
    }
    ids.push_back(id);
  }
  return ids;
}

Result<size_t> Silences::GarbageCollect() {
  std::lock_guard lock(mu_);
  const absl::Time now = Now();
  std::map<std::string, Silence> kept;
  size_t dropped = 0;
  for (auto& [id, s] : silences_) {
    if (s.ends_at + options_.retention < now) {
      ++dropped;
    } else {
      kept.emplace(id, s);
    }
  }
  if (dropped == 0) return dropped;
  std::swap(kept, silences_);
  if (Status st = Persist(); !st.ok()) {
    std::swap(kept, silences_);
    return st;
  }
  ++version_;
  return dropped;
}

uint64_t Silences::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

Status Silences::Persist() {
  return WriteStateDocument(options_.fs, options_.path, "silences", [this](JsonWriter* w) {
    for (const auto& [id, s] : silences_) {
      w->StartObject();
      w->Key("id");
      WriteJsonString(w, s.id);
      w->Key("matchers");
      w->StartArray();
      for (const Matcher& m : s.matchers) {
        w->StartObject();
        w->Key("name");
        WriteJsonString(w, m.name());
        w->Key("type");
        w->String(MatchTypeString(m.type()));
        w->Key("value");
        WriteJsonString(w, m.value());
        w->EndObject();
      }
      w->EndArray();
      for (auto [key, t] : {std::pair{"startsAt", s.starts_at}, {"endsAt", s.ends_at}, {"updatedAt", s.updated_at}}) {
        w->Key(key);
        WriteJsonString(w, FormatRfc3339(t));
      }
      w->Key("createdBy");
      WriteJsonString(w, s.created_by);
      w->Key("comment");
      WriteJsonString(w, s.comment);
      w->Key("timeIntervals");
      w->StartArray();
      for (const std::string& name : s.time_intervals) WriteJsonString(w, name);
      w->EndArray();
      w->EndObject();
    }
  });
}

Status Silences::Load() {
  ASSIGN_OR_RETURN(std::optional<rapidjson::Document> doc, ReadStateDocument(options_.fs, options_.path, "silences"));
  if (!doc) return Status::OK();
  auto corrupt = [&](const std::string& what) { return CorruptState(options_.path, what); };
  for (const auto& v : (*doc)["silences"].GetArray()) {
    if (!v.IsObject() || !v.HasMember("matchers") || !v["matchers"].IsArray()) return corrupt("a silence is malformed");
    Silence s;
    s.id = Str(v, "id");
    for (const auto& m : v["matchers"].GetArray()) {
      if (!m.IsObject()) return corrupt("silence " + s.id + " has a malformed matcher");
      const std::string type = Str(m, "type");
      const MatchType t = type == "=" ? MatchType::kEqual
                          : type == "!=" ? MatchType::kNotEqual
                          : type == "=~" ? MatchType::kRegexp
                                         : MatchType::kNotRegexp;
      if (type != "=" && type != "!=" && type != "=~" && type != "!~") return corrupt("silence " + s.id + ": matcher type");
      auto matcher = Matcher::Make(t, Str(m, "name"), Str(m, "value"));
      if (!matcher.ok()) return corrupt("silence " + s.id + ": " + matcher.status().message());
      s.matchers.push_back(*std::move(matcher));
    }
    for (auto [key, target] : {std::pair{"startsAt", &s.starts_at}, {"endsAt", &s.ends_at}, {"updatedAt", &s.updated_at}}) {
      auto t = ParseRfc3339(Str(v, key));
      if (!t.ok()) return corrupt("silence " + s.id + ": " + t.status().message());
      *target = *t;
    }
    s.created_by = Str(v, "createdBy");
    s.comment = Str(v, "comment");
    if (v.HasMember("timeIntervals") && v["timeIntervals"].IsArray()) {
      for (const auto& n : v["timeIntervals"].GetArray()) {
        if (n.IsString()) s.time_intervals.emplace_back(n.GetString(), n.GetStringLength());
      }
    }
    if (Status st = ValidateSilence(s); !st.ok()) return corrupt("silence " + s.id + ": " + st.message());
    silences_[s.id] = std::move(s);
  }
  return Status::OK();
}

}  // namespace mytsdb::alertmanager
