#include "head/head.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include "chunk/head_chunk.h"
#include "io/fault_injection_fs.h"
#include "model/sample.h"

namespace mytsdb::head {
namespace {

namespace fs = std::filesystem;
using model::Labels;
using model::Matcher;
using model::MatchType;
using model::Sample;

class HeadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("head_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    head_.reset();
    fs::remove_all(dir_);
  }
  void Reopen(int64_t min_valid_time = INT64_MIN) {
    head_.reset();
    HeadOptions options = options_;
    options.min_valid_time = min_valid_time;
    options.wal.dir = (dir_ / "wal").string();
    options.wal.fsync_mode = wal::FsyncMode::kNever;
    auto head = Head::Open(options);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    head_ = head.MoveValue();
  }
  AppendResult Append(const Labels& labels, std::vector<Sample> samples) {
    SeriesSamples item{&labels, samples};
    AppendResult result;
    EXPECT_TRUE(head_->Append({&item, 1}, {}, &result).ok());
    return result;
  }
  std::vector<Sample> Read(const Labels& labels, model::TimeRange range = {}) {
    model::Matchers ms;
    for (const auto& l : labels) ms.push_back(Matcher::Make(MatchType::kEqual, l.name, l.value).MoveValue());
    auto refs = head_->Select(ms, range);
    std::vector<Sample> out;
    for (auto ref : refs) {
      if (head_->SeriesLabels(ref) == labels) head_->ReadSamples(ref, range, &out);
    }
    return out;
  }

  fs::path dir_;
  HeadOptions options_;
  std::unique_ptr<Head> head_;
};

void ExpectBitEqual(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].timestamp_ms, want[i].timestamp_ms) << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(got[i].value), std::bit_cast<uint64_t>(want[i].value)) << i;
  }
}

TEST_F(HeadTest, AppendReadAndReplayBitExact) {
  Labels up{{"__name__", "up"}, {"job", "api"}};
  std::vector<Sample> samples;
  for (int i = 0; i < 500; ++i) samples.push_back({1000 + i * 15000, i * 1.5});
  samples.push_back({1000 + 500 * 15000, model::StaleNaN()});
  samples.push_back({1000 + 501 * 15000, std::numeric_limits<double>::infinity()});
  samples.push_back({1000 + 502 * 15000, -0.0});
  AppendResult r = Append(up, samples);
  EXPECT_EQ(r.samples_appended, samples.size());
  EXPECT_EQ(r.series_created, 1u);
  ExpectBitEqual(Read(up), samples);
  EXPECT_EQ(head_->stats().num_chunks, 5u);  // 503 samples, 120 per chunk
  // Regular decimals take well under a byte a sample (decimal chunks), the
  // last three values (no decimals) eight or more (an XOR chunk).
  EXPECT_GT(head_->stats().chunk_bytes, 3u * 8);
  EXPECT_LT(head_->stats().chunk_bytes, 500u + 3u * 10);

  Reopen();
  ExpectBitEqual(Read(up), samples);
  EXPECT_EQ(head_->stats().num_series, 1u);
  // Appends continue after replay with the same series.
  r = Append(up, {{1000 + 503 * 15000, 7}});
  EXPECT_EQ(r.samples_appended, 1u);
  EXPECT_EQ(r.series_created, 0u);
}

