// Any bytes as the bodies the Alertmanager's API takes (POST
// /api/v2/alerts and /api/v2/silences): parsing ends with alerts, a
// silence or an error, never a crash; what parses is validated and written
// back as the API would.
#include <absl/time/clock.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "alertmanager/api_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  namespace am = mytsdb::alertmanager;
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  if (auto alerts = am::ParsePostableAlerts(text); alerts.ok()) {
    rapidjson::StringBuffer buf;
    am::JsonWriter w(buf);
    w.StartArray();
    for (const am::Alert& a : *alerts) {
      (void)a.Fingerprint();
      am::AlertState state;
      state.alert = a;
      am::WriteAlertJson(&w, state);
    }
    w.EndArray();
  }
  if (auto silence = am::ParsePostableSilence(text); silence.ok()) {
    silence->id = "x";
    (void)am::ValidateSilence(*silence);
    rapidjson::StringBuffer buf;
    am::JsonWriter w(buf);
    am::WriteSilenceJson(&w, *silence, absl::Now());
    std::vector<am::Silence> list = {*silence, *silence};
    am::SortSilences(&list, absl::Now());
    (void)am::SilenceMatchesFilter(*silence, silence->matchers);
  }
  return 0;
}
