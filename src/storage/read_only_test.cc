// A read-only node (StorageOptions::read_only) over a writer's table: what
// the table holds merged with what the writers answer, each sample once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <filesystem>
#include <map>
#include <mutex>

#include "storage/storage.h"

namespace mytsdb::storage {
namespace {

namespace fs = std::filesystem;
using model::Labels;
using model::Matcher;
using model::MatchType;
using model::Sample;

constexpr int64_t kHour = 3'600'000;
const int64_t kStart = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// Samples as (time, value bits), to compare bit for bit.
using Points = std::vector<std::pair<int64_t, uint64_t>>;
using SeriesMap = std::map<Labels, Points>;

model::Matchers AnyName() { return {Matcher::Make(MatchType::kRegexMatch, "__name__", ".+").MoveValue()}; }

SeriesMap ReadAll(const Storage& storage, model::TimeRange range = {}, std::vector<std::string>* warnings = nullptr) {
  SeriesSelection series = storage.Select(AnyName(), range);
  std::vector<std::vector<Sample>> samples;
  Status st = storage.ReadSamples(series, 0, series.size(), range, &samples);
  EXPECT_TRUE(st.ok()) << st.ToString();
  SeriesMap out;
  for (size_t i = 0; i < series.size(); ++i) {
    for (const Sample& p : samples[i]) out[series.labels(i)].emplace_back(p.timestamp_ms, std::bit_cast<uint64_t>(p.value));
  }
  if (warnings != nullptr) *warnings = series.warnings();
  return out;
}

// A writer as remote read shows it: its head and its view of the table,
// or, when `down`, no answer.
class WriterAnswers : public RecentSamplesSource {
 public:
  explicit WriterAnswers(const Storage* writer) : writer_(writer) {}
  RecentSamples Read(const model::Matchers& matchers, model::TimeRange range) const override {
    std::lock_guard lock(mu_);
    asked_.push_back(range);
    RecentSamples out;
    if (down_) {
      out.warnings.push_back("writer w1 did not answer");
      return out;
    }
    SeriesSelection series = writer_->Select(matchers, range);
    std::vector<std::vector<Sample>> samples;
    EXPECT_TRUE(writer_->ReadSamples(series, 0, series.size(), range, &samples).ok());
    for (size_t i = 0; i < series.size(); ++i) {
      if (!samples[i].empty()) out.series.push_back({series.labels(i), samples[i]});
    }
    return out;
  }
  void set_down(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
  }
  std::vector<model::TimeRange> asked() const {
    std::lock_guard lock(mu_);
    return asked_;
  }

 private:
  const Storage* writer_;
  mutable std::mutex mu_;
  bool down_ = false;
  mutable std::vector<model::TimeRange> asked_;
};

class ReadOnlyTest : public ::testing::Test {
 public:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("read_only_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    StorageOptions options = Options("writer");
    auto w = Storage::Open(options);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    writer_ = std::move(*w);
    answers_ = std::make_unique<WriterAnswers>(writer_.get());
  }
  void TearDown() override {
    node_.reset();
    writer_.reset();
    fs::remove_all(dir_);
  }
  StorageOptions Options(const std::string& name) {
    StorageOptions options;
    options.data_dir = (dir_ / name).string();
    options.head.wal.fsync_mode = wal::FsyncMode::kNever;
    options.persist_check_interval = std::chrono::milliseconds(0);
    options.clock = &clock_;
    return options;
  }
  void OpenNode(const RecentSamplesSource* recent) {
    StorageOptions options = Options("node");
    options.read_only = true;
    options.recent = recent;
    options.cold_dir = (dir_ / "writer" / "parquet").string();
    auto n = Storage::Open(options);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    node_ = std::move(*n);
  }
  // 15 s samples of three series over [from, to), in time order.
  void Ingest(int64_t from, int64_t to) {
    for (int64_t ts = from; ts < to; ts += 15'000) {
      for (int i = 0; i < 3; ++i) {
        Labels labels{{"__name__", "cpu"}, {"i", std::to_string(i)}};
        Sample s{ts, double(ts % 1'000'003) + i};
        head::SeriesSamples item{&labels, {&s, 1}};
        StorageAppendResult r;
        ASSERT_TRUE(writer_->Append({&item, 1}, {}, &r).ok());
        ASSERT_EQ(r.head.samples_appended, 1u);
      }
    }
  }

