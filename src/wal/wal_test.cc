#include "wal/wal.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "common/coding.h"
#include "common/crc32c.h"
#include "io/fault_injection_fs.h"

namespace mytsdb::wal {
namespace {

namespace fs = std::filesystem;

// Captures what spdlog's default logger prints while it lives.
class LogCapture {
 public:
  LogCapture()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)),
        previous_(spdlog::default_logger()) {
    sink_->set_pattern("%l %v");
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }

  // Lines logged so far, as "<level> <message>".
  std::vector<std::string> lines() const { return sink_->last_formatted(); }
  // The first line at `level` containing all of `parts`, or "".
  std::string Find(std::string_view level, std::initializer_list<std::string_view> parts) const {
    for (const std::string& line : lines()) {
      if (!line.starts_with(std::string(level) + " ")) continue;
      bool all = true;
      for (std::string_view p : parts) all = all && line.find(p) != std::string::npos;
      if (all) return line;
    }
    return "";
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

std::string ReadAll(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void WriteFile(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

void FlipBit(const fs::path& p, size_t offset, int bit = 0) {
  std::string data = ReadAll(p);
  ASSERT_LT(offset, data.size());
  data[offset] ^= static_cast<char>(1 << bit);
  WriteFile(p, data);
}

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

  static std::vector<std::string> MakeRecords(int n, int seed, int max_len = 300) {
    std::mt19937 rng(seed);
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
      std::string r(1 + rng() % max_len, '\0');
      for (char& c : r) c = static_cast<char>(rng());
      out.push_back(std::move(r));
    }
    return out;
  }

  static void AppendAll(Wal* wal, const std::vector<std::string>& records) {
    ASSERT_NE(wal, nullptr);
    for (const std::string& r : records) {
      std::string_view v = r;
      ASSERT_TRUE(wal->Append({&v, 1}).ok());
    }
  }

  // Writes `records` into a fresh WAL and closes it.
  void WriteWal(const std::vector<std::string>& records, size_t segment_size = 1 << 20) {
    std::vector<std::string> replayed;
    auto wal = OpenAndReplay(MakeOptions(segment_size), &replayed);
    AppendAll(wal.get(), records);
    ASSERT_TRUE(wal->Close().ok());
  }

  // The directory a repair set things aside in ("" if none).
  fs::path CorruptDir() {
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().filename().string().starts_with("corrupt.")) return e.path();
    }
    return {};
  }

  // Segment files, sorted (checkpoint directories excluded).
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
    EXPECT_EQ(wal->current_segment(), 0);
    AppendAll(wal.get(), records);
    EXPECT_GT(wal->current_segment(), 5);
    Stats st = wal->stats();
    EXPECT_EQ(st.records_written, records.size());
    uint64_t bytes = 0;
    for (const auto& r : records) bytes += 8 + r.size();
    EXPECT_EQ(st.bytes_written, bytes);
  }
  // No segment grew past the limit.
  for (const auto& seg : Segments()) EXPECT_LE(fs::file_size(seg), 16u << 10) << seg;
  auto wal = OpenAndReplay(MakeOptions(16 << 10), &replayed);
  EXPECT_EQ(replayed, records);
  EXPECT_EQ(wal->stats().corruptions_repaired, 0u);
  EXPECT_EQ(wal->stats().records_replayed, records.size());
  // More appends after a reopen go to a new segment, after the old records.
  const int first_new = wal->current_segment();
  const size_t old_segments = Segments().size() - 1;
  EXPECT_EQ(first_new, static_cast<int>(old_segments));
  auto more = MakeRecords(10, 2);
  AppendAll(wal.get(), more);
  wal.reset();
  OpenAndReplay(MakeOptions(16 << 10), &replayed);
  records.insert(records.end(), more.begin(), more.end());
  EXPECT_EQ(replayed, records);
}

