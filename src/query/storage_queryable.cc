#include "query/storage_queryable.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
#include <system_error>
#include <vector>

namespace mytsdb::query {
namespace {

// Series [first, first + samples.size()) of a selection and their samples.
struct Batch {
  size_t first = 0;
  std::vector<std::vector<model::Sample>> samples;
  Status status;

  size_t end() const { return first + samples.size(); }
  int64_t sample_count() const {
    int64_t n = 0;
    for (const auto& s : samples) n += static_cast<int64_t>(s.size());
    return n;
  }
};

// Reads batches ahead on other threads while the evaluator works through
// the one before them, so that a query's reading (decompressing Parquet
// pages, decoding head chunks) and its evaluation overlap. Two batches are
// read at once: reading a batch took longer than evaluating it (on node
// data, 250 ms of reading to 200 of evaluation for a 40,000-series rate),
// so with one reader the evaluator waited, and on two cores the wait is
// better spent reading. The threads inherit the query thread's CPU priority
// (Linux copies the nice value to a new thread), so that queries still run
// below ingestion.
class StorageSeriesSet : public promql::SeriesSet {
 public:
  StorageSeriesSet(const storage::Storage& storage, storage::SeriesSelection series,
                   model::TimeRange range, const promql::SelectLimits& limits, bool cache_cold)
      : storage_(storage), series_(std::move(series)), range_(range), limits_(limits), cache_cold_(cache_cold) {}

  ~StorageSeriesSet() override { DropAhead(); }  // the readers read series_

  std::vector<std::string> Warnings() const override { return series_.warnings(); }

  Result<bool> Next(promql::Series* out) override {
    for (;;) {
      // Hand out the series of the current batch that have samples.
      for (; next_ < batch_.samples.size(); ++next_) {
        if (batch_.samples[next_].empty()) continue;
        out->labels = series_.labels(batch_.first + next_);
        out->samples = std::move(batch_.samples[next_++]);
        return true;
      }
      if (ahead_.empty() && unread_ == series_.size()) return false;
      RETURN_NOT_OK(NextBatch());
    }
  }

 private:
  // Batches of about kBatchSamples samples, judged by the last one: few
  // enough to hold (4 MiB of samples), many enough series that the cold
  // tier rarely decompresses a Parquet page twice (a page holds thousands
  // of rows, several series, and one that two batches share is read by
  // both). 64 series per batch on a cold-tier query over 20,000 series of
  // 260 samples took 27% more CPU than 512; 32 Ki samples instead of 256 Ki
  // took 7% more time on the head.
  static constexpr int64_t kBatchSamples = 256 * 1024;
  static constexpr size_t kMaxBatchSeries = 1024;
  static constexpr size_t kReadAhead = 2;  // batches being read at once
  // But at least kMinBatches batches (of kMinBatchSeries series or more):
  // a selection of a thousand or two series fitted in one or two batches,
  // so it was read and then evaluated, on one core. Eight batches took the
  // bench's mid-sized queries 10-18% faster on the head and the cold tier
  // (docs/BENCHMARKS.md, "Reading only the wanted pages"); sixteen of 32
  // series or more were slower than eight again.
  static constexpr size_t kMinBatches = 8;
  static constexpr size_t kMinBatchSeries = 64;

  // A batch being read, and the most samples it may hold.
  struct Ahead {
    std::future<Batch> batch;
    int64_t budget;
  };

  Batch Read(size_t first, size_t count, int64_t max_samples) const {
    Batch b;
    b.first = first;
    b.status = storage_.ReadSamples(series_, first, count, range_, &b.samples, max_samples, cache_cold_);
    return b;
  }

  // Waits for the batches being read and forgets them.
  void DropAhead() {
    for (Ahead& a : ahead_) a.batch.wait();
    ahead_.clear();
  }

  Status NextBatch() {
    if (limits_.deadline && std::chrono::steady_clock::now() > *limits_.deadline) {
      return Status::DeadlineExceeded("query timed out in query execution");
    }
    RETURN_NOT_OK(limits_.cancel.Check());
    batch_ = Batch();
    next_ = 0;
    bool have = false;
    if (!ahead_.empty()) {
      Batch b = ahead_.front().batch.get();
      ahead_.pop_front();
      if (b.status.ok()) {
        batch_ = std::move(b);
        have = true;
      } else {
        // Over its share of the limit (the batches held while it was read
        // took the rest): read it, and those after it, again now that
        // they are gone.
        DropAhead();
        if (b.status.code() != StatusCode::kResourceExhausted) return b.status;
        unread_ = b.first;
      }
    }
    while (!have) {
      const size_t count = std::min(batch_size_, series_.size() - unread_);
      Batch b = Read(unread_, count, limits_.max_samples);
      // Near the sample limit a batch can exceed it where series read one
      // at a time would not: only a single series over the limit fails.
      if (b.status.code() == StatusCode::kResourceExhausted && batch_size_ > 1) {
        batch_size_ = 1;
        near_limit_ = true;
        continue;
      }
      RETURN_NOT_OK(b.status);
      batch_ = std::move(b);
      unread_ = batch_.end();
      have = true;
    }
    const int64_t held = batch_.sample_count();
    if (near_limit_) return Status::OK();
    batch_size_ = held == 0 ? kMaxBatchSeries
                            : std::clamp<size_t>(batch_.samples.size() * kBatchSamples / held, 1,
                                                 kMaxBatchSeries);
    batch_size_ = std::min(batch_size_, std::max(kMinBatchSeries, series_.size() / kMinBatches));
    // The batch handed out and those being read are held at once: together
    // they stay within the limit. What the held batch and the budgets of
    // those already being read leave is shared by the new ones.
    int64_t left = limits_.max_samples - held;
    for (const Ahead& a : ahead_) left -= a.budget;
    const size_t free_slots = kReadAhead - ahead_.size();
    for (size_t slot = 0; slot < free_slots && unread_ < series_.size(); ++slot) {
      const size_t count = std::min(batch_size_, series_.size() - unread_);
      const int64_t budget = left / static_cast<int64_t>(free_slots);
      try {
        ahead_.push_back({std::async(std::launch::async, [this, first = unread_, count, budget] {
                            return Read(first, count, budget);
                          }),
                          budget});
      } catch (const std::system_error&) {
        break;  // no thread to spare: the next batch is read when it is needed
      }
      unread_ += count;
    }
    return Status::OK();
  }

  const storage::Storage& storage_;
  const storage::SeriesSelection series_;
  const model::TimeRange range_;
  const promql::SelectLimits limits_;
  const bool cache_cold_;
  Batch batch_;  // being handed out
  size_t next_ = 0;  // the next of batch_ to hand out
  std::deque<Ahead> ahead_;  // the batches after it, in order, being read
  size_t unread_ = 0;  // the first series neither in batch_ nor ahead_
  size_t batch_size_ = 64;  // series per read; the first batch sizes the next
  bool near_limit_ = false;  // a batch exceeded the sample limit: one series at a time, none ahead
};

}  // namespace

Result<std::unique_ptr<promql::SeriesSet>> StorageQueryable::Select(
    const model::Matchers& matchers, model::TimeRange range, const promql::SelectLimits& limits) const {
  return std::unique_ptr<promql::SeriesSet>(
      std::make_unique<StorageSeriesSet>(storage_, storage_.Select(matchers, range), range, limits, cache_cold_));
}

}  // namespace mytsdb::query
