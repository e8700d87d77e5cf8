// The JSON of Alertmanager 0.25's API v2 (its swagger models): gettable
// alerts and silences written with Alertmanager's field names, postable
// alerts and silences read, silences sorted and filtered as its API does.
// MyTSDB's one addition: a silence's `timeIntervals` (recurring silences).
#pragma once

#include <absl/time/time.h>

#include <string_view>
#include <vector>

#include "alertmanager/alert.h"
#include "alertmanager/alertmanager.h"
#include "alertmanager/silences.h"
#include "alertmanager/snapshot_file.h"
#include "common/result.h"

namespace mytsdb::alertmanager {

void WriteAlertJson(JsonWriter* w, const AlertState& state);
void WriteSilenceJson(JsonWriter* w, const Silence& silence, absl::Time now);

// A list of postable alerts (labels, annotations, startsAt, endsAt,
// generatorURL); InvalidArgument with what is wrong.
Result<std::vector<Alert>> ParsePostableAlerts(std::string_view body);
// A postable silence (id, matchers, startsAt, endsAt, createdBy, comment,
// and MyTSDB's timeIntervals).
Result<Silence> ParsePostableSilence(std::string_view body);

// Active silences by end, then pending by start, then expired, the latest
// end first.
void SortSilences(std::vector<Silence>* silences, absl::Time now);
// Whether each filter matcher equals one of the silence's matchers (or
// matches its value when that matcher is an equality).
bool SilenceMatchesFilter(const Silence& silence, const Matchers& filter);

}  // namespace mytsdb::alertmanager