TEST_F(WalTest, BatchAppendKeepsOrderInOneWrite) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  std::vector<std::string_view> batch = {"a", "bb", "ccc"};
  ASSERT_TRUE(wal->Append(batch).ok());
  EXPECT_TRUE(wal->Append({}).ok());
  wal.reset();
  // Byte layout of the first record: crc32c(len bytes + payload), len, payload.
  std::string seg = ReadAll(dir_ / "00000000");
  ASSERT_EQ(seg.size(), 3 * 8 + 6u);
  std::string_view in = seg;
  uint32_t crc, len;
  ASSERT_TRUE(coding::GetFixed32(&in, &crc));
  ASSERT_TRUE(coding::GetFixed32(&in, &len));
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(crc, crc32c::Value(std::string("\x01\x00\x00\x00", 4) + "a"));
  EXPECT_EQ(crc, 0xeece09f8u);  // the example in docs/format/wal.md
  OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"a", "bb", "ccc"}));
}

TEST_F(WalTest, InvalidRecordsAndOptionsAreRefused) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  std::vector<std::string_view> with_empty = {"a", ""};
  EXPECT_TRUE(wal->Append(with_empty).IsInvalidArgument());
  EXPECT_EQ(wal->stats().records_written, 0u);
  wal.reset();
  Options o = MakeOptions();
  o.dir = "";
  EXPECT_TRUE(Wal::Open(o, nullptr).status().IsInvalidArgument());
  o = MakeOptions(1 << 20, FsyncMode::kInterval);
  o.fsync_interval = std::chrono::milliseconds(0);
  EXPECT_TRUE(Wal::Open(o, nullptr).status().IsInvalidArgument());
}

TEST_F(WalTest, AppendLargerThanASegmentGetsItsOwnSegment) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(1000), &replayed);
  std::vector<std::string> records = {"small", std::string(5000, 'x'), "after"};
  AppendAll(wal.get(), records);
  EXPECT_EQ(wal->current_segment(), 2);
  wal.reset();
  EXPECT_EQ(fs::file_size(dir_ / "00000001"), 5008u);
  OpenAndReplay(MakeOptions(1000), &replayed);
  EXPECT_EQ(replayed, records);
}

TEST_F(WalTest, TornTailAtEveryOffsetIsCut) {
  auto records = MakeRecords(5, 3, 40);
  WriteWal(records);
  auto segs = Segments();
  ASSERT_EQ(segs.size(), 1u);
  const fs::path seg = segs[0];
  const std::string full = ReadAll(seg);
  // Byte offsets where each record ends.
  std::vector<size_t> ends;
  size_t pos = 0;
  for (const auto& r : records) ends.push_back(pos += 8 + r.size());
  ASSERT_EQ(pos, full.size());
  for (size_t len = 0; len < full.size(); ++len) {
    SCOPED_TRACE("file length " + std::to_string(len));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    WriteFile(seg, std::string_view(full).substr(0, len));
    const size_t complete = std::upper_bound(ends.begin(), ends.end(), len) - ends.begin();
    const size_t good_bytes = complete == 0 ? 0 : ends[complete - 1];
    const bool torn = len != good_bytes;
    std::vector<std::string> replayed;
    LogCapture log;
    auto wal = OpenAndReplay(MakeOptions(), &replayed);
    ASSERT_NE(wal, nullptr);
    ASSERT_EQ(replayed.size(), complete);
    for (size_t i = 0; i < complete; ++i) ASSERT_EQ(replayed[i], records[i]);
    EXPECT_EQ(wal->stats().corruptions_repaired, torn ? 1u : 0u);
    // The file was cut back to the last complete record, and the cut logged.
    EXPECT_EQ(fs::file_size(seg), good_bytes);
    if (torn) {
      EXPECT_NE(log.Find("warning", {"00000000", "offset " + std::to_string(good_bytes),
                                     "cut " + std::to_string(len - good_bytes) + " bytes"}),
                "");
    }
    // Appends go to a new segment and replay after the survivors.
    EXPECT_EQ(wal->current_segment(), 1);
    AppendAll(wal.get(), {"next"});
    wal.reset();
    OpenAndReplay(MakeOptions(), &replayed);
    ASSERT_EQ(replayed.size(), complete + 1);
    EXPECT_EQ(replayed.back(), "next");
  }
}

