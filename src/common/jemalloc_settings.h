// The jemalloc settings the server runs with (MALLOC_CONF in the environment
// goes on top): a background thread returns freed pages to the system while
// the server is idle, instead of only when it next allocates, and returns
// them after 1 s unused instead of 10 s, so that the memory a query, a
// persist or a compaction freed does not stay resident while the next one
// allocates its own (in the soak: RSS about 50 MiB lower at its peaks and
// medians, no change in ingestion capacity; docs/BENCHMARKS.md).
//
// jemalloc reads them from a symbol each binary defines; the server and the
// memory benchmarks, which must behave as the server does, define it as
//   extern "C" const char* malloc_conf = mytsdb::kJemallocSettings;
#pragma once

namespace mytsdb {

inline constexpr const char* kJemallocSettings = "background_thread:true,dirty_decay_ms:1000";

}  // namespace mytsdb