  fs::path dir_;
  io::ManualClock clock_{kStart + 6 * kHour};
  std::unique_ptr<Storage> writer_;
  std::unique_ptr<WriterAnswers> answers_;
  std::unique_ptr<Storage> node_;
};

TEST_F(ReadOnlyTest, TheTableAndTheWritersHeadsCountEachSampleOnce) {
  Ingest(kStart, kStart + 5 * kHour);
  ASSERT_TRUE(writer_->PersistDueBlocks().ok());
  const int64_t watermark = writer_->cold_stats().watermark;
  ASSERT_GT(watermark, kStart);
  OpenNode(answers_.get());
  const SeriesMap want = ReadAll(*writer_);
  ASSERT_EQ(want.size(), 3u);
  EXPECT_EQ(ReadAll(*node_), want);
  // Only what the table may lack was asked: from the watermark on.
  ASSERT_FALSE(answers_->asked().empty());
  EXPECT_EQ(answers_->asked().back().min, watermark);

  // The writer persists the rest after the node's snapshot: its answer
  // comes from its table view now, and still nothing is lost or doubled.
  ASSERT_TRUE(writer_->Flush().ok());
  ASSERT_EQ(writer_->head_stats().num_series, 0u);
  EXPECT_EQ(ReadAll(*node_), want);
  // A part of the range, from the table only.
  const model::TimeRange early{kStart, kStart + kHour};
  EXPECT_EQ(ReadAll(*node_, early), ReadAll(*writer_, early));
}

TEST_F(ReadOnlyTest, AWriterThatDoesNotAnswerMakesAPartialResultThatSaysSo) {
  Ingest(kStart, kStart + 5 * kHour);
  ASSERT_TRUE(writer_->PersistDueBlocks().ok());
  OpenNode(answers_.get());
  answers_->set_down(true);
  std::vector<std::string> warnings;
  const SeriesMap partial = ReadAll(*node_, {}, &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "writer w1 did not answer");
  // What the table holds, and nothing else.
  const int64_t watermark = writer_->cold_stats().watermark;
  const SeriesMap persisted = ReadAll(*writer_, {INT64_MIN, watermark - 1});
  EXPECT_EQ(partial, persisted);
  answers_->set_down(false);
  EXPECT_EQ(ReadAll(*node_, {}, &warnings), ReadAll(*writer_));
  EXPECT_TRUE(warnings.empty());
}

TEST_F(ReadOnlyTest, TheWritersAnswersMergeBySeriesAndTimestamp) {
  // Two writers' answers holding one series, overlapping, out of order.
  struct TwoAnswers : RecentSamplesSource {
    RecentSamples Read(const model::Matchers&, model::TimeRange) const override {
      Labels up{{"__name__", "up"}};
      return {{{up, {{kStart + 2000, 2}, {kStart + 1000, 1}, {kStart + 2000, 2}}},
               {up, {{kStart + 2000, 2}, {kStart + 3000, 3}}}},
              {}};
    }
  } two;
  StorageOptions options = Options("node2");
  options.read_only = true;
  options.recent = &two;
  options.cold_dir = (dir_ / "writer" / "parquet").string();
  auto node = Storage::Open(options);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  const SeriesMap got = ReadAll(**node, {kStart, kStart + kHour});
  ASSERT_EQ(got.size(), 1u);
  auto bits = [](double v) { return std::bit_cast<uint64_t>(v); };
  EXPECT_EQ(got.begin()->second, (Points{{kStart + 1000, bits(1)}, {kStart + 2000, bits(2)}, {kStart + 3000, bits(3)}}));
}

TEST_F(ReadOnlyTest, ANodeWritesNothing) {
  OpenNode(nullptr);
  Labels labels{{"__name__", "up"}};
  Sample s{kStart, 1};
  head::SeriesSamples item{&labels, {&s, 1}};
  StorageAppendResult r;
  EXPECT_EQ(node_->Append({&item, 1}, {}, &r).code(), StatusCode::kUnavailable);
  EXPECT_EQ(node_->Flush().code(), StatusCode::kUnavailable);
  EXPECT_EQ(node_->Compact().code(), StatusCode::kUnavailable);
  EXPECT_EQ(node_->DeleteSeries(std::vector<model::Matchers>{AnyName()}, {}).code(), StatusCode::kUnavailable);
  EXPECT_EQ(node_->Snapshot(false).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(ReadAll(*node_).empty());
}

}  // namespace
}  // namespace mytsdb::storage
