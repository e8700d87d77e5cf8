#include "promql/queryable.h"

namespace mytsdb::promql {

Status CancelFlags::Check() const {
  if (shutdown != nullptr && shutdown->load(std::memory_order_relaxed)) {
    return Status::Cancelled("query cancelled: MyTSDB is shutting down");
  }
  if (client_gone != nullptr && client_gone->load(std::memory_order_relaxed)) {
    return Status::Cancelled("query cancelled: the client closed the connection");
  }
  return Status::OK();
}

Result<bool> VectorSeriesSet::Next(Series* out) {
  if (next_ == series_.size()) return false;
  *out = std::move(series_[next_++]);
  return true;
}

Result<std::vector<Series>> ReadAll(SeriesSet& set) {
  std::vector<Series> out;
  Series series;
  while (true) {
    ASSIGN_OR_RETURN(bool more, set.Next(&series));
    if (!more) return out;
    out.push_back(std::move(series));
  }
}

}  // namespace mytsdb::promql
