#include "wal/wal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace mytsdb::wal {
namespace {

namespace fs = std::filesystem;

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("wal_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Options MakeOptions(size_t segment_size = 1 << 20, FsyncMode mode = FsyncMode::kNever) {
    Options o;
    o.dir = dir_.string();
    o.segment_size = segment_size;
    o.fsync_mode = mode;
    return o;
  }

  // Opens the WAL and returns the replayed records.
  std::unique_ptr<Wal> OpenAndReplay(const Options& o, std::vector<std::string>* replayed) {
    replayed->clear();
    auto wal = Wal::Open(o, [replayed](std::string_view r) {
      replayed->emplace_back(r);
      return Status::OK();
    });
    EXPECT_TRUE(wal.ok()) << wal.status().ToString();
    return wal.ok() ? wal.MoveValue() : nullptr;
  }

  static std::vector<std::string> MakeRecords(int n, int seed) {
    std::mt19937 rng(seed);
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
      std::string r(1 + rng() % 300, '\0');
      for (char& c : r) c = static_cast<char>(rng());
      out.push_back(std::move(r));
    }
    return out;
  }

  static void AppendAll(Wal* wal, const std::vector<std::string>& records) {
    for (const std::string& r : records) {
      std::string_view v = r;
      ASSERT_TRUE(wal->Append({&v, 1}).ok());
    }
  }

  std::vector<fs::path> Segments() {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.is_regular_file()) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
};

TEST_F(WalTest, RoundTripAcrossSegmentsAndReopens) {
  auto records = MakeRecords(2000, 1);
  std::vector<std::string> replayed;
  {
    auto wal = OpenAndReplay(MakeOptions(16 << 10), &replayed);
    EXPECT_TRUE(replayed.empty());
    AppendAll(wal.get(), records);
    EXPECT_GT(wal->current_segment(), 5);
    EXPECT_EQ(wal->stats().records_written, records.size());
  }
  auto wal = OpenAndReplay(MakeOptions(16 << 10), &replayed);
  EXPECT_EQ(replayed, records);
  EXPECT_EQ(wal->stats().corruptions_repaired, 0u);
  // More appends after a reopen come after the old ones.
  auto more = MakeRecords(10, 2);
  AppendAll(wal.get(), more);
  wal.reset();
  OpenAndReplay(MakeOptions(16 << 10), &replayed);
  records.insert(records.end(), more.begin(), more.end());
  EXPECT_EQ(replayed, records);
}

TEST_F(WalTest, BatchAppendKeepsOrder) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  std::vector<std::string_view> batch = {"a", "bb", "ccc"};
  ASSERT_TRUE(wal->Append(batch).ok());
  wal.reset();
  OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"a", "bb", "ccc"}));
}

TEST_F(WalTest, TornTailAtEveryOffsetIsCut) {
  auto records = MakeRecords(5, 3);
  std::vector<std::string> replayed;
  {
    auto wal = OpenAndReplay(MakeOptions(), &replayed);
    AppendAll(wal.get(), records);
  }
  auto segs = Segments();
  ASSERT_EQ(segs.size(), 1u);
  fs::path seg = segs[0];
  std::string full;
  {
    std::ifstream f(seg, std::ios::binary);
    full.assign(std::istreambuf_iterator<char>(f), {});
  }
  // Byte offsets where each record ends.
  std::vector<size_t> ends;
  size_t pos = 0;
  for (const auto& r : records) ends.push_back(pos += 8 + r.size());
  ASSERT_EQ(pos, full.size());
  for (size_t len = 0; len < full.size(); ++len) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    {
      std::ofstream f(seg, std::ios::binary);
      f.write(full.data(), len);
    }
    size_t complete = std::upper_bound(ends.begin(), ends.end(), len) - ends.begin();
    auto wal = OpenAndReplay(MakeOptions(), &replayed);
    ASSERT_EQ(replayed.size(), complete) << "length " << len;
    for (size_t i = 0; i < complete; ++i) ASSERT_EQ(replayed[i], records[i]);
    bool torn = complete == 0 ? len > 0 : ends[complete - 1] != len;
    EXPECT_EQ(wal->stats().corruptions_repaired, torn ? 1u : 0u) << len;
    // The file was cut back to the last complete record.
    EXPECT_EQ(fs::file_size(seg), complete == 0 ? 0 : ends[complete - 1]) << len;
  }
}

TEST_F(WalTest, BitFlipInLastRecordIsCut) {
  auto records = MakeRecords(10, 4);
  std::vector<std::string> replayed;
  { AppendAll(OpenAndReplay(MakeOptions(), &replayed).get(), records); }
  fs::path seg = Segments()[0];
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    char c;
    f.read(&c, 1);
    f.seekp(-3, std::ios::end);
    c ^= 0x10;
    f.write(&c, 1);
  }
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, std::vector<std::string>(records.begin(), records.end() - 1));
  EXPECT_EQ(wal->stats().corruptions_repaired, 1u);
}