TEST_F(WalTest, TornTailOfTheLastOfSeveralSegments) {
  auto records = MakeRecords(400, 8);
  WriteWal(records, 16 << 10);
  auto segs = Segments();
  ASSERT_GE(segs.size(), 3u);
  // Cut the last segment in the middle of its last record.
  const fs::path last = segs.back();
  const uint64_t size = fs::file_size(last);
  fs::resize_file(last, size - 3);
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(16 << 10), &replayed);
  EXPECT_EQ(replayed, std::vector<std::string>(records.begin(), records.end() - 1));
  EXPECT_EQ(wal->stats().corruptions_repaired, 1u);
  EXPECT_EQ(fs::file_size(last), size - 8 - records.back().size());
  for (size_t i = 0; i + 1 < segs.size(); ++i) EXPECT_TRUE(fs::exists(segs[i]));
}

TEST_F(WalTest, BitFlipInLastRecordIsCut) {
  auto records = MakeRecords(10, 4);
  WriteWal(records);
  const fs::path seg = Segments()[0];
  const uint64_t size = fs::file_size(seg);
  // Every byte of the last record: crc, length and payload.
  const size_t last_start = size - 8 - records.back().size();
  for (size_t off = last_start; off < size; ++off) {
    SCOPED_TRACE("offset " + std::to_string(off));
    std::string original = ReadAll(seg);
    FlipBit(seg, off, static_cast<int>(off % 8));
    std::vector<std::string> replayed;
    auto wal = OpenAndReplay(MakeOptions(), &replayed);
    EXPECT_EQ(replayed, std::vector<std::string>(records.begin(), records.end() - 1));
    EXPECT_EQ(wal->stats().corruptions_repaired, 1u);
    EXPECT_EQ(fs::file_size(seg), last_start);
    wal.reset();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    WriteFile(seg, original);
  }
}

TEST_F(WalTest, CorruptionInAnOlderSegmentCutsThereAndDropsLaterSegments) {
  auto records = MakeRecords(600, 5);
  WriteWal(records, 16 << 10);
  auto segs = Segments();
  ASSERT_GE(segs.size(), 4u);
  // Flip a bit in the middle of the second segment.
  const uint64_t size = fs::file_size(segs[1]);
  FlipBit(segs[1], size / 2);
  uint64_t later_bytes = 0;
  for (size_t i = 2; i < segs.size(); ++i) later_bytes += fs::file_size(segs[i]);

  LogCapture log;
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(16 << 10), &replayed);
  EXPECT_EQ(wal->stats().corruptions_repaired, 1u);
  // A prefix of the records came back, the rest is gone, nothing reordered.
  ASSERT_LT(replayed.size(), records.size());
  ASSERT_GT(replayed.size(), 0u);
  for (size_t i = 0; i < replayed.size(); ++i) ASSERT_EQ(replayed[i], records[i]);
  // Segment 1 ends at the last good record: everything in segments 0 and 1
  // that came back accounts for both files exactly.
  uint64_t replayed_bytes = 0;
  for (const auto& r : replayed) replayed_bytes += 8 + r.size();
  const uint64_t cut_at = replayed_bytes - fs::file_size(segs[0]);
  EXPECT_EQ(fs::file_size(segs[1]), cut_at);
  EXPECT_LE(cut_at, size / 2);
  // Segment 2 is recreated empty as the new write segment; the later ones
  // and the cut bytes are set aside, not deleted.
  EXPECT_EQ(wal->current_segment(), 2);
  EXPECT_EQ(fs::file_size(segs[2]), 0u);
  fs::path aside = CorruptDir();
  ASSERT_FALSE(aside.empty());
  EXPECT_EQ(fs::file_size(aside / ("00000001.from-" + std::to_string(cut_at))), size - cut_at);
  uint64_t kept_later = 0;
  for (size_t i = 2; i < segs.size(); ++i) kept_later += fs::file_size(aside / segs[i].filename());
  EXPECT_EQ(kept_later, later_bytes);
  for (size_t i = 3; i < segs.size(); ++i) EXPECT_FALSE(fs::exists(segs[i])) << segs[i];
  // Logged as an error, with the place, what was taken out and where it is.
  std::string line =
      log.Find("error", {"segment 00000001", "offset " + std::to_string(cut_at),
                         "cut " + std::to_string(size - cut_at) + " bytes",
                         std::to_string(segs.size() - 2) + " later segment(s)",
                         "(" + std::to_string(later_bytes) + " bytes)", aside.string()});
  EXPECT_NE(line, "") << ::testing::PrintToString(log.lines());
  // A reopen replays the same and repairs nothing more.
  std::vector<std::string> again;
  wal.reset();
  wal = OpenAndReplay(MakeOptions(16 << 10), &again);
  EXPECT_EQ(again, replayed);
  EXPECT_EQ(wal->stats().corruptions_repaired, 0u);
}