TEST_F(HeadTest, RejectsOutOfOrderTooOldAndDuplicatesButKeepsTheRest) {
  Labels a{{"__name__", "a"}};
  const int64_t hour = 3600 * 1000;
  ASSERT_EQ(Append(a, {{10 * hour, 1}, {10 * hour + 1000, 2}}).samples_appended, 2u);
  AppendResult r = Append(a, {{10 * hour + 500, 9},      // out of order
                              {10 * hour + 1000, 2},     // same sample: no-op
                              {10 * hour + 1000, 3},     // duplicate timestamp
                              {10 * hour - 2 * hour, 4}, // too old (> 1h behind)
                              {10 * hour + 2000, 5}});   // fine
  EXPECT_EQ(r.samples_appended, 1u);
  EXPECT_EQ(r.out_of_order, 1u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(r.too_old, 1u);
  ExpectBitEqual(Read(a), {{10 * hour, 1}, {10 * hour + 1000, 2}, {10 * hour + 2000, 5}});
  // Resending stored samples (a retry) is a no-op, not an error.
  r = Append(a, {{10 * hour, 1}, {10 * hour + 1000, 2}, {10 * hour + 2000, 5}});
  EXPECT_EQ(r.rejected(), 0u);
  EXPECT_EQ(r.samples_appended, 0u);
  HeadStats st = head_->stats();
  EXPECT_EQ(st.out_of_order_total, 1u);
  EXPECT_EQ(st.too_old_total, 1u);
  EXPECT_EQ(st.duplicates_total, 1u);
  // A new series may start anywhere inside the accept window.
  Labels b{{"__name__", "b"}};
  EXPECT_EQ(Append(b, {{10 * hour - hour / 2, 1}}).samples_appended, 1u);
}

TEST_F(HeadTest, SameSeriesTwiceInOneBatch) {
  Labels a{{"__name__", "a"}};
  std::vector<Sample> first{{1, 1}, {2, 2}}, second{{2, 5}, {3, 3}};
  SeriesSamples items[] = {{&a, first}, {&a, second}};
  AppendResult r;
  ASSERT_TRUE(head_->Append(items, {}, &r).ok());
  EXPECT_EQ(r.series_created, 1u);
  EXPECT_EQ(r.samples_appended, 3u);
  EXPECT_EQ(r.duplicates, 1u);
  ExpectBitEqual(Read(a), {{1, 1}, {2, 2}, {3, 3}});
}

// A batch the WAL refuses leaves no trace: not in the chunks, and not in
// what later samples are validated against (each series' newest sample is
// advanced while the batch is read, and must be put back).
TEST_F(HeadTest, BatchTheWalRefusesCanBeSentAgain) {
  io::FaultInjectionFileSystem faulty(io::PosixFileSystem());
  options_.wal.fs = &faulty;
  Reopen();
  // The head goes before `faulty`, also when an assertion ends the test.
  struct CloseFirst {
    std::unique_ptr<Head>& head;
    ~CloseFirst() { head.reset(); }
  } close_first{head_};
  Labels a{{"__name__", "a"}}, b{{"__name__", "b"}};
  ASSERT_EQ(Append(a, {{1000, 1}}).samples_appended, 1u);
  std::vector<Sample> first{{2000, 2}, {3000, 3}}, again{{3000, 3}, {4000, 4}}, fresh{{5000, 5}};
  SeriesSamples items[] = {{&a, first}, {&b, fresh}, {&a, again}};
  faulty.FailNth(io::FaultInjectionFileSystem::Op::kAppend, 1, EIO);
  AppendResult r;
  EXPECT_FALSE(head_->Append(items, {}, &r).ok());
  ExpectBitEqual(Read(a), {{1000, 1}});
  EXPECT_TRUE(Read(b).empty());

  faulty.ClearFailures();
  ASSERT_TRUE(head_->Append(items, {}, &r).ok());
  EXPECT_EQ(r.samples_appended, 4u);
  EXPECT_EQ(r.duplicates + r.out_of_order, 0u);
  ExpectBitEqual(Read(a), {{1000, 1}, {2000, 2}, {3000, 3}, {4000, 4}});
  ExpectBitEqual(Read(b), {{5000, 5}});
}

TEST_F(HeadTest, ChunksAreCutAtChunkRangeBoundaries) {
  Labels a{{"__name__", "a"}};
  const int64_t range = 2 * 3600 * 1000;
  Append(a, {{range - 2000, 1}, {range - 1000, 2}, {range, 3}, {range + 1000, 4}});
  EXPECT_EQ(head_->stats().num_chunks, 2u);
  ExpectBitEqual(Read(a, {range - 1000, range}), {{range - 1000, 2}, {range, 3}});
}

TEST_F(HeadTest, SelectFiltersByTimeRangeAndMatchers) {
  Labels a{{"__name__", "m"}, {"job", "x"}};
  Labels b{{"__name__", "m"}, {"job", "y"}};
  Append(a, {{1000, 1}});
  Append(b, {{5000, 1}});
  auto sel = [&](model::TimeRange r) {
    return head_->Select({Matcher::Make(MatchType::kEqual, "__name__", "m").MoveValue()}, r).size();
  };
  EXPECT_EQ(sel({}), 2u);
  EXPECT_EQ(sel({0, 2000}), 1u);
  EXPECT_EQ(sel({6000, 9000}), 0u);
  EXPECT_EQ(head_->LabelValues("job"), (std::vector<std::string>{"x", "y"}));
}

TEST_F(HeadTest, MetadataIsKeptAndReplayed) {
  MetricMetadata m{"http_requests_total", 1, "Requests served.", ""};
  AppendResult r;
  ASSERT_TRUE(head_->Append({}, {&m, 1}, &r).ok());
  Reopen();
  auto md = head_->Metadata();
  ASSERT_EQ(md.size(), 1u);
  EXPECT_EQ(md[0].metric_family_name, "http_requests_total");
  EXPECT_EQ(md[0].help, "Requests served.");
  EXPECT_EQ(md[0].type, 1);
}

constexpr int64_t kHour = 3600 * 1000;

std::vector<Sample> Every15s(int64_t from, int64_t to, double v0 = 0) {
  std::vector<Sample> out;
  for (int64_t t = from; t < to; t += 15000) out.push_back({t, v0 + double(t) / 1000});
  return out;
}

std::vector<Sample> From(const std::vector<Sample>& all, int64_t min_t) {
  std::vector<Sample> out;
  for (const Sample& s : all) {
    if (s.timestamp_ms >= min_t) out.push_back(s);
  }
  return out;
}

TEST_F(HeadTest, TruncateDropsOldSamplesAndEmptiedSeriesAndSurvivesReopen) {
  Labels live{{"__name__", "up"}, {"job", "live"}};
  Labels gone{{"__name__", "up"}, {"job", "gone"}};
  std::vector<Sample> live_samples = Every15s(0, 5 * kHour);
  Append(live, live_samples);
  Append(gone, Every15s(0, kHour));
  HeadStats before_stats = head_->stats();

  ASSERT_TRUE(head_->Truncate(2 * kHour).ok());
  EXPECT_EQ(head_->min_valid_time(), 2 * kHour);
  ExpectBitEqual(Read(live), From(live_samples, 2 * kHour));
  EXPECT_TRUE(Read(gone).empty());
  EXPECT_EQ(head_->LabelValues("job"), (std::vector<std::string>{"live"}));
  HeadStats st = head_->stats();
  EXPECT_EQ(st.num_series, 1u);
  EXPECT_EQ(st.min_time, 2 * kHour);
  EXPECT_EQ(st.max_time, live_samples.back().timestamp_ms);
  EXPECT_LT(st.chunk_bytes, before_stats.chunk_bytes);
  EXPECT_LT(st.num_chunks, before_stats.num_chunks);

  // Older samples are refused from now on, even for a new series.
  const int64_t late_t = 4 * kHour + 1;  // within the head's window
  AppendResult r = Append(Labels{{"__name__", "late"}}, {{2 * kHour - 1, 1}, {late_t, 2}});
  EXPECT_EQ(r.too_old, 1u);
  EXPECT_EQ(r.samples_appended, 1u);
  std::vector<Sample> more = Every15s(5 * kHour, 6 * kHour);
  Append(live, more);

  // Replay: the checkpoint and the segments after it give the same state;
  // the WAL no longer holds the truncated samples.
  Reopen(2 * kHour);
  std::vector<Sample> want = From(live_samples, 2 * kHour);
  want.insert(want.end(), more.begin(), more.end());
  ExpectBitEqual(Read(live), want);
  EXPECT_TRUE(Read(gone).empty());
  EXPECT_EQ(head_->LabelValues("job"), (std::vector<std::string>{"live"}));
  ExpectBitEqual(Read(Labels{{"__name__", "late"}}), {{late_t, 2}});
}

TEST_F(HeadTest, SegmentsReplayedAfterRestartsAreDroppedOnceTheirSamplesArePersisted) {
  // A server restarted more often than it persists blocks: each restart
  // starts a new segment. A truncation must still drop the replayed segments
  // whose samples are all before it, or the WAL grows without end.
  Labels a{{"__name__", "a"}};
  std::vector<Sample> first = Every15s(0, kHour);
  std::vector<Sample> second = Every15s(kHour, 2 * kHour);
  std::vector<Sample> third = Every15s(2 * kHour, 3 * kHour);
  Append(a, first);   // segment 0
  Reopen();
  Append(a, second);  // segment 1
  Reopen();
  Append(a, third);   // segment 2
  const fs::path wal = dir_ / "wal";
  ASSERT_TRUE(fs::exists(wal / "00000000"));

  ASSERT_TRUE(head_->Truncate(kHour).ok());
  EXPECT_FALSE(fs::exists(wal / "00000000")) << "segment 0 holds only samples before the truncation";
  EXPECT_TRUE(fs::exists(wal / "checkpoint.00000000"));
  EXPECT_TRUE(fs::exists(wal / "00000001")) << "segment 1 holds samples the head keeps";

  Reopen(kHour);
  std::vector<Sample> want = second;
  want.insert(want.end(), third.begin(), third.end());
  ExpectBitEqual(Read(a), want);
}

TEST_F(HeadTest, ACheckpointOfManySeriesKeepsEverySeriesAndTheMetadata) {
  // The checkpoint is written a few thousand series per record: 10,000
  // series span several records, and the segment that created them is gone
  // after the truncation, so the checkpoint alone must bring them back.
  constexpr int kSeries = 10'000;
  std::vector<Labels> series;
  for (int i = 0; i < kSeries; ++i) {
    series.push_back(Labels{{"__name__", "m"}, {"i", std::to_string(i)}});
  }
  MetricMetadata m{"m", 1, "A gauge.", ""};
  AppendResult r;
  ASSERT_TRUE(head_->Append({}, {&m, 1}, &r).ok());
  for (const Labels& l : series) Append(l, {{0, 1}});  // segment 0
  Reopen();
  for (const Labels& l : series) Append(l, {{3 * kHour, 2}});  // segment 1
  ASSERT_TRUE(head_->Truncate(2 * kHour).ok());
  ASSERT_FALSE(fs::exists(dir_ / "wal" / "00000000"));
  ASSERT_TRUE(fs::exists(dir_ / "wal" / "checkpoint.00000000"));

  Reopen(2 * kHour);
  EXPECT_EQ(head_->stats().num_series, size_t{kSeries});
  for (int i : {0, 4095, 4096, 8191, 8192, kSeries - 1}) {
    ExpectBitEqual(Read(series[i]), {{3 * kHour, 2}});
  }
  auto md = head_->Metadata();
  ASSERT_EQ(md.size(), 1u);
  EXPECT_EQ(md[0].help, "A gauge.");
}

TEST_F(HeadTest, ReplaySkipsSamplesBelowTheColdWatermark) {
  // A crash after the cold tier committed but before the head truncated: the
  // WAL still holds persisted samples; the watermark keeps them out.
  Labels a{{"__name__", "a"}};
  Labels old_only{{"__name__", "old_only"}};
  std::vector<Sample> samples = Every15s(0, 3 * kHour);
  Append(a, samples);
  Append(old_only, Every15s(0, kHour));
  Reopen(2 * kHour);
  ExpectBitEqual(Read(a), From(samples, 2 * kHour));
  EXPECT_TRUE(Read(old_only).empty());
  EXPECT_EQ(head_->stats().num_series, 1u);
  EXPECT_EQ(head_->stats().min_time, 2 * kHour);
  EXPECT_EQ(head_->min_valid_time(), 2 * kHour);
}

TEST_F(HeadTest, TruncatingEverythingEmptiesTheHead) {
  Labels a{{"__name__", "a"}};
  std::vector<Sample> samples = Every15s(0, kHour);
  Append(a, samples);
  // A flush of the whole head cuts in the middle of a chunk.
  ASSERT_TRUE(head_->Truncate(samples[7].timestamp_ms).ok());
  ExpectBitEqual(Read(a), From(samples, samples[7].timestamp_ms));
  ASSERT_TRUE(head_->Truncate(samples.back().timestamp_ms + 1).ok());
  EXPECT_TRUE(Read(a).empty());
  // Every segment held only old samples: a checkpoint replaced them all.
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir_ / "wal")) {
    files.push_back(e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 2u) << ::testing::PrintToString(files);
  EXPECT_TRUE(files[1].starts_with("checkpoint.")) << files[1];
  HeadStats st = head_->stats();
  EXPECT_EQ(st.num_series, 0u);
  EXPECT_EQ(st.num_chunks, 0u);
  EXPECT_EQ(st.chunk_bytes, 0u);
  EXPECT_EQ(st.min_time, 0);
  EXPECT_EQ(st.max_time, 0);
  // The next sample is accepted normally.
  AppendResult r = Append(a, {{samples.back().timestamp_ms + 15000, 1}});
  EXPECT_EQ(r.samples_appended, 1u);
}

