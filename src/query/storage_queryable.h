// StorageQueryable: PromQL's view of the storage facade. A selector's series
// are selected across both tiers and their samples read a batch at a time
// as the evaluator asks for them, so that a query holds a few batches of
// samples rather than all of them, and the sample limit and the deadline
// stop it between batches.
#pragma once

#include <memory>

#include "promql/queryable.h"
#include "storage/storage.h"

namespace mytsdb::query {

class StorageQueryable : public promql::Queryable {
 public:
  // `storage` must outlive the sets Select returns. With `cache_cold`,
  // cold-tier reads use the storage's sample cache (rule evaluation, whose
  // windows come back every cycle).
  explicit StorageQueryable(const storage::Storage& storage, bool cache_cold = false)
      : storage_(storage), cache_cold_(cache_cold) {}

  Result<std::unique_ptr<promql::SeriesSet>> Select(const model::Matchers& matchers,
                                                    model::TimeRange range,
                                                    const promql::SelectLimits& limits) const override;

 private:
  const storage::Storage& storage_;
  const bool cache_cold_;
};

}  // namespace mytsdb::query
