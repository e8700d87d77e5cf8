// CPU priority of single threads. Linux schedules threads separately, so
// one thread can run below the others of the process: query workers and
// compaction run at nice +19 so that ingestion keeps the CPU.
#pragma once

#include <functional>

#include "common/status.h"

namespace mytsdb {

// Adds `nice` (1..19) to the calling thread's nice value. Unprivileged
// processes cannot raise a thread's priority again: the change is for the
// thread's lifetime.
Status LowerThisThreadPriority(int nice);

// Runs `fn` on a new thread whose priority is lowered by `nice`, and waits
// for it. A failure to lower the priority is returned; `fn` runs anyway.
Status RunAtLowerPriority(int nice, const std::function<void()>& fn);

}  // namespace mytsdb
