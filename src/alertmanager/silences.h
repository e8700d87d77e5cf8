// Silences (silence.Silences of Alertmanager 0.25): matchers and a time
// window during which matching alerts are not notified. Creating and
// updating follow Alertmanager's rules: a silence keeps its ID when only
// what its state allows changes (an active one's end, a pending one's
// window, its comment and creator); any other change expires it and
// creates a new one. Expired silences are dropped `retention` after
// their end.
//
// MyTSDB's addition, recurring silences: a silence may name
// `time_intervals` of the configuration; it then mutes only while one of
// them holds, within its window (a weekly maintenance window silenced for
// a year, docs/ALERTMANAGER.md).
//
// Every change is written to `path` before it is acknowledged
// (snapshot_file.h), and Open reads it back.
#pragma once

#include <absl/time/time.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alertmanager/matcher.h"
#include "common/result.h"
#include "io/clock.h"
#include "io/file_system.h"
#include "model/labels.h"

namespace mytsdb::alertmanager {

enum class SilenceState { kExpired, kActive, kPending };
const char* SilenceStateString(SilenceState state);  // "expired", "active", "pending"

struct Silence {
  std::string id;
  Matchers matchers;
  absl::Time starts_at;
  absl::Time ends_at;
  absl::Time updated_at;
  std::string created_by;
  std::string comment;
  std::vector<std::string> time_intervals;  // recurring: mutes only within one

  SilenceState StateAt(absl::Time now) const;
};

// Whether the named time interval holds at a time (the configuration's
// time_intervals); an unknown name holds never.
using IntervalCheck = std::function<bool(const std::string& name, absl::Time now)>;

class Silences {
 public:
  struct Options {
    io::FileSystem* fs = nullptr;
    std::string path;  // the state file
    io::Clock* clock = nullptr;
    absl::Duration retention = absl::Hours(120);  // --data.retention
  };

  // Reads the state file when there is one; a damaged file is an error
  // naming it.
  static Result<std::unique_ptr<Silences>> Open(Options options);

  // Creates (empty id) or updates a silence; returns its ID, a new one
  // when the update had to replace it. NotFound for an unknown id;
  // InvalidArgument with Alertmanager's message for an invalid silence.
  Result<std::string> Set(Silence silence);
  // Ends an active silence now, or cancels a pending one. NotFound for an
  // unknown id.
  Status Expire(const std::string& id);

  std::optional<Silence> Get(const std::string& id) const;
  std::vector<Silence> List() const;
  // The IDs of the silences that mute `labels` at `now`, sorted.
  std::vector<std::string> Mutes(const model::Labels& labels, absl::Time now, const IntervalCheck& intervals) const;

  // Drops silences that expired more than `retention` ago; how many.
  Result<size_t> GarbageCollect();
  // Changes so far (API clients poll to see whether to refresh).
  uint64_t version() const;

 private:
  explicit Silences(Options options) : options_(std::move(options)) {}
  absl::Time Now() const;
  Status Load();
  Status Persist();  // holds mu_
  Status Store(Silence silence);  // validates, sets updated_at, persists; holds mu_
  Status ExpireLocked(const std::string& id);

  const Options options_;
  mutable std::mutex mu_;
  std::map<std::string, Silence> silences_;
  uint64_t version_ = 0;
};

// Alertmanager's checks of a silence's matchers and times (validateSilence),
// with its messages.
Status ValidateSilence(const Silence& silence);

}  // namespace mytsdb::alertmanager
