#include "storage/storage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <filesystem>
#include <map>
#include <thread>

namespace mytsdb::storage {
namespace {

namespace fs = std::filesystem;
using model::Labels;
using model::Matcher;
using model::MatchType;
using model::Sample;

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;
const int64_t kStart = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

class StorageTest : public ::testing::Test {
 public:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("storage_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    storage_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    storage_.reset();
    StorageOptions options;
    options.data_dir = dir_.string();
    options.head.wal.fsync_mode = wal::FsyncMode::kNever;
    options.persist_check_interval = std::chrono::milliseconds(0);
    auto s = Storage::Open(options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(*s);
  }
  StorageAppendResult Append(const Labels& labels, const std::vector<Sample>& samples) {
    head::SeriesSamples item{&labels, samples};
    StorageAppendResult r;
    Status st = storage_->Append({&item, 1}, {}, &r);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return r;
  }
  std::map<Labels, std::vector<Sample>> ReadAll(model::TimeRange range = {}) {
    model::Matchers ms = {Matcher::Make(MatchType::kRegexMatch, "__name__", ".+").MoveValue()};
    std::vector<SeriesEntry> entries = storage_->Select(ms, range);
    std::vector<std::vector<Sample>> samples;
    Status st = storage_->ReadSamples(entries, range, &samples);
    EXPECT_TRUE(st.ok()) << st.ToString();
    std::map<Labels, std::vector<Sample>> out;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!samples[i].empty()) out[entries[i].labels] = samples[i];
    }
    return out;
  }

  fs::path dir_;
  std::unique_ptr<Storage> storage_;
};

void ExpectSame(const std::map<Labels, std::vector<Sample>>& got,
                const std::map<Labels, std::vector<Sample>>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [labels, w] : want) {
    auto it = got.find(labels);
    ASSERT_NE(it, got.end()) << labels.ToString();
    const auto& g = it->second;
    ASSERT_EQ(g.size(), w.size()) << labels.ToString();
    for (size_t i = 0; i < g.size(); ++i) {
      ASSERT_EQ(g[i].timestamp_ms, w[i].timestamp_ms) << labels.ToString() << " #" << i;
      ASSERT_EQ(std::bit_cast<uint64_t>(g[i].value), std::bit_cast<uint64_t>(w[i].value));
    }
  }
}

// Appends `hours` of 15 s samples for a few series in time order, in
// requests of one scrape each.
std::map<Labels, std::vector<Sample>> Ingest(StorageTest* t, int64_t from, int64_t to,
                                             std::map<Labels, std::vector<Sample>>* all) {
  std::vector<Labels> series;
  for (int i = 0; i < 5; ++i) {
    series.push_back(Labels{{"__name__", i < 3 ? "cpu" : "mem"}, {"i", std::to_string(i)}});
  }
  for (int64_t ts = from; ts < to; ts += 15'000) {
    for (size_t i = 0; i < series.size(); ++i) {
      // A series that stops after the first hour leaves the head entirely.
      if (i == 4 && ts >= from + kHour) continue;
      Sample s{ts, double(ts % 1'000'003) + 0.25 * double(i)};
      (*all)[series[i]].push_back(s);
      t->Append(series[i], {s});
    }
  }
  return *all;
}

TEST_F(StorageTest, BlocksMoveToTheColdTierWithoutGapsOrDuplicates) {
  std::map<Labels, std::vector<Sample>> all;
  Ingest(this, kStart, kStart + 5 * kHour, &all);
  ASSERT_TRUE(storage_->PersistDueBlocks().ok());
  // 5 h in the head (a span of 4:59:45): block [0, 2h) goes, then 2:59:45
  // remain, not more than 1.5 blocks.
  cold::ColdStats cs = storage_->cold_stats();
  EXPECT_EQ(cs.files, 1u);
  EXPECT_EQ(cs.watermark, kStart + 2 * kHour);
  head::HeadStats hs = storage_->head_stats();
  EXPECT_EQ(hs.min_time, kStart + 2 * kHour);
  EXPECT_EQ(hs.num_series, 4u);  // the series that stopped is cold only
  ExpectSame(ReadAll(), all);
  // A range across the boundary: two samples from each tier.
  auto window = ReadAll({kStart + 2 * kHour - 30'000, kStart + 2 * kHour + 15'000});
  EXPECT_EQ(window.size(), 4u);
  for (const auto& [labels, v] : window) EXPECT_EQ(v.size(), 4u) << labels.ToString();

  Reopen();
  ExpectSame(ReadAll(), all);
  EXPECT_EQ(storage_->head_stats().min_time, kStart + 2 * kHour);
  EXPECT_EQ(storage_->LabelValues("i"), (std::vector<std::string>{"0", "1", "2", "3", "4"}));

  // Ingestion goes on; the next block follows.
  Ingest(this, kStart + 5 * kHour, kStart + 7 * kHour, &all);
  ASSERT_TRUE(storage_->PersistDueBlocks().ok());
  EXPECT_EQ(storage_->cold_stats().watermark, kStart + 4 * kHour);
  ExpectSame(ReadAll(), all);
}

