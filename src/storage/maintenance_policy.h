// When the background maintenance steps run: the decisions, apart from the
// steps themselves (storage.cc) so that they can be tested without threads
// or clocks.
#pragma once

#include <cstdint>

#include "head/head.h"

namespace mytsdb::storage {

// Whether the head holds a block due to be persisted: it spans more than
// one and a half blocks, so that the oldest full block can go while the
// newest half-block still takes late samples.
bool PersistDue(const head::HeadStats& head, int64_t block_ms);

// Whether a compaction may start now, or go on with its next batch of
// series (a running one pauses until this holds again). It yields to
// persisting, running or due: both hold a block's worth of rows in memory,
// and after a restart both are due at once (the persist that a crash
// interrupted, the compaction the last persist made possible), which set
// the server's peak memory in the soak. Persisting goes first because the
// head and the WAL grow until it has run; compaction only tidies files and
// loses nothing by waiting. If persisting keeps failing, compaction waits
// too: it would need the same disk.
bool CompactionMayRun(const head::HeadStats& head, int64_t block_ms, bool persisting);

}  // namespace mytsdb::storage