TEST_F(WalTest, ZeroFilledTailIsCut) {
  auto records = MakeRecords(3, 6);
  WriteWal(records);
  const fs::path seg = Segments()[0];
  const uint64_t size = fs::file_size(seg);
  {
    std::ofstream f(seg, std::ios::binary | std::ios::app);
    std::string zeros(4096, '\0');
    f.write(zeros.data(), zeros.size());
  }
  LogCapture log;
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, records);
  EXPECT_EQ(fs::file_size(seg), size);
  EXPECT_EQ(wal->stats().corruptions_repaired, 1u);
  EXPECT_NE(log.Find("warning", {"zero-filled tail (4096 bytes)"}), "");
}

TEST_F(WalTest, ZeroFilledPayloadAfterAValidHeaderIsCut) {
  // A crash can persist a record's header but not its payload pages.
  auto records = MakeRecords(3, 9);
  WriteWal(records);
  const fs::path seg = Segments()[0];
  std::string data = ReadAll(seg);
  const size_t last_start = data.size() - 8 - records.back().size();
  std::fill(data.begin() + last_start + 8, data.end(), '\0');
  WriteFile(seg, data);
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, std::vector<std::string>(records.begin(), records.end() - 1));
  EXPECT_EQ(fs::file_size(seg), last_start);
}

TEST_F(WalTest, ImplausibleLengthIsCut) {
  WriteWal({"one", "two"});
  const fs::path seg = Segments()[0];
  std::string data = ReadAll(seg);
  std::string bad;
  coding::PutFixed32(&bad, 0x12345678);
  coding::PutFixed32(&bad, (1u << 30) + 1);
  bad += "payload";
  WriteFile(seg, data + bad);
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(fs::file_size(seg), data.size());
}

TEST_F(WalTest, MissingSegmentEndsTheLog) {
  auto records = MakeRecords(600, 7);
  WriteWal(records, 16 << 10);
  auto segs = Segments();
  ASSERT_GE(segs.size(), 4u);
  fs::remove(segs[2]);
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(16 << 10), &replayed);
  EXPECT_FALSE(fs::exists(segs[3]));
  EXPECT_TRUE(fs::exists(CorruptDir() / segs[3].filename()));  // set aside, not deleted
  EXPECT_EQ(wal->stats().corruptions_repaired, 1u);
  // Exactly segments 0 and 1 came back.
  uint64_t bytes = 0;
  for (const auto& r : replayed) bytes += 8 + r.size();
  EXPECT_EQ(bytes, fs::file_size(segs[0]) + fs::file_size(segs[1]));
  for (size_t i = 0; i < replayed.size(); ++i) ASSERT_EQ(replayed[i], records[i]);
}

TEST_F(WalTest, CheckpointReplacesOldSegments) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  AppendAll(wal.get(), {"old1", "old2"});
  ASSERT_EQ(*wal->CutSegment(), 1);
  AppendAll(wal.get(), {"old3"});
  ASSERT_EQ(*wal->CutSegment(), 2);
  AppendAll(wal.get(), {"new1"});
  std::vector<std::string_view> keep = {"kept1", "kept2"};
  EXPECT_TRUE(wal->CreateCheckpoint(2, keep).IsInvalidArgument());  // not below current
  EXPECT_TRUE(wal->CreateCheckpoint(-1, keep).IsInvalidArgument());
  ASSERT_TRUE(wal->CreateCheckpoint(1, keep).ok());
  EXPECT_TRUE(fs::is_directory(dir_ / "checkpoint.00000001"));
  EXPECT_FALSE(fs::exists(dir_ / "checkpoint.00000001.tmp"));
  EXPECT_FALSE(fs::exists(dir_ / "00000000"));
  EXPECT_FALSE(fs::exists(dir_ / "00000001"));
  EXPECT_TRUE(wal->CreateCheckpoint(1, keep).IsInvalidArgument());  // not newer
  AppendAll(wal.get(), {"new2"});
  wal.reset();
  wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"kept1", "kept2", "new1", "new2"}));

  // A newer checkpoint replaces the older one.
  ASSERT_TRUE(wal->CutSegment().ok());
  AppendAll(wal.get(), {"new3"});
  int last = wal->current_segment() - 1;
  std::vector<std::string_view> keep2 = {"kept3"};
  ASSERT_TRUE(wal->CreateCheckpoint(last, keep2).ok());
  EXPECT_FALSE(fs::exists(dir_ / "checkpoint.00000001"));
  for (const auto& seg : Segments()) EXPECT_GT(std::stoi(seg.filename().string()), last);
  wal.reset();
  OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"kept3", "new3"}));
}

