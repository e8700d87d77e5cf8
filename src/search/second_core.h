// A second thread for the short bursts of one question's embedding: the
// products of a question's few tokens take 90% of its time (by perf), and
// the server's other core is idle for most of those milliseconds.
// Embedding families in batches does not use it: indexing stays on one
// core, so that it never takes both from ingestion.
#pragma once

#include <functional>

namespace mytsdb::search {

// Runs part(0) on the calling thread and part(1) on the second thread,
// and returns when both are done. When another caller holds the second
// thread, or the machine has one core, both run here, one after the other:
// no caller waits for another.
void RunOnTwoCores(const std::function<void(int part)>& part);

}  // namespace mytsdb::search
