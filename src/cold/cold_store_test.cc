#include "cold/cold_store.h"

#include <arrow/memory_pool.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <atomic>
#include <set>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <sstream>

#include "cold/file_stats.h"
#include "cold/manifest.h"
#include "io/fault_injection_fs.h"

namespace mytsdb::cold {
namespace {

namespace fs = std::filesystem;
using model::Labels;
using model::Matcher;
using model::MatchType;
using model::Sample;

constexpr int64_t kDay = 86'400'000;

std::vector<Sample> Every(int64_t from, int64_t to, int64_t step) {
  std::vector<Sample> out;
  for (int64_t t = from; t < to; t += step) out.push_back({t, double(t) / 7});
  return out;
}

class ColdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cold_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    orphans_ = dir_.string() + "-orphans";
    fs::remove_all(dir_);
    fs::remove_all(orphans_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
    fs::remove_all(orphans_);
  }
  ColdStoreOptions Options(int64_t row_group_rows = 256 * 1024) {
    ColdStoreOptions options;
    options.dir = dir_.string();
    options.orphan_dir = orphans_.string();
    options.write.row_group_rows = row_group_rows;
    options.fs = fs_;
    options.sample_cache_bytes = sample_cache_bytes_;
    return options;
  }
  void Reopen(int64_t row_group_rows = 256 * 1024) {
    store_.reset();
    auto store = ColdStore::Open(Options(row_group_rows));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  // A store on the table as one of its writers, as a server on a shared
  // bucket opens it (the fixture's own store closed).
  std::unique_ptr<ColdStore> OpenShared(const std::string& writer) {
    store_.reset();
    ColdStoreOptions options = Options();
    options.shared = true;
    options.writer = writer;
    return ColdStore::Open(options).value();
  }
  // Persists a minute of `labels` from `from` (four samples) into `store`.
  static Status PersistMinute(ColdStore* store, const Labels& labels, int64_t from, int64_t watermark) {
    PersistRequest req;
    req.series.Append(labels);
    const std::vector<Sample> samples = Every(from, from + 60'000, 15'000);
    req.read = [&](size_t, model::TimeRange r, std::vector<Sample>* out) {
      for (const Sample& s : samples) {
        if (r.Contains(s.timestamp_ms)) out->push_back(s);
      }
    };
    req.range = {from, from + 60'000};
    req.new_watermark = watermark;
    return store->Persist(req);
  }
  // Persists `data` (labels → samples) within `range`.
  Status Persist(const std::map<Labels, std::vector<Sample>>& data, model::TimeRange range,
                 std::optional<int64_t> watermark = std::nullopt) {
    PersistRequest req;
    std::vector<const std::vector<Sample>*> samples;
    for (const auto& [labels, s] : data) {
      req.series.Append(labels);
      samples.push_back(&s);
    }
    req.read = [&](size_t i, model::TimeRange r, std::vector<Sample>* out) {
      for (const Sample& s : *samples[i]) {
        if (r.Contains(s.timestamp_ms)) out->push_back(s);
      }
    };
    req.range = range;
    req.new_watermark = watermark;
    return store_->Persist(req);
  }
  std::map<Labels, std::vector<Sample>> ReadAll(const model::Matchers& ms,
                                                model::TimeRange range = {}, bool cached = false) {
    std::vector<ColdSeriesId> ids = store_->Select(ms, range);
    std::vector<std::vector<Sample>> samples;
    Status st = store_->ReadSamples(ids, range, &samples, INT64_MAX, cached);
    EXPECT_TRUE(st.ok()) << st.ToString();
    std::map<Labels, std::vector<Sample>> out;
    for (size_t i = 0; i < ids.size(); ++i) out[store_->SeriesLabels(ids[i])] = samples[i];
    return out;
  }
  static model::Matchers Name(const std::string& n) {
    return {Matcher::Make(MatchType::kEqual, "__name__", n).MoveValue()};
  }

  fs::path dir_;
  fs::path orphans_;
  io::FileSystem* fs_ = io::PosixFileSystem();
  uint64_t sample_cache_bytes_ = 0;
  std::unique_ptr<ColdStore> store_;
};

void ExpectBitEqual(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].timestamp_ms, want[i].timestamp_ms) << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(got[i].value), std::bit_cast<uint64_t>(want[i].value)) << i;
  }
}

TEST_F(ColdStoreTest, WritersOfASharedTableSeeEachOthersFiles) {
  // Two stores on one table, as two servers on one bucket: each persists its
  // own series; each reads the other's after a commit or a refresh, keeps its
  // own watermark, and a removal by one leaves the other's snapshot.
  auto a = OpenShared("a");
  auto b = OpenShared("b");
  Labels la{{"__name__", "up"}, {"writer", "a"}};
  Labels lb{{"__name__", "up"}, {"writer", "b"}};
  auto persist = [&](ColdStore* store, const Labels& labels, int64_t from, int64_t watermark) {
    return PersistMinute(store, labels, from, watermark);
  };
  auto count = [&](ColdStore* store) {
    std::vector<ColdSeriesId> ids = store->Select(Name("up"), {});
    std::vector<std::vector<Sample>> samples;
    EXPECT_TRUE(store->ReadSamples(ids, {}, &samples, INT64_MAX, false).ok());
    size_t n = 0;
    for (const auto& s : samples) n += s.size();
    return std::make_pair(ids.size(), n);
  };
  ASSERT_TRUE(persist(a.get(), la, 1'000'000, 2'000'000).ok());
  // b loses version 0 to a, catches up and commits version 1: it sees both.
  ASSERT_TRUE(persist(b.get(), lb, 1'000'000, 3'000'000).ok());
  EXPECT_EQ(count(b.get()), std::make_pair(size_t{2}, size_t{8}));
  EXPECT_EQ(count(a.get()), std::make_pair(size_t{1}, size_t{4}));
  ASSERT_TRUE(a->Refresh().ok());
  EXPECT_EQ(count(a.get()), std::make_pair(size_t{2}, size_t{8}));
  EXPECT_EQ(a->watermark(), 2'000'000);
  EXPECT_EQ(b->watermark(), 3'000'000);
  EXPECT_EQ(a->stats().version, 1);
  // Retention by b removes everything; a's refresh drops the files and the
  // series.
  ASSERT_TRUE(b->ApplyRetention(10 * kDay, 0).ok());
  ASSERT_TRUE(a->Refresh().ok());
  EXPECT_EQ(count(a.get()), std::make_pair(size_t{0}, size_t{0}));
  EXPECT_EQ(a->stats().files, 0u);
  // Nothing new: a refresh changes nothing.
  const int64_t version = a->stats().version;
  ASSERT_TRUE(a->Refresh().ok());
  EXPECT_EQ(a->stats().version, version);
}