TEST_F(WalTest, CheckpointWithEmptyRecordIsRefused) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  ASSERT_TRUE(wal->CutSegment().ok());
  std::vector<std::string_view> bad = {"x", ""};
  EXPECT_TRUE(wal->CreateCheckpoint(0, bad).IsInvalidArgument());
  std::vector<std::string_view> none;
  ASSERT_TRUE(wal->CreateCheckpoint(0, none).ok());
  wal.reset();
  OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_TRUE(replayed.empty());
}

TEST_F(WalTest, CheckpointStreamedFromASourceSpansWritesAndReplaysInOrder) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  AppendAll(wal.get(), {"old"});
  ASSERT_TRUE(wal->CutSegment().ok());
  AppendAll(wal.get(), {"new"});
  // 3 MB of records: more than one of the checkpoint's 1 MB writes.
  std::vector<std::string> records;
  for (int i = 0; i < 3000; ++i) records.push_back(std::to_string(i) + std::string(1000, 'x'));
  size_t next = 0;
  ASSERT_TRUE(wal->CreateCheckpoint(0, [&](std::string* record) {
    if (next == records.size()) return false;
    *record = records[next++];
    return true;
  }).ok());
  wal.reset();
  wal = OpenAndReplay(MakeOptions(), &replayed);
  records.push_back("new");
  EXPECT_EQ(replayed, records);
}

TEST_F(WalTest, ABadRecordFromASourceLeavesNoCheckpoint) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  AppendAll(wal.get(), {"old"});
  ASSERT_TRUE(wal->CutSegment().ok());
  int produced = 0;
  Status st = wal->CreateCheckpoint(0, [&](std::string* record) {
    // Two good records, then an empty one.
    *record = ++produced <= 2 ? std::string(2 << 20, 'k') : "";
    return produced <= 3;
  });
  EXPECT_TRUE(st.IsInvalidArgument()) << st.ToString();
  EXPECT_EQ(produced, 3);
  EXPECT_FALSE(fs::exists(dir_ / "checkpoint.00000000"));
  EXPECT_FALSE(fs::exists(dir_ / "checkpoint.00000000.tmp"));
  wal.reset();
  wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"old"}));  // the segment is still there
}

TEST_F(WalTest, CrashLeftoversAroundACheckpointAreCleanedUp) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  AppendAll(wal.get(), {"old"});
  ASSERT_TRUE(wal->CutSegment().ok());
  AppendAll(wal.get(), {"new"});
  const std::string old_segment = ReadAll(dir_ / "00000000");
  std::vector<std::string_view> keep = {"kept"};
  ASSERT_TRUE(wal->CreateCheckpoint(0, keep).ok());
  wal.reset();
  // A crash after the rename but before the deletions; a half-written newer
  // checkpoint; an older checkpoint not yet deleted.
  WriteFile(dir_ / "00000000", old_segment);
  fs::create_directories(dir_ / "checkpoint.00000099.tmp");
  fs::create_directories(dir_ / "checkpoint.00000000x");
  wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"kept", "new"}));
  EXPECT_FALSE(fs::exists(dir_ / "00000000"));
  EXPECT_FALSE(fs::exists(dir_ / "checkpoint.00000099.tmp"));
  EXPECT_TRUE(fs::exists(dir_ / "checkpoint.00000000"));
  EXPECT_EQ(wal->stats().corruptions_repaired, 0u);
}

