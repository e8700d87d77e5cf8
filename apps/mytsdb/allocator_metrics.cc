#include "allocator_metrics.h"

#ifdef MYTSDB_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include <cstdint>

#include "common/jemalloc_settings.h"

#ifdef MYTSDB_JEMALLOC
// jemalloc reads its settings from this symbol (common/jemalloc_settings.h).
extern "C" const char* malloc_conf = mytsdb::kJemallocSettings;
#endif

namespace mytsdb::app {

void AddAllocatorMetrics(telemetry::Registry* registry) {
#ifdef MYTSDB_JEMALLOC
  registry->AddCollector([](telemetry::TextWriter* w) {
    // jemalloc's statistics are refreshed by advancing its epoch.
    uint64_t epoch = 1;
    size_t size = sizeof epoch;
    mallctl("epoch", &epoch, &size, &epoch, size);
    auto stat = [](const char* name) -> double {
      size_t value = 0, len = sizeof value;
      return mallctl(name, &value, &len, nullptr, 0) == 0 ? static_cast<double>(value) : 0;
    };
    w->Family("mytsdb_allocator_allocated_bytes", "gauge",
              "Bytes in live allocations of the memory allocator (jemalloc).");
    w->Sample("mytsdb_allocator_allocated_bytes", {}, stat("stats.allocated"));
    w->Family("mytsdb_allocator_resident_bytes", "gauge",
              "Bytes the memory allocator keeps resident, freed ones not yet returned included.");
    w->Sample("mytsdb_allocator_resident_bytes", {}, stat("stats.resident"));
  });
#else
  (void)registry;
#endif
}

}  // namespace mytsdb::app