TEST_F(ColdStoreTest, TheCompactorOfASharedTableWaitsForEveryWriterAndHoldsALease) {
  // Merging a window is worth it once every writer has persisted past it;
  // and one writer at a time compacts: the one holding the lease in the log.
  auto a = OpenShared("a");
  auto b = OpenShared("b");
  constexpr int64_t kHour = 3'600'000;
  const int64_t day = 10 * kDay;
  auto persist = [&](ColdStore* store, const std::string& writer, int64_t hour, int64_t watermark) {
    return PersistMinute(store, Labels{{"__name__", "up"}, {"writer", writer}}, day + hour * kHour,
                         watermark);
  };
  for (int64_t hour : {0, 1, 2}) ASSERT_TRUE(persist(a.get(), "a", hour, day + 10 * kHour).ok());
  ASSERT_TRUE(persist(b.get(), "b", 0, day + kHour).ok());
  ASSERT_TRUE(a->Refresh().ok());
  const CompactionOptions hourly{.block_ms = kHour, .max_window_ms = kDay};
  // b has persisted only its first hour: the window [0, 3h) is not complete.
  auto plan = a->PrepareCompaction(hourly);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_FALSE(plan->has_value());
  ASSERT_TRUE(persist(b.get(), "b", 1, day + 10 * kHour).ok());
  ASSERT_TRUE(a->Refresh().ok());
  ASSERT_TRUE(a->Compact(hourly).ok());
  EXPECT_EQ(a->stats().files, 1u);
  EXPECT_EQ(a->stats().rows, 5u * 4u);  // five files of four samples

  // The lease: a claims it; b stands by until it ends, then claims it.
  EXPECT_TRUE(a->HoldCompactorLease(1'000, 100).value());
  ASSERT_TRUE(b->Refresh().ok());
  EXPECT_FALSE(b->HoldCompactorLease(1'050, 100).value());
  EXPECT_TRUE(b->HoldCompactorLease(1'101, 100).value());
  ASSERT_TRUE(a->Refresh().ok());
  EXPECT_FALSE(a->HoldCompactorLease(1'150, 100).value());
  // The holder renews once half of it is gone, not before.
  const int64_t version = b->stats().version;
  EXPECT_TRUE(b->HoldCompactorLease(1'120, 100).value());
  EXPECT_EQ(b->stats().version, version);
  EXPECT_TRUE(b->HoldCompactorLease(1'160, 100).value());
  EXPECT_EQ(b->stats().version, version + 1);
  // Without a writer name there is no lease to hold.
  EXPECT_EQ(OpenShared("")->HoldCompactorLease(1'000, 100).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ColdStoreTest, PersistSplitsByDayAndReadsBackAfterReopen) {
  Labels a{{"__name__", "cpu"}, {"instance", "a"}, {"value", "label named value"}};
  Labels b{{"__name__", "cpu"}, {"instance", "b"}};
  Labels c{{"__name__", "mem"}, {"zone", "z"}};
  std::vector<Sample> sa = Every(kDay - 3'600'000, kDay + 3'600'000, 15'000);
  sa.push_back({kDay + 3'600'000, model::StaleNaN()});
  std::vector<Sample> sb = Every(kDay + 60'000, kDay + 120'000, 1'000);
  std::vector<Sample> sc = {{kDay - 1, -0.0}, {kDay, std::numeric_limits<double>::infinity()}};
  std::map<Labels, std::vector<Sample>> data = {{a, sa}, {b, sb}, {c, sc}};
  ASSERT_TRUE(Persist(data, {0, 2 * kDay - 1}, 2 * kDay).ok());

  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "after persist" : "after reopen");
    ColdStats st = store_->stats();
    EXPECT_EQ(st.files, 2u);  // 1970-01-01 and 1970-01-02
    EXPECT_EQ(st.rows, sa.size() + sb.size() + sc.size());
    EXPECT_EQ(st.watermark, 2 * kDay);
    EXPECT_EQ(store_->watermark(), 2 * kDay);
    auto cpu = ReadAll(Name("cpu"));
    ASSERT_EQ(cpu.size(), 2u);
    ExpectBitEqual(cpu[a], sa);
    ExpectBitEqual(cpu[b], sb);
    auto mem = ReadAll(Name("mem"));
    ExpectBitEqual(mem[c], sc);
    EXPECT_EQ(store_->LabelNames(),
              (std::vector<std::string>{"__name__", "instance", "value", "zone"}));
    EXPECT_EQ(store_->LabelValues("instance"), (std::vector<std::string>{"a", "b"}));
    // Time ranges select files and rows.
    auto day2 = ReadAll(Name("cpu"), {kDay + 60'000, kDay + 61'000});
    ExpectBitEqual(day2[b], {sb[0], sb[1]});
    ExpectBitEqual(day2[a], {{kDay + 60'000, double(kDay + 60'000) / 7}});
    // The file overlaps, the series has no sample in the range.
    EXPECT_TRUE(ReadAll(Name("mem"), {kDay + 1, 2 * kDay})[c].empty());
    Reopen();
  }
  for (const auto& day : {"day=1970-01-01", "day=1970-01-02"}) {
    EXPECT_TRUE(fs::is_directory(dir_ / day)) << day;
  }
}

// A trend rule's window, moved forward cycle after cycle: cached reads
// answer what uncached ones answer, over files that overlap (last write
// wins), across a day boundary and across a compaction that replaces the
// files, and most of them come from memory.
TEST_F(ColdStoreTest, CachedReadsOfAMovingWindowEqualUncachedOnes) {
  sample_cache_bytes_ = 64 << 20;
  Reopen(/*row_group_rows=*/100);
  Labels a{{"__name__", "m"}, {"i", "a"}};
  Labels b{{"__name__", "m"}, {"i", "b"}};
  ASSERT_TRUE(Persist({{a, Every(0, 2 * kDay, 60'000)}, {b, Every(kDay / 2, 2 * kDay, 30'000)}},
                      {0, 2 * kDay - 1}).ok());
  ASSERT_TRUE(Persist({{a, {{kDay - 120'000, -1}, {kDay + 7 * 60'000, -2}}}}, {0, 2 * kDay - 1},
                      /*watermark=*/2 * kDay).ok());
  constexpr int64_t kWindow = 3'600'000, kStep = 5 * 60'000;
  auto check_window = [&](int64_t end) {
    const model::TimeRange range{end - kWindow, end};
    auto cached = ReadAll(Name("m"), range, /*cached=*/true);
    auto direct = ReadAll(Name("m"), range);
    ASSERT_EQ(cached.size(), direct.size()) << end;
    for (const auto& [labels, samples] : direct) ExpectBitEqual(cached[labels], samples);
    EXPECT_FALSE(cached[a].empty()) << end;
  };
  for (int64_t end = kDay - 2 * kWindow; end < kDay + 2 * kWindow; end += kStep) check_window(end);
  SampleCacheStats st = store_->stats().sample_cache;
  // Each window reads 2 series from up to 4 files (two per day); an entry
  // covers an hour ahead, so about one read in twelve per file decodes it.
  EXPECT_GT(st.hits, 4 * st.misses) << st.hits << " hits, " << st.misses << " misses";
  EXPECT_GT(st.entries, 0u);
  EXPECT_GT(st.bytes, 0u);

  // Compaction writes new files: their reads miss first, then hit again.
  ASSERT_TRUE(store_->Compact().ok());
  const uint64_t misses = store_->stats().sample_cache.misses;
  for (int64_t end = kDay + kWindow; end < kDay + 3 * kWindow; end += kStep) check_window(end);
  EXPECT_GT(store_->stats().sample_cache.misses, misses);

  // A budget smaller than one entry keeps nothing, and reads stay right.
  sample_cache_bytes_ = 100;
  Reopen(100);
  for (int64_t end = kDay; end < kDay + kWindow; end += kStep) check_window(end);
  EXPECT_EQ(store_->stats().sample_cache.hits, 0u);
  EXPECT_EQ(store_->stats().sample_cache.entries, 0u);
}

// Reads that do not ask for the cache neither use nor fill it.
TEST_F(ColdStoreTest, UncachedReadsLeaveTheSampleCacheAlone) {
  sample_cache_bytes_ = 64 << 20;
  Reopen();
  Labels a{{"__name__", "m"}, {"i", "a"}};
  ASSERT_TRUE(Persist({{a, Every(0, kDay, 60'000)}}, {0, kDay - 1}).ok());
  ReadAll(Name("m"), {0, 3'600'000});
  SampleCacheStats st = store_->stats().sample_cache;
  EXPECT_EQ(st.hits + st.misses + st.entries, 0u);
  ReadAll(Name("m"), {0, 3'600'000}, /*cached=*/true);
  ReadAll(Name("m"), {60'000, 3'660'000}, /*cached=*/true);
  st = store_->stats().sample_cache;
  EXPECT_EQ(st.misses, 1u);
  EXPECT_EQ(st.hits, 1u);
}

TEST_F(ColdStoreTest, SeriesAcrossManyRowGroups) {
  Reopen(/*row_group_rows=*/10);
  std::map<Labels, std::vector<Sample>> data;
  for (int i = 0; i < 7; ++i) {
    data[Labels{{"__name__", "m"}, {"i", std::to_string(i)}}] = Every(0, 25'000 + i * 3'000, 1'000);
  }
  ASSERT_TRUE(Persist(data, {0, kDay - 1}).ok());
  for (int pass = 0; pass < 2; ++pass) {
    auto got = ReadAll(Name("m"));
    ASSERT_EQ(got.size(), data.size());
    for (const auto& [labels, samples] : data) ExpectBitEqual(got[labels], samples);
    auto window = ReadAll(Name("m"), {9'000, 11'000});
    for (const auto& [labels, samples] : data) {
      ExpectBitEqual(window[labels], {samples[9], samples[10], samples[11]});
    }
    Reopen(10);
  }
}

// Row groups whose `value` column is all null (every value a decimal), has
// no null (no value a decimal) or mixes both: reads skip the value columns
// the statistics show unneeded, and every sample comes back bit for bit.
TEST_F(ColdStoreTest, RowGroupsOfOnlyDecimalsOnlyFloatsAndBothReadBackBitForBit) {
  Reopen(/*row_group_rows=*/20);
  std::map<Labels, std::vector<Sample>> data;
  auto series = [&](const std::string& name, auto value_of) {
    std::vector<Sample>& s = data[Labels{{"__name__", name}}];
    for (int64_t k = 0; k < 60; ++k) s.push_back({k * 1'000, value_of(k)});
  };
  series("a_decimals", [](int64_t k) { return static_cast<double>(k * 25) / 100; });
  series("b_floats", [](int64_t k) { return 1.0 / static_cast<double>(k + 3); });
  series("c_mixed", [](int64_t k) {
    return k % 3 == 0 ? 1.0 / static_cast<double>(k + 7) : static_cast<double>(k);
  });
  ASSERT_TRUE(Persist(data, {0, kDay - 1}).ok());
  for (const auto& [labels, samples] : data) {
    auto got = ReadAll(Name(std::string(labels.metric_name())));
    ExpectBitEqual(got[labels], samples);
    // A window inside one row group, and one across two.
    auto window = ReadAll(Name(std::string(labels.metric_name())), {5'000, 30'000});
    ExpectBitEqual(window[labels],
                   std::vector<Sample>(samples.begin() + 5, samples.begin() + 31));
  }
}

TEST_F(ColdStoreTest, LaterCommitWinsOnTheSameTimestamp) {
  Labels s{{"__name__", "m"}};
  ASSERT_TRUE(Persist({{s, {{1000, 1}, {2000, 2}, {3000, 3}}}}, {0, kDay - 1}).ok());
  ASSERT_TRUE(Persist({{s, {{2000, 20}, {2500, 25}}}}, {0, kDay - 1}).ok());
  for (int pass = 0; pass < 2; ++pass) {
    ExpectBitEqual(ReadAll(Name("m"))[s], {{1000, 1}, {2000, 20}, {2500, 25}, {3000, 3}});
    Reopen();
  }
}

TEST_F(ColdStoreTest, WatermarkOnlyCommitAndEmptyPersist) {
  ASSERT_TRUE(Persist({}, {0, kDay - 1}, 5000).ok());
  EXPECT_EQ(store_->watermark(), 5000);
  EXPECT_EQ(store_->stats().files, 0u);
  Reopen();
  EXPECT_EQ(store_->watermark(), 5000);
  EXPECT_TRUE(ReadAll(Name("m")).empty());
}

TEST_F(ColdStoreTest, LeftoversAreDeletedOnlyWhenTheLogExplainsThemOtherwiseSetAside) {
  Labels s{{"__name__", "m"}};
  ASSERT_TRUE(Persist({{s, {{1000, 1}}}}, {0, kDay - 1}).ok());
  fs::path day = dir_ / "day=1970-01-01";
  const fs::path committed = fs::directory_iterator(day)->path();
  // A file a commit removed (compaction), whose deletion the process did
  // not live to do.
  ASSERT_TRUE(Persist({{s, {{2000, 2}}}}, {0, kDay - 1}, /*watermark=*/kDay).ok());
  std::set<fs::path> before_compaction;
  for (const auto& f : fs::directory_iterator(day)) before_compaction.insert(f.path());
  ASSERT_TRUE(store_->Compact().ok());
  ASSERT_EQ(store_->stats().files, 1u);
  std::ofstream(day / "part-x.parquet.tmp") << "half a file";
  fs::copy_file(committed, day / "uncommitted.parquet");
  std::ofstream(day / "notes.txt") << "someone else's";
  Reopen();
  EXPECT_FALSE(fs::exists(day / "part-x.parquet.tmp"));  // an unfinished write
  for (const auto& p : before_compaction) EXPECT_FALSE(fs::exists(p)) << p;  // removed by a commit
  // Not in the log: moved aside, not deleted.
  EXPECT_FALSE(fs::exists(day / "uncommitted.parquet"));
  EXPECT_TRUE(fs::exists(orphans_ / "day=1970-01-01" / "uncommitted.parquet"));
  EXPECT_TRUE(fs::exists(day / "notes.txt"));  // not ours
  ExpectBitEqual(ReadAll(Name("m"))[s], {{1000, 1}, {2000, 2}});
}

TEST_F(ColdStoreTest, MissingCommittedFileIsAnError) {
  Labels s{{"__name__", "m"}};
  ASSERT_TRUE(Persist({{s, {{1000, 1}}}}, {0, kDay - 1}).ok());
  for (const auto& f : fs::directory_iterator(dir_ / "day=1970-01-01")) fs::remove(f.path());
  store_.reset();
  auto store = ColdStore::Open(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
  EXPECT_NE(store.status().message().find("unreadable"), std::string::npos)
      << store.status().ToString();
}

size_t ParquetFilesOnDisk(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.path().extension() == ".parquet";
  return n;
}

TEST_F(ColdStoreTest, CompactionMergesADayInOneCommitAndKeepsLastWrites) {
  Reopen(/*row_group_rows=*/50);
  Labels a{{"__name__", "m"}, {"i", "a"}};
  Labels b{{"__name__", "m"}, {"i", "b"}, {"zone", "z"}};
  std::map<Labels, std::vector<Sample>> want;
  // Three blocks of the same day, the last one overwriting timestamps.
  ASSERT_TRUE(Persist({{a, Every(0, 100'000, 1'000)}}, {0, kDay - 1}).ok());
  ASSERT_TRUE(Persist({{a, Every(100'000, 200'000, 1'000)}, {b, Every(0, 50'000, 500)}},
                      {0, kDay - 1}).ok());
  std::vector<Sample> over = {{5'000, -1}, {150'000, -2}};
  ASSERT_TRUE(Persist({{a, over}}, {0, kDay - 1}, /*watermark=*/kDay).ok());
  want[a] = Every(0, 200'000, 1'000);
  want[a][5].value = -1;
  want[a][150].value = -2;
  want[b] = Every(0, 50'000, 500);
  // Another day, open (after the watermark) with one file: left alone.
  ASSERT_TRUE(Persist({{a, {{kDay + 1, 7}}}}, {kDay, 2 * kDay - 1}).ok());
  want[a].push_back({kDay + 1, 7});

  ASSERT_TRUE(store_->Compact().ok());
  ColdStats st = store_->stats();
  EXPECT_EQ(st.files, 2u);
  EXPECT_EQ(st.rows, want[a].size() + want[b].size());
  EXPECT_EQ(st.version, 4);  // one OPTIMIZE commit
  auto got = ReadAll(Name("m"));
  ExpectBitEqual(got[a], want[a]);
  ExpectBitEqual(got[b], want[b]);
  // The replaced files stay until their grace period is over.
  EXPECT_EQ(ParquetFilesOnDisk(dir_), 5u);
  EXPECT_EQ(store_->DeleteRemovedFiles(std::chrono::hours(1)), 0u);
  EXPECT_EQ(store_->DeleteRemovedFiles(std::chrono::milliseconds(0)), 3u);
  EXPECT_EQ(ParquetFilesOnDisk(dir_), 2u);
  // Nothing left to do.
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_EQ(store_->stats().version, 4);
  Reopen(50);
  got = ReadAll(Name("m"));
  ExpectBitEqual(got[a], want[a]);
  ExpectBitEqual(got[b], want[b]);
}

// The paths the live-file manifest lists.
std::set<std::string> ManifestPaths(const fs::path& dir) {
  std::ifstream f(dir / std::string(kManifestName));
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::set<std::string> out;
  for (size_t at = text.find("\"path\":\""); at != std::string::npos;
       at = text.find("\"path\":\"", at + 1)) {
    const size_t start = at + 8;
    out.insert(text.substr(start, text.find('"', start) - start));
  }
  return out;
}

std::set<std::string> ParquetFilePaths(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".parquet") out.insert(fs::relative(e.path(), dir).string());
  }
  return out;
}

TEST_F(ColdStoreTest, TheManifestListsTheLiveFilesAfterEveryCommit) {
  Labels a{{"__name__", "m"}};
  ASSERT_TRUE(Persist({{a, Every(0, 100'000, 1'000)}}, {0, kDay - 1}).ok());
  EXPECT_EQ(ManifestPaths(dir_), ParquetFilePaths(dir_));
  ASSERT_TRUE(Persist({{a, Every(100'000, 200'000, 1'000)}}, {0, kDay - 1}, /*watermark=*/kDay).ok());
  EXPECT_EQ(ManifestPaths(dir_).size(), 2u);
  EXPECT_EQ(ManifestPaths(dir_), ParquetFilePaths(dir_));
  // After a compaction the replaced files are still on disk (for running
  // reads), and no longer in the manifest.
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_EQ(ParquetFilePaths(dir_).size(), 3u);
  const std::set<std::string> live = ManifestPaths(dir_);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_TRUE(ParquetFilePaths(dir_).count(*live.begin()));
  std::ifstream f(dir_ / std::string(kManifestName));
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("{\"version\":2,\"watermark_ms\":" + std::to_string(kDay)), std::string::npos) << text;
  EXPECT_NE(text.find("\"rows\":200"), std::string::npos) << text;
}

TEST_F(ColdStoreTest, AManifestThatCannotBeWrittenFailsNoCommit) {
  io::FaultInjectionFileSystem faulty(io::PosixFileSystem());
  fs_ = &faulty;
  Reopen();
  Labels a{{"__name__", "m"}};
  ASSERT_TRUE(Persist({{a, {{1000, 1}}}}, {0, kDay - 1}).ok());
  // The manifest's rename is the last one of a persist.
  faulty.FailNth(io::FaultInjectionFileSystem::Op::kRename, 2, EIO);
  ASSERT_TRUE(Persist({{a, {{2000, 2}}}}, {0, kDay - 1}).ok());
  EXPECT_EQ(store_->stats().manifest_failures, 1u);
  EXPECT_EQ(ManifestPaths(dir_).size(), 1u);  // the previous one stays
  ASSERT_TRUE(Persist({{a, {{3000, 3}}}}, {0, kDay - 1}).ok());
  EXPECT_EQ(ManifestPaths(dir_), ParquetFilePaths(dir_));
  ExpectBitEqual(ReadAll(Name("m"))[a], {{1000, 1}, {2000, 2}, {3000, 3}});
}

TEST_F(ColdStoreTest, CompactionMergesCompleteWindowsThatRetentionCanStillDrop) {
  constexpr int64_t kMin = 60'000;
  const CompactionOptions options{.block_ms = 10 * kMin, .max_window_ms = 30 * kMin};
  Labels a{{"__name__", "m"}};
  // Seven 10-minute blocks persisted one by one, as the head does.
  for (int64_t b = 0; b < 7; ++b) {
    const int64_t start = kDay + b * 10 * kMin;
    ASSERT_TRUE(Persist({{a, Every(start, start + 10 * kMin, 60'000)}}, {start, start + 10 * kMin - 1},
                        /*watermark=*/start + 10 * kMin)
                    .ok());
  }
  ASSERT_TRUE(store_->Compact(options).ok());
  // [0, 30m) and [30m, 60m) merged; the 7th block's window is still open.
  EXPECT_EQ(store_->stats().files, 3u);
  ExpectBitEqual(ReadAll(Name("m"))[a], Every(kDay, kDay + 70 * kMin, 60'000));
  // Nothing larger than the 30-minute cap, so retention drops one window
  // of samples at a time.
  ASSERT_TRUE(store_->Compact(options).ok());
  EXPECT_EQ(store_->stats().files, 3u);
  ASSERT_TRUE(store_->ApplyRetention(kDay + 30 * kMin, 0).ok());
  EXPECT_EQ(store_->stats().files, 2u);
  ExpectBitEqual(ReadAll(Name("m"))[a], Every(kDay + 30 * kMin, kDay + 70 * kMin, 60'000));
}

// Compaction writes its file beside other commits and commits only if
// none of them touched its window (optimistic concurrency, as Delta's).
TEST_F(ColdStoreTest, APreparedCompactionCommitsOnlyIfItsWindowIsUnchanged) {
  Labels a{{"__name__", "m"}};
  auto three_blocks = [&] {
    for (int64_t b = 0; b < 3; ++b) {
      ASSERT_TRUE(Persist({{a, Every(b * 1000, b * 1000 + 1000, 100)}}, {0, kDay - 1}).ok());
    }
    ASSERT_TRUE(Persist({}, {0, kDay - 1}, /*watermark=*/kDay).ok());
  };
  three_blocks();
  // 1. A commit elsewhere (the next day's block) does not conflict.
  auto prepared = store_->PrepareCompaction({});
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  ASSERT_TRUE(prepared->has_value());
  ASSERT_TRUE(Persist({{a, {{kDay + 5, 1}}}}, {kDay, 2 * kDay - 1}).ok());
  auto committed = store_->CommitCompaction(std::move(**prepared));
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_TRUE(*committed);
  EXPECT_EQ(store_->stats().files, 2u);
  std::vector<Sample> want = Every(0, 3000, 100);
  want.push_back({kDay + 5, 1});
  ExpectBitEqual(ReadAll(Name("m"))[a], want);

  // 2. A backfill into the window since the plan: its rows must keep
  // winning over the older ones, so the merge is dropped.
  Reopen();  // deletes the merged files' sources
  ASSERT_TRUE(store_->ApplyRetention(2 * kDay, 0).ok());
  EXPECT_EQ(store_->DeleteRemovedFiles(std::chrono::milliseconds(0)), 2u);
  EXPECT_EQ(ParquetFilesOnDisk(dir_), 0u);
  three_blocks();
  prepared = store_->PrepareCompaction({});
  ASSERT_TRUE(prepared.ok() && prepared->has_value());
  const std::string merged = (*prepared)->commit.adds.at(0).path;
  ASSERT_TRUE(fs::exists(dir_ / merged));
  ASSERT_TRUE(Persist({{a, {{500, -1}}}}, {0, kDay - 1}).ok());
  committed = store_->CommitCompaction(std::move(**prepared));
  ASSERT_TRUE(committed.ok());
  EXPECT_FALSE(*committed);
  EXPECT_FALSE(fs::exists(dir_ / merged));  // the uncommitted file is gone
  want = Every(0, 3000, 100);
  want[5].value = -1;
  ExpectBitEqual(ReadAll(Name("m"))[a], want);
  // Planned again, the merge includes the backfill.
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_EQ(store_->stats().files, 1u);
  ExpectBitEqual(ReadAll(Name("m"))[a], want);

  // 3. Retention removed a file the merge replaces: dropped, nothing revived.
  ASSERT_TRUE(store_->ApplyRetention(2 * kDay, 0).ok());
  three_blocks();
  prepared = store_->PrepareCompaction({});
  ASSERT_TRUE(prepared.ok() && prepared->has_value());
  ASSERT_TRUE(store_->ApplyRetention(2 * kDay, 0).ok());
  committed = store_->CommitCompaction(std::move(**prepared));
  ASSERT_TRUE(committed.ok());
  EXPECT_FALSE(*committed);
  EXPECT_TRUE(ReadAll(Name("m")).empty());
  EXPECT_EQ(store_->stats().files, 0u);
}

TEST_F(ColdStoreTest, ACancelledCompactionLeavesNoFileBehind) {
  Reopen(/*row_group_rows=*/10);
  Labels a{{"__name__", "m"}};
  for (int64_t b = 0; b < 3; ++b) {
    ASSERT_TRUE(Persist({{a, Every(b * 1000, b * 1000 + 1000, 100)}}, {0, kDay - 1}).ok());
  }
  ASSERT_TRUE(Persist({}, {0, kDay - 1}, /*watermark=*/kDay).ok());
  const size_t files_before = ParquetFilesOnDisk(dir_);
  std::atomic<bool> cancel{true};
  CompactionControl control;
  control.cancel = &cancel;
  auto prepared = store_->PrepareCompaction({}, control);
  ASSERT_FALSE(prepared.ok());
  EXPECT_EQ(prepared.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(ParquetFilesOnDisk(dir_), files_before);
  size_t tmp = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_)) tmp += e.path().extension() == ".tmp";
  EXPECT_EQ(tmp, 0u);
  EXPECT_EQ(store_->stats().files, 3u);
}

TEST_F(ColdStoreTest, ACompactionCallsItsControlBeforeEveryBatchAndStopsWhenCancelledThere) {
  Reopen(/*row_group_rows=*/10);
  std::vector<Labels> series;
  for (int i = 0; i < 40; ++i) series.push_back(Labels{{"__name__", "m"}, {"i", std::to_string(i)}});
  for (int64_t b = 0; b < 3; ++b) {
    std::map<Labels, std::vector<Sample>> block;
    for (const Labels& l : series) block[l] = Every(b * 1000, b * 1000 + 1000, 100);
    ASSERT_TRUE(Persist(block, {0, kDay - 1}).ok());
  }
  ASSERT_TRUE(Persist({}, {0, kDay - 1}, /*watermark=*/kDay).ok());
  const size_t files_before = ParquetFilesOnDisk(dir_);

  // A pause (here: the caller's hook) sees no new file committed, and
  // cancelling in it stops the merge before its next batch is read.
  std::atomic<bool> cancel{false};
  int batches = 0;
  CompactionControl control;
  control.cancel = &cancel;
  control.between_batches = [&] {
    EXPECT_EQ(store_->stats().files, 3u);
    if (++batches == 3) cancel = true;
  };
  auto cancelled = store_->PrepareCompaction({}, control);
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(batches, 3);
  EXPECT_EQ(ParquetFilesOnDisk(dir_), files_before);

  // Uncancelled, the hook runs before every batch: 40 series of 30 rows in
  // row groups of 10 rows are many batches, and the merge is complete.
  batches = 0;
  control.cancel = nullptr;
  control.between_batches = [&] { ++batches; };
  auto prepared = store_->PrepareCompaction({}, control);
  ASSERT_TRUE(prepared.ok() && prepared->has_value()) << prepared.status().ToString();
  EXPECT_GE(batches, 20);
  ASSERT_TRUE(store_->CommitCompaction(std::move(**prepared)).ok());
  EXPECT_EQ(store_->stats().files, 1u);
  auto all = ReadAll(Name("m"));
  ASSERT_EQ(all.size(), series.size());
  for (const auto& [labels, samples] : all) ExpectBitEqual(samples, Every(0, 3000, 100));
}

TEST_F(ColdStoreTest, CompactionMergesFilesOfDifferentSeriesInFileOrder) {
  // Files whose series overlap only in part, interned in an order unlike
  // the files' (ids do not follow labels): the merged file must still be
  // in file order (the writer refuses anything else) and hold every sample.
  Reopen(/*row_group_rows=*/16);
  auto s = [](std::string metric, int i) {
    return Labels{{"__name__", metric}, {"i", std::to_string(100 + i)}};
  };
  std::map<Labels, std::vector<Sample>> want;
  std::vector<std::vector<Labels>> blocks = {
      {s("z", 1), s("b", 5), s("b", 3)},
      {s("b", 1), s("b", 3), s("c", 0), s("z", 0)},
      {s("a", 9), s("b", 4), s("z", 1), s("b", 2)}};
  for (size_t b = 0; b < blocks.size(); ++b) {
    std::map<Labels, std::vector<Sample>> block;
    for (const Labels& l : blocks[b]) {
      block[l] = Every(int64_t(b) * 1000, int64_t(b) * 1000 + 900, 100);
      auto& w = want[l];
      w.insert(w.end(), block[l].begin(), block[l].end());
    }
    ASSERT_TRUE(Persist(block, {0, kDay - 1}, b + 1 == blocks.size() ? std::optional(kDay) : std::nullopt).ok());
  }
  ASSERT_TRUE(store_->Compact().ok());
  EXPECT_EQ(store_->stats().files, 1u);
  std::map<Labels, std::vector<Sample>> got;
  for (const char* metric : {"a", "b", "c", "z"}) got.merge(ReadAll(Name(metric)));
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [labels, samples] : want) ExpectBitEqual(got[labels], samples);
}

TEST_F(ColdStoreTest, ArrowAndParquetAllocateFromTheProcessAllocatorNotArrowsDefaultPool) {
  // The pyarrow wheel's default pool is a mimalloc of its own that kept
  // pages the process's allocator would have returned (arrow_io.h).
  // Counted in bytes: a test of where the memory goes.
  arrow::MemoryPool* arrow_default = arrow::default_memory_pool();
  ASSERT_NE(arrow_default, arrow::system_memory_pool());
  const int64_t before = arrow_default->total_bytes_allocated();
  const int64_t system_before = arrow::system_memory_pool()->total_bytes_allocated();
  std::vector<Labels> series;
  for (int i = 0; i < 30; ++i) series.push_back(Labels{{"__name__", "m"}, {"i", std::to_string(i)}});
  // Persists (a checkpoint after ten commits), compaction, a series
  // deleted, reads, retention, and a reopen that reads the checkpoint.
  for (int64_t b = 0; b < 11; ++b) {
    std::map<Labels, std::vector<Sample>> block;
    for (const Labels& l : series) block[l] = Every(b * 1000, b * 1000 + 900, 100);
    ASSERT_TRUE(Persist(block, {0, kDay - 1}).ok());
  }
  ASSERT_TRUE(Persist({{series[0], Every(kDay, kDay + 900, 100)}}, {kDay, 2 * kDay - 1}, 2 * kDay).ok());
  ASSERT_TRUE(store_->Compact().ok());
  model::Matchers doomed = Name("m");
  doomed.push_back(Matcher::Make(MatchType::kEqual, "i", "3").MoveValue());
  ASSERT_TRUE(store_->DeleteSeries({&doomed, 1}, {0, kDay - 1}).ok());
  EXPECT_EQ(ReadAll(Name("m")).size(), series.size() - 1);
  ASSERT_TRUE(store_->ApplyRetention(kDay, 0).ok());
  Reopen();
  EXPECT_EQ(ReadAll(Name("m")).size(), 1u);
  // 14 files written. Only the Arrow schema each stores in its footer goes
  // through the default pool (Arrow's IPC serialization of it takes no
  // pool): a few hundred bytes per file.
  const int64_t by_default = arrow_default->total_bytes_allocated() - before;
  const int64_t by_system = arrow::system_memory_pool()->total_bytes_allocated() - system_before;
  EXPECT_LE(by_default, 14 * 1024);
  EXPECT_GT(by_system, 100 * by_default) << by_system << " " << by_default;
}

TEST_F(ColdStoreTest, RetentionByAgeAndBySize) {
  Labels a{{"__name__", "m"}};
  for (int day = 0; day < 4; ++day) {
    ASSERT_TRUE(Persist({{a, Every(day * kDay, day * kDay + 3'600'000, 15'000)}},
                        {day * kDay, day * kDay + kDay - 1}).ok());
  }
  Labels gone{{"__name__", "gone"}, {"only", "day0"}};
  ASSERT_TRUE(Persist({{gone, {{1000, 1}}}}, {0, kDay - 1}).ok());
  EXPECT_EQ(store_->LabelValues("__name__"), (std::vector<std::string>{"gone", "m"}));
  ASSERT_TRUE(store_->ApplyRetention(kDay, 0).ok());  // day 0 ends before kDay
  EXPECT_EQ(store_->stats().files, 3u);
  // A series left in no file disappears from names and values.
  EXPECT_EQ(store_->LabelValues("__name__"), (std::vector<std::string>{"m"}));
  EXPECT_TRUE(store_->LabelValues("only").empty());
  EXPECT_TRUE(ReadAll(Name("gone")).empty());
  EXPECT_EQ(ReadAll(Name("m"))[a].front().timestamp_ms, kDay);
  uint64_t one_file = store_->stats().bytes / 3;
  ASSERT_TRUE(store_->ApplyRetention(INT64_MIN, one_file + one_file / 2).ok());
  EXPECT_EQ(store_->stats().files, 1u);
  EXPECT_EQ(ReadAll(Name("m"))[a].front().timestamp_ms, 3 * kDay);
  Reopen();
  EXPECT_EQ(store_->stats().files, 1u);
  // The removed files were not deleted before the restart; Open cleans up.
  EXPECT_EQ(ParquetFilesOnDisk(dir_), 1u);
}

TEST_F(ColdStoreTest, ReadsDuringCompactionAndRetentionSeeOneConsistentTable) {
  Reopen(/*row_group_rows=*/100);
  std::map<Labels, std::vector<Sample>> want;
  for (int day = 0; day < 4; ++day) {
    for (int block = 0; block < 4; ++block) {
      std::map<Labels, std::vector<Sample>> data;
      for (int i = 0; i < 5; ++i) {
        Labels l{{"__name__", "m"}, {"i", std::to_string(i)}};
        int64_t from = day * kDay + block * 3'600'000;
        data[l] = Every(from, from + 3'600'000, 60'000);
        auto& w = want[l];
        w.insert(w.end(), data[l].begin(), data[l].end());
      }
      ASSERT_TRUE(Persist(data, {day * kDay, day * kDay + kDay - 1}, (day + 1) * kDay).ok());
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  std::thread reader([&] {
    while (!stop) {
      auto got = ReadAll(Name("m"), {kDay, INT64_MAX});  // days 1..3: never removed below
      for (const auto& [labels, w] : want) {
        std::vector<Sample> expect;
        for (const Sample& x : w) {
          if (x.timestamp_ms >= kDay) expect.push_back(x);
        }
        const auto& g = got[labels];
        bool ok = g.size() == expect.size();
        for (size_t k = 0; ok && k < g.size(); ++k) ok = g[k].timestamp_ms == expect[k].timestamp_ms;
        if (!ok) ++bad;
      }
      ++reads;
    }
  });
  ASSERT_TRUE(store_->Compact().ok());
  ASSERT_TRUE(store_->ApplyRetention(kDay, 0).ok());
  while (reads.load() < 3) std::this_thread::yield();
  stop = true;
  reader.join();
  // With no reader left, the grace period can be zero.
  // 16 replaced by compaction, and day 0's compacted file by retention.
  EXPECT_EQ(store_->DeleteRemovedFiles(std::chrono::milliseconds(0)), 17u);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(store_->stats().files, 3u);
}

// The `stats` of the add actions in the log, by path.
std::map<std::string, std::string> StatsInLog(const fs::path& dir) {
  auto table = DeltaTable::Open(dir.string()).value();
  std::map<std::string, std::string> out;
  for (const auto& [path, add] : table->files()) out[path] = add.stats_json;
  return out;
}

TEST_F(ColdStoreTest, EveryAddRecordsStatisticsForEveryStatisticsColumn) {
  Labels a{{"__name__", "cpu"}, {"instance", "a"}};
  Labels b{{"__name__", "mem"}, {"zone", "z"}};
  ASSERT_TRUE(Persist({{a, {{1000, 1}, {2000, std::nan("")}}}, {b, {{1500, 3}}}}, {0, kDay - 1}).ok());
  auto stats = StatsInLog(dir_);
  ASSERT_EQ(stats.size(), 1u);
  rapidjson::Document doc;
  doc.Parse(stats.begin()->second.c_str());
  ASSERT_FALSE(doc.HasParseError()) << stats.begin()->second;
  EXPECT_EQ(doc["numRecords"].GetInt64(), 3);
  EXPECT_STREQ(doc["minValues"]["metric"].GetString(), "cpu");
  EXPECT_STREQ(doc["maxValues"]["metric"].GetString(), "mem");
  EXPECT_STREQ(doc["minValues"]["instance"].GetString(), "a");
  EXPECT_EQ(doc["nullCount"]["instance"].GetInt64(), 1);  // mem has no instance
  EXPECT_EQ(doc["nullCount"]["zone"].GetInt64(), 2);
  EXPECT_STREQ(doc["minValues"]["ts"].GetString(), "1970-01-01T00:00:01.000Z");
  EXPECT_STREQ(doc["maxValues"]["ts"].GetString(), "1970-01-01T00:00:02.000Z");
  EXPECT_FALSE(doc["minValues"].HasMember("value"));
  // A later file brings a new label column: the first file gets a null count
  // for it in the same commit, so that no file lacks a statistics column.
  Labels c{{"__name__", "disk"}, {"device", "sda"}};
  ASSERT_TRUE(Persist({{c, {{5000, 5}}}}, {0, kDay - 1}).ok());
  auto table = DeltaTable::Open(dir_.string()).value();
  const std::vector<std::string> columns = table->StatsColumns();
  EXPECT_NE(std::find(columns.begin(), columns.end(), "device"), columns.end());
  for (const auto& [path, add] : table->files()) {
    std::set<std::string> covered = StatsJsonColumns(add.stats_json);
    for (const std::string& col : columns) EXPECT_EQ(covered.count(col), 1u) << path << " " << col;
  }
}

TEST_F(ColdStoreTest, OpenGivesOldFilesFullStatistics) {
  Labels a{{"__name__", "cpu"}, {"instance", "a"}};
  ASSERT_TRUE(Persist({{a, {{1000, 1}}}}, {0, kDay - 1}).ok());
  store_.reset();
  // Make the log look as an older MyTSDB wrote it: stats for ts only, no
  // statistics-columns property.
  const fs::path commit = dir_ / "_delta_log" / CommitFileName(0);
  std::ifstream in(commit);
  std::string text((std::istreambuf_iterator<char>(in)), {}), out, line;
  std::istringstream lines(text);
  while (std::getline(lines, line)) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    if (doc.HasMember("add")) {
      doc["add"]["stats"].SetString(
          R"({"numRecords":1,"minValues":{"ts":"1970-01-01T00:00:01.000Z"},"maxValues":{"ts":"1970-01-01T00:00:01.000Z"},"nullCount":{"ts":0}})");
    }
    if (doc.HasMember("metaData")) doc["metaData"]["configuration"].SetObject();
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    doc.Accept(w);
    out += std::string(buf.GetString()) + "\n";
  }
  std::ofstream(commit, std::ios::trunc) << out;
  Reopen();
  auto table = DeltaTable::Open(dir_.string()).value();
  EXPECT_EQ(table->version(), 1);
  EXPECT_EQ(table->configuration().count(kStatsColumnsProperty), 1u);
  std::set<std::string> covered = StatsJsonColumns(table->files().begin()->second.stats_json);
  EXPECT_EQ(covered, (std::set<std::string>{"metric", "series_id", "ts", "instance"}));
  // The rows keep the version of the commit that wrote them.
  EXPECT_EQ(table->files().begin()->second.version, 0);
  ExpectBitEqual(ReadAll(Name("cpu"))[a], {{1000, 1}});
}

TEST_F(ColdStoreTest, ANewFileThatDoesNotReadBackIsNeverCommitted) {
  io::FaultInjectionFileSystem faulty(io::PosixFileSystem());
  fs_ = &faulty;
  Reopen();
  Labels s{{"__name__", "m"}};
  ASSERT_TRUE(Persist({{s, {{1000, 1}}}}, {0, kDay - 1}).ok());
  faulty.FailNth(io::FaultInjectionFileSystem::Op::kRead, 1, EIO);
  Status st = Persist({{s, {{2000, 2}}}}, {0, kDay - 1});
  EXPECT_EQ(st.code(), StatusCode::kIOError) << st.ToString();
  EXPECT_EQ(store_->stats().version, 0);
  EXPECT_EQ(ParquetFilesOnDisk(dir_), 1u);  // the unreadable new file is gone
  ASSERT_TRUE(Persist({{s, {{3000, 3}}}}, {0, kDay - 1}).ok());
  Reopen();
  ExpectBitEqual(ReadAll(Name("m"))[s], {{1000, 1}, {3000, 3}});
}

TEST_F(ColdStoreTest, ACommitOfUnknownDurabilityKeepsItsFilesAndStopsCommits) {
  io::FaultInjectionFileSystem faulty(io::PosixFileSystem());
  fs_ = &faulty;
  Reopen();
  Labels s{{"__name__", "m"}};
  // The commit file is linked into place, then its directory fsync fails.
  // Calls to fsync a directory during the persist: the day directory (new),
  // the data file's directory after the rename, the log's, then the table
  // directory's for the live-file manifest written after the commit.
  ASSERT_TRUE(Persist({{s, {{500, 0.5}}}}, {0, kDay - 1}).ok());
  const int syncs_before = faulty.calls(io::FaultInjectionFileSystem::Op::kSyncDir);
  ASSERT_TRUE(Persist({{s, {{600, 0.6}}}}, {0, kDay - 1}).ok());
  const int per_persist = faulty.calls(io::FaultInjectionFileSystem::Op::kSyncDir) - syncs_before;
  faulty.FailNth(io::FaultInjectionFileSystem::Op::kSyncDir, per_persist - 1, EIO);
  Status st = Persist({{s, {{1000, 1}}}}, {0, kDay - 1});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("may not be durable"), std::string::npos) << st.ToString();
  EXPECT_FALSE(store_->failure().ok());
  // Visible and kept: the log names the file.
  ExpectBitEqual(ReadAll(Name("m"))[s], {{500, 0.5}, {600, 0.6}, {1000, 1}});
  EXPECT_EQ(ParquetFilesOnDisk(dir_), 3u);
  // No further commits until a restart.
  st = Persist({{s, {{2000, 2}}}}, {0, kDay - 1});
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_EQ(ParquetFilesOnDisk(dir_), 3u);
  fs_ = io::PosixFileSystem();
  Reopen();
  EXPECT_TRUE(store_->failure().ok());
  ExpectBitEqual(ReadAll(Name("m"))[s], {{500, 0.5}, {600, 0.6}, {1000, 1}});
}

}  // namespace
}  // namespace mytsdb::cold