TEST_F(HeadTest, TruncateWhileAppendingAndReading) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> acked{0};
  Labels a{{"__name__", "a"}};
  std::thread writer([&] {
    for (int64_t t = 0; !stop; t += 1000) {
      Append(a, {{t, double(t)}});
      acked = t;
    }
  });
  std::thread reader([&] {
    while (!stop) (void)Read(a);
  });
  for (int i = 1; i <= 20; ++i) {
    while (acked.load() < i * 50'000) std::this_thread::yield();
    ASSERT_TRUE(head_->Truncate(acked.load() - 10'000).ok());
  }
  stop = true;
  writer.join();
  reader.join();
  int64_t cut = head_->min_valid_time();
  std::vector<Sample> got = Read(a);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front().timestamp_ms, (cut + 999) / 1000 * 1000);
  for (size_t i = 1; i < got.size(); ++i) {
    ASSERT_EQ(got[i].timestamp_ms, got[i - 1].timestamp_ms + 1000);
  }
  Reopen(cut);
  EXPECT_EQ(Read(a).size(), got.size());
}

TEST(HeadMemoryTest, SeriesAndChunkObjectsStaySmall) {
  // docs/design/head.md and docs/format/chunk.md quote these sizes. A
  // series' allocation is this plus its label block (head_internal.h).
  EXPECT_LE(Head::SeriesObjectBytes(), 88u);
  EXPECT_LE(sizeof(chunk::HeadChunk), 32u);
}

TEST_F(HeadTest, ConcurrentWritersAndReaders) {
  constexpr int kWriters = 4, kSeriesPerWriter = 50, kSamples = 300;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      auto refs = head_->Select({Matcher::Make(MatchType::kRegexMatch, "__name__", "m.*").MoveValue()}, {});
      for (auto ref : refs) {
        std::vector<Sample> out;
        head_->ReadSamples(ref, {}, &out);
        for (size_t i = 1; i < out.size(); ++i) ASSERT_LT(out[i - 1].timestamp_ms, out[i].timestamp_ms);
      }
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::vector<Labels> labels;
      for (int s = 0; s < kSeriesPerWriter; ++s) {
        labels.push_back(Labels{{"__name__", "m" + std::to_string(s % 7)},
                                {"w", std::to_string(w)}, {"s", std::to_string(s)}});
      }
      for (int t = 0; t < kSamples; ++t) {
        std::vector<Sample> one(kSeriesPerWriter);
        std::vector<SeriesSamples> batch;
        for (int s = 0; s < kSeriesPerWriter; ++s) {
          one[s] = {t * 1000, double(t)};
          batch.push_back({&labels[s], {&one[s], 1}});
        }
        AppendResult r;
        ASSERT_TRUE(head_->Append(batch, {}, &r).ok());
        ASSERT_EQ(r.samples_appended, size_t(kSeriesPerWriter));
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  reader.join();
  EXPECT_EQ(head_->stats().num_series, size_t(kWriters * kSeriesPerWriter));
  EXPECT_EQ(head_->stats().samples_appended_total, size_t(kWriters * kSeriesPerWriter * kSamples));
  Reopen();
  EXPECT_EQ(head_->stats().num_series, size_t(kWriters * kSeriesPerWriter));
  auto refs = head_->Select({Matcher::Make(MatchType::kEqual, "w", "2").MoveValue()}, {});
  ASSERT_EQ(refs.size(), size_t(kSeriesPerWriter));
  std::vector<Sample> out;
  head_->ReadSamples(refs[0], {}, &out);
  EXPECT_EQ(out.size(), size_t(kSamples));
}

TEST_F(HeadTest, DeletedSamplesStayDeletedAfterReplayAndLaterOnesStay) {
  Labels a{{"__name__", "m"}, {"i", "a"}};
  Labels b{{"__name__", "m"}, {"i", "b"}};
  Labels other{{"__name__", "other"}};
  std::vector<Sample> samples;
  for (int i = 0; i < 400; ++i) samples.push_back({i * 1'000, double(i)});  // several chunks
  Append(a, samples);
  Append(b, samples);
  Append(other, samples);
  ASSERT_EQ(Read(other).size(), 400u);
  ASSERT_EQ(Read(a).size(), 400u);
  model::Matchers m = {Matcher::Make(MatchType::kEqual, "__name__", "m").MoveValue()};
  auto deleted = head_->DeleteSamples({&m, 1}, {100 * 1'000, 300 * 1'000});
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 2u);
  std::vector<Sample> want(samples.begin(), samples.begin() + 100);
  want.insert(want.end(), samples.begin() + 301, samples.end());
  // After the deletion the series goes on; a sample later than all is kept.
  Append(a, {{400 * 1'000, 400}});
  std::vector<Sample> want_a = want;
  want_a.push_back({400 * 1'000, 400});
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "live" : "after replay");
    ExpectBitEqual(Read(a), want_a);
    ExpectBitEqual(Read(b), want);
    ExpectBitEqual(Read(other), samples);
    Reopen();
  }
  // Deleting everything of a series leaves it without samples.
  auto all = head_->DeleteSamples({&m, 1}, {});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(Read(b).empty());
  EXPECT_EQ(*head_->DeleteSamples({&m, 1}, {}), 0u);  // nothing left to delete
  Reopen();
  EXPECT_TRUE(Read(a).empty());
  ExpectBitEqual(Read(other), samples);
}

// The newest chunk's append state lives in the series, not in the chunk:
// after a deletion or a truncation rewrites or drops the newest chunk,
// appends must continue from the right state (a wrong one decodes to other
// values, so every value is compared).
TEST_F(HeadTest, AppendsContinueAfterTheNewestChunkIsRewritten) {
  auto value = [](int i) { return double((i * 7919) % 1000) / 4; };
  std::vector<Sample> samples;
  for (int i = 0; i < 300; ++i) samples.push_back({i * 1'000, value(i)});  // 120 + 120 + 60

  Labels a{{"__name__", "deleted"}};
  Append(a, samples);
  // Empties the newest chunk and halves the one before, which is then
  // appended to again (it holds fewer than 120 samples).
  model::Matchers m = {Matcher::Make(MatchType::kEqual, "__name__", "deleted").MoveValue()};
  ASSERT_TRUE(head_->DeleteSamples({&m, 1}, {200 * 1'000, 400 * 1'000}).ok());
  std::vector<Sample> want_a(samples.begin(), samples.begin() + 200);
  std::vector<Sample> more;
  for (int i = 401; i < 431; ++i) more.push_back({i * 1'000, value(i)});
  Append(a, more);
  want_a.insert(want_a.end(), more.begin(), more.end());
  ExpectBitEqual(Read(a), want_a);

  Labels b{{"__name__", "truncated"}};
  std::vector<Sample> few(samples.begin() + 300 - 50, samples.end());
  // Only a dropped sample needs three decimals: the rewritten chunk has
  // another scale, so the state from before the truncation no longer fits.
  few[5].value = 0.125;
  Append(b, few);  // one chunk, rewritten by the truncation below
  ASSERT_TRUE(head_->Truncate(few[20].timestamp_ms).ok());
  std::vector<Sample> want_b(few.begin() + 20, few.end());
  Append(b, more);
  want_b.insert(want_b.end(), more.begin(), more.end());
  ExpectBitEqual(Read(b), want_b);
}

TEST_F(HeadTest, CardinalityLimitsRefuseNewSeriesOnlyAndCountAfterReplay) {
  options_.max_series_per_metric = 3;
  Reopen();
  auto series = [](const std::string& metric, int i) {
    return Labels{{"__name__", metric}, {"i", std::to_string(i)}};
  };
  // Four "a" series in one request: the fourth is over the per-metric limit.
  std::vector<Labels> a = {series("a", 0), series("a", 1), series("a", 2), series("a", 3)};
  std::vector<Sample> s1 = {{1000, 1}};
  std::vector<SeriesSamples> batch;
  for (const Labels& l : a) batch.push_back({&l, s1});
  AppendResult r;
  ASSERT_TRUE(head_->Append(batch, {}, &r).ok());
  EXPECT_EQ(r.samples_appended, 3u);
  EXPECT_EQ(r.series_per_metric_limit, 1u);
  EXPECT_EQ(r.limited_metric, "a");
  // Existing series keep taking samples; other metrics have their own count.
  EXPECT_EQ(Append(a[0], {{2000, 2}}).samples_appended, 1u);
  EXPECT_EQ(Append(series("b", 0), {{1000, 1}}).samples_appended, 1u);
  // The counts survive a restart (series come back from the WAL).
  Reopen();
  EXPECT_EQ(Append(series("a", 9), {{3000, 3}}).series_per_metric_limit, 1u);
  EXPECT_EQ(head_->stats().series_per_metric_limit_total, 1u);  // since this start
  // A global limit: 4 series exist, one more fits.
  options_.max_series = 5;
  Reopen();
  EXPECT_EQ(Append(series("b", 1), {{3000, 1}}).samples_appended, 1u);
  r = Append(series("c", 0), {{3000, 1}, {3001, 2}});
  EXPECT_EQ(r.series_limit, 2u);
  EXPECT_EQ(r.limited_metric, "c");
  EXPECT_EQ(head_->stats().series_limit_total, 2u);
  // Series that leave the head free their place.
  ASSERT_TRUE(head_->Truncate(1500).ok());  // a{i="0"} and b{i="1"} keep samples
  EXPECT_EQ(head_->stats().num_series, 2u);
  EXPECT_EQ(Append(series("a", 7), {{3000, 3}}).samples_appended, 1u);
  EXPECT_EQ(Append(series("e", 0), {{3000, 3}}).samples_appended, 1u);
}

}  // namespace
}  // namespace mytsdb::head