TEST_F(WalTest, DamagedCheckpointRefusesToOpen) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  ASSERT_TRUE(wal->CutSegment().ok());
  std::vector<std::string_view> keep = {"kept1", "kept2"};
  ASSERT_TRUE(wal->CreateCheckpoint(0, keep).ok());
  wal.reset();
  FlipBit(dir_ / "checkpoint.00000000" / "00000000", 10);
  auto opened = Wal::Open(MakeOptions(), [](std::string_view) { return Status::OK(); });
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().IsCorruption()) << opened.status().ToString();
  EXPECT_NE(opened.status().message().find("checkpoint.00000000"), std::string::npos);
}

TEST_F(WalTest, MissingSegmentAfterACheckpointEndsTheLog) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  ASSERT_TRUE(wal->CutSegment().ok());  // 1
  AppendAll(wal.get(), {"in1"});
  ASSERT_TRUE(wal->CutSegment().ok());  // 2
  AppendAll(wal.get(), {"in2"});
  std::vector<std::string_view> keep = {"kept"};
  ASSERT_TRUE(wal->CreateCheckpoint(0, keep).ok());
  wal.reset();
  fs::remove(dir_ / "00000001");
  wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"kept"}));
  EXPECT_FALSE(fs::exists(dir_ / "00000002"));
  EXPECT_EQ(wal->stats().corruptions_repaired, 1u);
  EXPECT_EQ(wal->current_segment(), 1);
}