TEST_F(WalTest, CorruptionInAnOlderSegmentCutsThereAndDropsLaterSegments) {
  auto records = MakeRecords(600, 5);
  std::vector<std::string> replayed;
  { AppendAll(OpenAndReplay(MakeOptions(16 << 10), &replayed).get(), records); }
  auto segs = Segments();
  ASSERT_GE(segs.size(), 4u);
  // Flip a byte in the middle of the second segment.
  size_t size = fs::file_size(segs[1]);
  {
    std::fstream f(segs[1], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(size / 2);
    char c;
    f.read(&c, 1);
    f.seekp(size / 2);
    c ^= 0x01;
    f.write(&c, 1);
  }
  auto wal = OpenAndReplay(MakeOptions(16 << 10), &replayed);
  EXPECT_EQ(wal->stats().corruptions_repaired, 1u);
  // A prefix of the records came back, the rest is gone, nothing reordered.
  ASSERT_LT(replayed.size(), records.size());
  ASSERT_GT(replayed.size(), 0u);
  for (size_t i = 0; i < replayed.size(); ++i) ASSERT_EQ(replayed[i], records[i]);
  // Segment 2 is recreated empty as the new write segment; later ones are gone.
  EXPECT_EQ(fs::file_size(segs[2]), 0u);
  for (size_t i = 3; i < segs.size(); ++i) EXPECT_FALSE(fs::exists(segs[i])) << segs[i];
}

TEST_F(WalTest, ZeroFilledTailIsCut) {
  auto records = MakeRecords(3, 6);
  std::vector<std::string> replayed;
  { AppendAll(OpenAndReplay(MakeOptions(), &replayed).get(), records); }
  fs::path seg = Segments()[0];
  size_t size = fs::file_size(seg);
  {
    std::ofstream f(seg, std::ios::binary | std::ios::app);
    std::string zeros(4096, '\0');
    f.write(zeros.data(), zeros.size());
  }
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, records);
  EXPECT_EQ(fs::file_size(seg), size);
}

TEST_F(WalTest, MissingSegmentEndsTheLog) {
  auto records = MakeRecords(600, 7);
  std::vector<std::string> replayed;
  { AppendAll(OpenAndReplay(MakeOptions(16 << 10), &replayed).get(), records); }
  auto segs = Segments();
  ASSERT_GE(segs.size(), 4u);
  fs::remove(segs[2]);
  auto wal = OpenAndReplay(MakeOptions(16 << 10), &replayed);
  EXPECT_FALSE(fs::exists(segs[3]));
  for (size_t i = 0; i < replayed.size(); ++i) ASSERT_EQ(replayed[i], records[i]);
  EXPECT_LT(replayed.size(), records.size());
}

TEST_F(WalTest, CheckpointReplacesOldSegments) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  AppendAll(wal.get(), {"old1", "old2"});
  ASSERT_TRUE(wal->CutSegment().ok());
  AppendAll(wal.get(), {"new1"});
  int last = wal->current_segment() - 1;
  std::vector<std::string_view> keep = {"kept"};
  ASSERT_TRUE(wal->CreateCheckpoint(last, keep).ok());
  EXPECT_FALSE(wal->CreateCheckpoint(wal->current_segment(), keep).ok());
  AppendAll(wal.get(), {"new2"});
  wal.reset();
  wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"kept", "new1", "new2"}));
  for (const auto& seg : Segments()) {
    EXPECT_GT(std::stoi(seg.filename().string()), last) << seg;
  }
  // A checkpoint left half-written by a crash is ignored and removed.
  fs::create_directories(dir_ / "checkpoint.00000099.tmp");
  wal.reset();
  wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"kept", "new1", "new2"}));
  EXPECT_FALSE(fs::exists(dir_ / "checkpoint.00000099.tmp"));
}

TEST_F(WalTest, ReplayErrorAbortsOpen) {
  std::vector<std::string> replayed;
  { AppendAll(OpenAndReplay(MakeOptions(), &replayed).get(), {"x"}); }
  auto wal = Wal::Open(MakeOptions(), [](std::string_view) {
    return Status::Corruption("bad payload");
  });
  ASSERT_FALSE(wal.ok());
  EXPECT_NE(wal.status().message().find("bad payload"), std::string::npos);
}

TEST_F(WalTest, ConcurrentAppendersShareFsyncs) {
  constexpr int kThreads = 4, kPerThread = 200;
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(64 << 10, FsyncMode::kAlways), &replayed);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string r = std::to_string(t) + ":" + std::to_string(i);
        std::string_view v = r;
        ASSERT_TRUE(wal->Append({&v, 1}).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  Stats st = wal->stats();
  EXPECT_EQ(st.records_written, size_t(kThreads * kPerThread));
  EXPECT_GT(st.fsyncs, 0u);
  EXPECT_LE(st.fsyncs, st.records_written + st.segments_created);
  wal.reset();
  OpenAndReplay(MakeOptions(64 << 10), &replayed);
  ASSERT_EQ(replayed.size(), size_t(kThreads * kPerThread));
  // Each thread's records are in its own order.
  std::vector<int> next(kThreads, 0);
  for (const std::string& r : replayed) {
    int t = std::stoi(r.substr(0, r.find(':')));
    int i = std::stoi(r.substr(r.find(':') + 1));
    EXPECT_EQ(i, next[t]++);
  }
}

TEST_F(WalTest, IntervalModeFsyncsInTheBackground) {
  std::vector<std::string> replayed;
  Options o = MakeOptions(1 << 20, FsyncMode::kInterval);
  o.fsync_interval = std::chrono::milliseconds(20);
  auto wal = OpenAndReplay(o, &replayed);
  AppendAll(wal.get(), {"a"});
  for (int i = 0; i < 200 && wal->stats().fsyncs == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(wal->stats().fsyncs, 0u);
}

TEST_F(WalTest, AppendAfterCloseFails) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  ASSERT_TRUE(wal->Close().ok());
  std::string_view v = "x";
  EXPECT_FALSE(wal->Append({&v, 1}).ok());
}

}  // namespace
}  // namespace mytsdb::wal
