#include "storage/storage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
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
    options.clock = &clock_;
    customize_(&options);
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
    SeriesSelection series = storage_->Select(ms, range);
    std::vector<std::vector<Sample>> samples;
    Status st = storage_->ReadSamples(series, 0, series.size(), range, &samples);
    EXPECT_TRUE(st.ok()) << st.ToString();
    std::map<Labels, std::vector<Sample>> out;
    for (size_t i = 0; i < series.size(); ++i) {
      if (!samples[i].empty()) out[series.labels(i)] = samples[i];
    }
    return out;
  }

  fs::path dir_;
  // "Now" is two days after the test data starts, so that retention (15 d)
  // and the future limit (10 min) leave the data alone unless moved.
  io::ManualClock clock_{kStart + 2 * kDay};
  std::function<void(StorageOptions*)> customize_ = [](StorageOptions*) {};
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

TEST_F(StorageTest, OneFutureSampleNeitherIsStoredNorMakesRetentionDeleteAnything) {
  // The reproduction of issue 10: old samples backfilled, a recent one, then
  // one dated 30 days ahead (a client with a wrong clock).
  const int64_t now = clock_.NowMs();
  Labels old_series{{"__name__", "backfilled"}};
  Labels recent{{"__name__", "recent"}};
  std::vector<Sample> old;
  for (int i = 0; i < 240; ++i) old.push_back({now - 3 * kDay + i * 60'000, double(i)});
  EXPECT_EQ(Append(recent, {{now, 1}}).head.samples_appended, 1u);
  EXPECT_EQ(Append(old_series, old).backfilled, 240u);

  StorageAppendResult r = Append(recent, {{now + 1000, 2}, {now + 30 * kDay, 3}});
  EXPECT_EQ(r.too_far_in_future, 1u);
  EXPECT_EQ(r.head.samples_appended, 1u);  // the valid sample of the request is kept
  EXPECT_NE(r.first_refused.find("recent"), std::string::npos) << r.first_refused;
  EXPECT_NE(r.first_refused.find(std::to_string(now + 30 * kDay)), std::string::npos);
  EXPECT_EQ(storage_->refused_future_samples(), 1u);
  // Up to max_future ahead is fine.
  EXPECT_EQ(Append(recent, {{now + 10 * 60'000, 4}}).head.samples_appended, 1u);

  ASSERT_TRUE(storage_->Flush().ok());
  ASSERT_TRUE(storage_->Compact().ok());
  auto all = ReadAll();
  EXPECT_EQ(all[old_series].size(), 240u);
  EXPECT_EQ(all[recent].size(), 3u);
  EXPECT_EQ(storage_->cold_stats().rows, 243u);
  EXPECT_EQ(storage_->refused_future_samples(), 1u);
}

TEST_F(StorageTest, PersistedBlocksMergeInWindowsThatRetentionDropsWhole) {
  constexpr int64_t kMin = 60'000;
  clock_.Set(kStart);
  customize_ = [](StorageOptions* o) {
    o->head.chunk_range_ms = 10 * kMin;  // the policy's block comes from the head
    o->compaction.max_window_ms = 30 * kMin;
    o->retention_ms = 60 * kMin;
  };
  Reopen();
  Labels m{{"__name__", "m"}};
  std::vector<Sample> want;
  for (int64_t t = kStart; t < kStart + 100 * kMin; t += kMin) {
    clock_.Set(t);
    EXPECT_EQ(Append(m, {{t, double(t)}}).head.samples_appended, 1u);
    want.push_back({t, double(t)});
    ASSERT_TRUE(storage_->PersistDueBlocks().ok());
  }
  // Nine 10-minute blocks persisted (the head keeps the last 10 minutes).
  EXPECT_EQ(storage_->cold_stats().files, 9u);
  EXPECT_EQ(storage_->cold_stats().watermark, kStart + 90 * kMin);
  // Compaction merges them in threes and goes no further than the cap;
  // retention (now - 1 h = 39 min) then drops the first window whole.
  ASSERT_TRUE(storage_->Compact().ok());
  EXPECT_EQ(storage_->cold_stats().files, 2u);
  EXPECT_EQ(storage_->cold_stats().min_time, kStart + 30 * kMin);
  want.erase(want.begin(), want.begin() + 30);
  auto all = ReadAll();
  ASSERT_EQ(all[m].size(), want.size());
  EXPECT_EQ(all[m].front().timestamp_ms, want.front().timestamp_ms);
  EXPECT_EQ(all[m].back().timestamp_ms, want.back().timestamp_ms);
}

// Forwards to the POSIX file system; once armed, the first opening of a
// Parquet file for reading waits until Release.
class GatedFileSystem : public io::FileSystem {
 public:
  void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = true;
  }
  void WaitUntilHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return holding_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  Result<std::unique_ptr<io::RandomAccessFile>> OpenForRead(const std::string& path) override {
    if (path.ends_with(".parquet")) {
      std::unique_lock<std::mutex> lock(mu_);
      if (armed_ && !holding_) {
        holding_ = true;
        cv_.notify_all();
        cv_.wait(lock, [this] { return released_; });
      }
    }
    return base_->OpenForRead(path);
  }
  Result<std::unique_ptr<io::WritableFile>> NewWritableFile(const std::string& path) override {
    return base_->NewWritableFile(path);
  }
  Status CreateFileIfAbsent(const std::string& path, std::string_view data, bool* created) override {
    return base_->CreateFileIfAbsent(path, data, created);
  }
  Status Rename(const std::string& from, const std::string& to) override { return base_->Rename(from, to); }
  Status Link(const std::string& from, const std::string& to) override { return base_->Link(from, to); }
  Status Remove(const std::string& path) override { return base_->Remove(path); }
  Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  Status SyncDir(const std::string& path) override { return base_->SyncDir(path); }
  Result<std::vector<io::DirEntry>> ListDir(const std::string& path) override { return base_->ListDir(path); }
  Result<io::FileStatus> Stat(const std::string& path) override { return base_->Stat(path); }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_->TruncateFile(path, size);
  }

 private:
  io::FileSystem* const base_ = io::PosixFileSystem();
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false, holding_ = false, released_ = false;
};

// Compaction reads and writes without the maintenance lock: a persist
// commits while a merge is under way, and the merge commits after it.
TEST_F(StorageTest, PersistsGoOnWhileACompactionIsWriting) {
  constexpr int64_t kMin = 60'000;
  GatedFileSystem gated;
  clock_.Set(kStart);
  customize_ = [&gated](StorageOptions* o) {
    o->head.chunk_range_ms = 10 * kMin;
    o->compaction.max_window_ms = 30 * kMin;
    o->fs = &gated;
  };
  Reopen();
  Labels m{{"__name__", "m"}};
  std::vector<Sample> want;
  auto ingest = [&](int64_t from, int64_t to) {
    for (int64_t t = from; t < to; t += kMin) {
      clock_.Set(t);
      ASSERT_EQ(Append(m, {{t, double(t)}}).head.samples_appended, 1u);
      want.push_back({t, double(t)});
      ASSERT_TRUE(storage_->PersistDueBlocks().ok());
    }
  };
  ingest(kStart, kStart + 40 * kMin);
  ASSERT_EQ(storage_->cold_stats().files, 3u);  // [0, 30 min): one window
  gated.Arm();
  Status compacted;
  std::thread compaction([&] { compacted = storage_->Compact(); });
  gated.WaitUntilHeld();  // the merge is reading its first file
  // Were the persist to wait for the merge, it would wait for ever.
  auto persisted = std::async(std::launch::async, [&] { ingest(kStart + 40 * kMin, kStart + 50 * kMin); });
  const bool in_time = persisted.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  EXPECT_TRUE(in_time) << "the persist waited for the compaction";
  EXPECT_EQ(storage_->cold_stats().files, in_time ? 4u : 3u);  // persisted meanwhile
  gated.Release();
  compaction.join();
  persisted.wait();
  ASSERT_TRUE(compacted.ok()) << compacted.ToString();
  EXPECT_EQ(storage_->cold_stats().files, 2u);  // the merge and the new block
  ExpectSame(ReadAll(), {{m, want}});
  Reopen();
  ExpectSame(ReadAll(), {{m, want}});
  storage_.reset();  // before `gated` goes
}

TEST_F(StorageTest, RetentionCountsFromTheClockAndRefusesWhatItWouldDelete) {
  const int64_t retention = 15 * kDay;
  Labels m{{"__name__", "m"}};
  // A file per day for the three days before now.
  const int64_t now = clock_.NowMs();
  Labels recent{{"__name__", "recent"}};
  Append(recent, {{now, 0}});  // the head's accept window starts near now
  for (int d = 3; d >= 1; --d) {
    EXPECT_EQ(Append(m, {{now - d * kDay, double(d)}}).backfilled, 1u);
  }
  ASSERT_TRUE(storage_->Compact().ok());
  EXPECT_EQ(storage_->cold_stats().files, 3u);
  // Move the clock so that only the oldest day's sample is past retention.
  clock_.Set(now - 3 * kDay + retention + 1);
  ASSERT_TRUE(storage_->Compact().ok());
  auto all = ReadAll();
  ASSERT_EQ(all[m].size(), 2u);
  EXPECT_EQ(all[m][0].timestamp_ms, now - 2 * kDay);
  // A sample exactly at the cutoff is kept, one before it is refused.
  const int64_t cutoff = clock_.NowMs() - retention;
  StorageAppendResult r = Append(m, {{cutoff - 1, 7}, {cutoff, 8}});
  EXPECT_EQ(r.beyond_retention, 1u);
  EXPECT_EQ(r.backfilled, 1u);
  EXPECT_EQ(storage_->refused_retention_samples(), 1u);
  ASSERT_TRUE(storage_->Compact().ok());
  EXPECT_EQ(ReadAll()[m].size(), 3u);
}

TEST_F(StorageTest, RefusedBackfillStoresNothingOfTheRequest) {
  customize_ = [](StorageOptions* o) { o->max_backfill_requests = 0; };
  Reopen();
  Labels m{{"__name__", "m"}};
  const int64_t now = clock_.NowMs();
  head::SeriesSamples item{&m, {}};
  Labels recent{{"__name__", "recent"}};
  Append(recent, {{now, 0}});
  std::vector<Sample> samples = {{now - kDay, 1}, {now, 2}};
  item.samples = samples;
  StorageAppendResult r;
  Status st = storage_->Append({&item, 1}, {}, &r);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_EQ(ReadAll().count(m), 0u);
  EXPECT_EQ(storage_->backfill_requests_refused(), 1u);
}

TEST_F(StorageTest, ConcurrentBackfillsShareCommitsAndLoseNothing) {
  const int64_t now = clock_.NowMs();
  Labels recent{{"__name__", "recent"}};
  Append(recent, {{now, 0}});
  constexpr int kThreads = 6, kRequests = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Labels l{{"__name__", "bf"}, {"t", std::to_string(t)}};
      for (int i = 0; i < kRequests; ++i) {
        head::SeriesSamples item{&l, {}};
        Sample s{now - kDay + i * 1000, double(i)};
        item.samples = {&s, 1};
        StorageAppendResult r;
        if (!storage_->Append({&item, 1}, {}, &r).ok() || r.backfilled != 1) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto all = ReadAll();
  all.erase(recent);
  ASSERT_EQ(all.size(), size_t(kThreads));
  for (const auto& [labels, v] : all) EXPECT_EQ(v.size(), size_t(kRequests)) << labels.ToString();
  // Group commit: never more commits than requests (usually far fewer).
  EXPECT_LE(storage_->cold_stats().version + 1, kThreads * kRequests);
  Reopen();
  EXPECT_EQ(ReadAll().size(), size_t(kThreads) + 1);
}

TEST_F(StorageTest, DeleteSeriesRemovesSamplesFromBothTiersForGood) {
  std::map<Labels, std::vector<Sample>> all;
  Ingest(this, kStart, kStart + 5 * kHour, &all);
  ASSERT_TRUE(storage_->PersistDueBlocks().ok());  // [0, 2h) cold, the rest in the head
  ASSERT_GE(storage_->cold_stats().files, 1u);
  model::Matchers cpu = {Matcher::Make(MatchType::kEqual, "__name__", "cpu").MoveValue(),
                         Matcher::Make(MatchType::kEqual, "i", "1").MoveValue()};
  // Across the tiers: 1h..3h.
  const model::TimeRange range{kStart + kHour, kStart + 3 * kHour};
  ASSERT_TRUE(storage_->DeleteSeries({&cpu, 1}, range).ok());
  Labels cpu1{{"__name__", "cpu"}, {"i", "1"}};
  std::erase_if(all[cpu1], [&](const Sample& s) { return range.Contains(s.timestamp_ms); });
  ExpectSame(ReadAll(), all);
  Reopen();  // the head's deletion is replayed from the WAL
  ExpectSame(ReadAll(), all);
  // Neither persisting nor compaction brings anything back.
  ASSERT_TRUE(storage_->Flush().ok());
  ASSERT_TRUE(storage_->Compact().ok());
  ExpectSame(ReadAll(), all);
  // Deleting a whole series: it leaves the label index too.
  model::Matchers mem = {Matcher::Make(MatchType::kEqual, "__name__", "mem").MoveValue()};
  ASSERT_TRUE(storage_->DeleteSeries({&mem, 1}, {}).ok());
  for (auto it = all.begin(); it != all.end();) {
    it = it->first.metric_name() == "mem" ? all.erase(it) : std::next(it);
  }
  ExpectSame(ReadAll(), all);
  EXPECT_EQ(storage_->LabelValues("__name__"), std::vector<std::string>{"cpu"});
}

TEST_F(StorageTest, SnapshotRestoresTheStateOfItsMoment) {
  std::map<Labels, std::vector<Sample>> all;
  Ingest(this, kStart, kStart + 5 * kHour, &all);
  ASSERT_TRUE(storage_->PersistDueBlocks().ok());
  ASSERT_GE(storage_->cold_stats().files, 1u);
  ASSERT_GT(storage_->head_stats().num_series, 0u);
  auto name = storage_->Snapshot(/*skip_head=*/false);
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  const auto at_snapshot = all;
  // Life goes on: more data, a deletion, compaction.
  Ingest(this, kStart + 5 * kHour, kStart + 6 * kHour, &all);
  model::Matchers cpu = {Matcher::Make(MatchType::kEqual, "__name__", "cpu").MoveValue()};
  ASSERT_TRUE(storage_->DeleteSeries({&cpu, 1}, {}).ok());
  ASSERT_TRUE(storage_->Flush().ok());
  ASSERT_TRUE(storage_->Compact().ok());
  // Restore: a storage opened on (a copy of) the snapshot directory.
  const fs::path restored = dir_.string() + "-restored";
  fs::remove_all(restored);
  fs::copy(dir_ / "snapshots" / *name, restored, fs::copy_options::recursive);
  StorageOptions options;
  options.data_dir = restored.string();
  options.persist_check_interval = std::chrono::milliseconds(0);
  options.clock = &clock_;
  auto copy = Storage::Open(options);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  std::swap(storage_, *copy);
  ExpectSame(ReadAll(), at_snapshot);
  std::swap(storage_, *copy);
  copy->reset();
  fs::remove_all(restored);
  // A snapshot without the head holds the cold tier only.
  auto cold_only = storage_->Snapshot(/*skip_head=*/true);
  ASSERT_TRUE(cold_only.ok());
  EXPECT_FALSE(fs::exists(dir_ / "snapshots" / *cold_only / "wal"));
  EXPECT_TRUE(fs::exists(dir_ / "snapshots" / *cold_only / "parquet" / "_delta_log"));
}

TEST_F(StorageTest, ReadingStopsOnceTheSampleBudgetIsSpent) {
  std::map<Labels, std::vector<Sample>> all;
  Ingest(this, kStart, kStart + 5 * kHour, &all);
  ASSERT_TRUE(storage_->PersistDueBlocks().ok());  // both tiers
  model::Matchers ms = {Matcher::Make(MatchType::kRegexMatch, "__name__", ".+").MoveValue()};
  SeriesSelection series = storage_->Select(ms, {});
  size_t total = 0;
  for (const auto& [labels, v] : all) total += v.size();
  std::vector<std::vector<Sample>> samples;
  EXPECT_TRUE(storage_->ReadSamples(series, 0, series.size(), {}, &samples, int64_t(total)).ok());
  Status st = storage_->ReadSamples(series, 0, series.size(), {}, &samples, int64_t(total) - 1);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
  // Stopped early: far fewer than everything was read.
  st = storage_->ReadSamples(series, 0, series.size(), {}, &samples, 100);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  size_t read = 0;
  for (const auto& v : samples) read += v.size();
  EXPECT_LT(read, total / 2);
}

}  // namespace
}  // namespace mytsdb::storage