TEST_F(WalTest, ReplayErrorAbortsOpen) {
  WriteWal({"x"});
  auto wal = Wal::Open(MakeOptions(), [](std::string_view) {
    return Status::Corruption("bad payload");
  });
  ASSERT_FALSE(wal.ok());
  EXPECT_TRUE(wal.status().IsCorruption());
  EXPECT_NE(wal.status().message().find("bad payload"), std::string::npos);
  // Nothing was cut or created.
  EXPECT_EQ(Segments().size(), 1u);
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
  // Group commit: fewer fsyncs than appends.
  EXPECT_LT(st.fsyncs, st.records_written);
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

TEST_F(WalTest, GroupCommitCoversWaitingAppendersWithOneFsync) {
  // The first fsync waits until all four appenders have written: it covers
  // all of them, and the other three return without an fsync of their own.
  constexpr int kThreads = 4;
  Options o = MakeOptions(1 << 20, FsyncMode::kAlways);
  Wal* raw = nullptr;
  std::atomic<int> hook_calls{0};
  o.test_hooks.before_sync = [&] {
    if (hook_calls.fetch_add(1) > 0) return;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (raw->stats().records_written < kThreads &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(o, &replayed);
  raw = wal.get();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string r = "record " + std::to_string(t);
      std::string_view v = r;
      EXPECT_TRUE(wal->Append({&v, 1}).ok());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wal->stats().records_written, uint64_t{kThreads});
  EXPECT_EQ(wal->stats().fsyncs, 1u);
  EXPECT_EQ(hook_calls.load(), 1);
}

TEST_F(WalTest, SyncAndCloseFsyncOnlyWhatIsNew) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  ASSERT_TRUE(wal->Sync().ok());
  EXPECT_EQ(wal->stats().fsyncs, 0u);
  AppendAll(wal.get(), {"a"});
  EXPECT_EQ(wal->stats().fsyncs, 0u);  // kNever
  ASSERT_TRUE(wal->Sync().ok());
  EXPECT_EQ(wal->stats().fsyncs, 1u);
  ASSERT_TRUE(wal->Sync().ok());
  EXPECT_EQ(wal->stats().fsyncs, 1u);
  AppendAll(wal.get(), {"b"});
  ASSERT_TRUE(wal->CutSegment().ok());  // the finished segment waits for the next sync
  EXPECT_EQ(wal->stats().fsyncs, 1u);
  AppendAll(wal.get(), {"c"});
  ASSERT_TRUE(wal->Close().ok());  // fsyncs both
  EXPECT_EQ(wal->stats().fsyncs, 3u);
  ASSERT_TRUE(wal->Close().ok());
}

TEST_F(WalTest, FinishedSegmentsAreFsyncedLaterButNotLeftBehind) {
  // kNever: a finished segment is fsynced once two newer ones have been
  // finished (bounding open files), the rest at Close.
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(/*segment_size=*/1), &replayed);
  AppendAll(wal.get(), {"0", "1", "2", "3", "4", "5"});  // one segment each
  EXPECT_EQ(wal->current_segment(), 5);
  EXPECT_EQ(wal->stats().fsyncs, 3u);
  ASSERT_TRUE(wal->Close().ok());
  EXPECT_EQ(wal->stats().fsyncs, 6u);

  // kAlways: the group commit fsyncs the finished segment, once.
  fs::remove_all(dir_);
  wal = OpenAndReplay(MakeOptions(/*segment_size=*/1, FsyncMode::kAlways), &replayed);
  AppendAll(wal.get(), {"a"});
  EXPECT_EQ(wal->stats().fsyncs, 1u);
  AppendAll(wal.get(), {"b"});  // segment 0 is already durable: only segment 1
  EXPECT_EQ(wal->stats().fsyncs, 2u);
  std::string_view c = "c";
  ASSERT_TRUE(wal->Append({&c, 1}).ok());
  ASSERT_TRUE(wal->CutSegment().ok());
  ASSERT_TRUE(wal->Close().ok());
  EXPECT_EQ(wal->stats().fsyncs, 3u);
  wal.reset();
  OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(WalTest, IntervalModeFsyncsInTheBackground) {
  std::vector<std::string> replayed;
  Options o = MakeOptions(1 << 20, FsyncMode::kInterval);
  o.fsync_interval = std::chrono::milliseconds(20);
  auto wal = OpenAndReplay(o, &replayed);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(wal->stats().fsyncs, 0u);  // nothing written, nothing to sync
  AppendAll(wal.get(), {"a"});
  for (int i = 0; i < 500 && wal->stats().fsyncs == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(wal->stats().fsyncs, 1u);
}

TEST_F(WalTest, FailedWriteIsTakenBackAndTheWalStaysUsable) {
  io::FaultInjectionFileSystem faulty(io::PosixFileSystem());
  Options o = MakeOptions();
  o.fs = &faulty;
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(o, &replayed);
  AppendAll(wal.get(), {"before"});
  const uint64_t size = fs::file_size(dir_ / "00000000");
  // A full disk: the write takes half of the bytes, then fails.
  faulty.FailNth(io::FaultInjectionFileSystem::Op::kAppend, 1, ENOSPC);
  std::vector<std::string_view> batch = {std::string_view("lost1"), std::string_view("lost2")};
  Status st = wal->Append(batch);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
  EXPECT_EQ(fs::file_size(dir_ / "00000000"), size);  // the half-written bytes are gone
  AppendAll(wal.get(), {"after"});
  EXPECT_EQ(wal->stats().records_written, 2u);
  wal.reset();
  wal = OpenAndReplay(MakeOptions(), &replayed);
  EXPECT_EQ(replayed, (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(wal->stats().corruptions_repaired, 0u);
}

TEST_F(WalTest, FailedFsyncIsSticky) {
  io::FaultInjectionFileSystem faulty(io::PosixFileSystem());
  Options o = MakeOptions(1 << 20, FsyncMode::kAlways);
  o.fs = &faulty;
  std::vector<std::string> replayed;
  LogCapture log;
  auto wal = OpenAndReplay(o, &replayed);
  AppendAll(wal.get(), {"durable"});
  faulty.FailNth(io::FaultInjectionFileSystem::Op::kSync, 1, EIO);
  std::string_view v = "maybe";
  EXPECT_EQ(wal->Append({&v, 1}).code(), StatusCode::kIOError);
  // The kernel may have dropped the pages; a later fsync proves nothing.
  EXPECT_EQ(wal->Append({&v, 1}).code(), StatusCode::kIOError);
  EXPECT_EQ(wal->Sync().code(), StatusCode::kIOError);
  EXPECT_FALSE(wal->CutSegment().ok());
  EXPECT_EQ(wal->Close().code(), StatusCode::kIOError);
  EXPECT_NE(log.Find("error", {"refusing further appends"}), "");
}

TEST_F(WalTest, AppendAfterCloseFails) {
  std::vector<std::string> replayed;
  auto wal = OpenAndReplay(MakeOptions(), &replayed);
  ASSERT_TRUE(wal->Close().ok());
  std::string_view v = "x";
  EXPECT_EQ(wal->Append({&v, 1}).code(), StatusCode::kUnavailable);
  EXPECT_FALSE(wal->CutSegment().ok());
}

}  // namespace
}  // namespace mytsdb::wal
