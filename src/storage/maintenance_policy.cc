#include "storage/maintenance_policy.h"

namespace mytsdb::storage {

bool PersistDue(const head::HeadStats& head, int64_t block_ms) {
  return head.num_series > 0 && head.max_time - head.min_time > block_ms + block_ms / 2;
}

bool CompactionMayRun(const head::HeadStats& head, int64_t block_ms, bool persisting) {
  return !persisting && !PersistDue(head, block_ms);
}

}  // namespace mytsdb::storage
