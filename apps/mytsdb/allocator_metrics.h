// The memory allocator's own view of the process, for /metrics: bytes in
// live allocations and bytes it keeps resident. Sharper than RSS for
// spotting a leak (RSS also holds freed pages an allocator has not returned).
#pragma once

#include "telemetry/metrics.h"

namespace mytsdb::app {

// Adds mytsdb_allocator_allocated_bytes and _resident_bytes when the binary
// runs on jemalloc (not in sanitizer builds, which keep their own allocator).
void AddAllocatorMetrics(telemetry::Registry* registry);

}  // namespace mytsdb::app
