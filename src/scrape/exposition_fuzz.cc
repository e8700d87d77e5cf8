// Any bytes as a scraped body (a target is another process, maybe
// another machine): an error or samples whose labels start with a
// non-empty __name__; never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "scrape/exposition.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(bytes), size);
  auto parsed = mytsdb::scrape::ParsePrometheusText(body);
  if (!parsed.ok()) return 0;
  for (const auto& sample : parsed->samples) {
    if (sample.labels.empty() || sample.labels[0].name != "__name__") std::abort();
  }
  return 0;
}