TEST_F(StorageTest, FlushEmptiesTheHeadAndKeepsEverything) {
  std::map<Labels, std::vector<Sample>> all;
  Ingest(this, kStart + kDay - kHour, kStart + kDay + kHour, &all);  // across midnight
  ASSERT_TRUE(storage_->Flush().ok());
  EXPECT_EQ(storage_->head_stats().num_series, 0u);
  EXPECT_EQ(storage_->cold_stats().files, 2u);  // one per day
  ExpectSame(ReadAll(), all);
  Reopen();
  EXPECT_EQ(storage_->head_stats().num_series, 0u);
  ExpectSame(ReadAll(), all);
  // Appending after a flush works, for newer samples.
  Ingest(this, kStart + kDay + kHour, kStart + kDay + 2 * kHour, &all);
  ExpectSame(ReadAll(), all);
  EXPECT_EQ(storage_->Flush().ok(), true);
  ExpectSame(ReadAll(), all);
}

TEST_F(StorageTest, OldSamplesAreBackfilledAndTheLastWriteWins) {
  std::map<Labels, std::vector<Sample>> all;
  Ingest(this, kStart + 10 * kHour, kStart + 11 * kHour, &all);
  Labels cpu0{{"__name__", "cpu"}, {"i", "0"}};
  Labels fresh{{"__name__", "old_job"}};
  // A day ago: far older than the head accepts.
  StorageAppendResult r = Append(cpu0, {{kStart, 1}, {kStart + 15'000, 2}});
  EXPECT_EQ(r.backfilled, 2u);
  EXPECT_EQ(r.head.too_old, 0u);
  r = Append(fresh, {{kStart + 30'000, 5}});
  EXPECT_EQ(r.backfilled, 1u);
  // The same timestamp again, another value: the later write wins.
  r = Append(cpu0, {{kStart + 15'000, 20}});
  EXPECT_EQ(r.backfilled, 1u);
  all[cpu0].insert(all[cpu0].begin(), {{kStart, 1}, {kStart + 15'000, 20}});
  all[fresh] = {{kStart + 30'000, 5}};
  ExpectSame(ReadAll(), all);
  EXPECT_EQ(storage_->backfilled_samples(), 4u);
  Reopen();
  ExpectSame(ReadAll(), all);
}

TEST_F(StorageTest, ReadersSeeEverySampleOnceWhilePersisting) {
  Labels s{{"__name__", "m"}};
  std::atomic<int64_t> acked{0};
  std::atomic<bool> stop{false};
  std::atomic<int> bad_reads{0};
  std::atomic<int> reads{0};
  const int64_t end = kStart + 14 * kHour;
  std::thread writer([&] {
    for (int64_t t = kStart; t < end; t += 15'000) {
      Append(s, {{t, double(t)}});
      acked = t;
      // Slow enough for the persist rounds below to interleave.
      if (t % (10 * 15'000) == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::thread reader([&] {
    while (!stop) {
      int64_t upto = acked.load();
      if (upto == 0) continue;
      auto got = ReadAll({kStart, upto});
      const auto& v = got[s];
      bool ok = v.size() == size_t((upto - kStart) / 15'000 + 1);
      for (size_t i = 0; ok && i < v.size(); ++i) ok = v[i].timestamp_ms == kStart + int64_t(i) * 15'000;
      if (!ok) ++bad_reads;
      ++reads;
    }
  });
  while (acked.load() < end - 15'000) ASSERT_TRUE(storage_->PersistDueBlocks().ok());
  writer.join();
  ASSERT_TRUE(storage_->PersistDueBlocks().ok());
  stop = true;
  reader.join();
  EXPECT_GE(storage_->cold_stats().files, 5u);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(bad_reads.load(), 0);
}

}  // namespace
}  // namespace mytsdb::storage
