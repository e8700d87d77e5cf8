// Any bytes as a scraped body (a target is another process, maybe
// another machine), read by both parsers: an error or samples whose
// labels start with a non-empty __name__; never a crash. The same bytes
// as a Content-Type must not crash the negotiation either.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "scrape/exposition.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(bytes), size);
  for (auto format : {mytsdb::scrape::Format::kPrometheusText, mytsdb::scrape::Format::kOpenMetrics}) {
    auto parsed = mytsdb::scrape::Parse(body, format);
    if (!parsed.ok()) continue;
    for (const auto& sample : parsed->samples) {
      if (sample.labels.empty() || sample.labels[0].name != "__name__") std::abort();
    }
  }
  (void)mytsdb::scrape::ChooseFormat(body.substr(0, 256), "");
  return 0;
}
