// The alert history's table: events written as Parquet files under Delta
// commits and read back as written, a day's files merged, retention, and
// what survives failures: a failed write keeps the events queued, a crash
// between a file and its commit loses nothing (the file is committed at
// the next start), a power loss loses no committed event, and files MyTSDB
// does not know stop the start.
#include "history/alert_history.h"

#include <arrow/api.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "cold/column_reader.h"
#include "io/fault_injection_fs.h"

namespace mytsdb::history {
namespace {

namespace fs = std::filesystem;
using Op = io::FaultInjectionFileSystem::Op;

constexpr int64_t kDay = 86'400'000;
const int64_t kStart = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

AlertEvent Event(int64_t t, const std::string& state, const std::string& instance) {
  AlertEvent e;
  e.time_ms = t;
  e.rule = "InstanceDown";
  e.group_name = "node";
  e.rule_file = "rules/node.yml";
  e.state = state;
  e.previous_state = state == "firing" ? "pending" : "";
  e.labels = model::Labels{{"alertname", "InstanceDown"}, {"instance", instance}};
  e.annotations = {{"summary", instance + " is down"}};
  e.value = 1;
  e.active_at_ms = t - 60'000;
  e.fired_at_ms = state == "firing" ? t : 0;
  return e;
}

class AlertHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("alert_history_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);  // the data directory, there before (and durable)
  }
  void TearDown() override {
    history_.reset();
    fs::remove_all(dir_);
  }
  Status Open() {
    history_.reset();
    AlertHistoryOptions options;
    options.dir = (dir_ / "alerts").string();
    options.fs = &faults_;
    options.clock = &clock_;
    options.flush_interval = std::chrono::milliseconds(0);
    options.retention_ms = 10 * kDay;
    options.delete_grace = std::chrono::milliseconds(0);
    auto h = AlertHistory::Open(options);
    if (!h.ok()) return h.status();
    history_ = std::move(*h);
    return Status::OK();
  }
  // Every row of the current snapshot: (time, state, instance label), in
  // time order, read with Arrow from the files the table lists.
  std::vector<std::tuple<int64_t, std::string, std::string>> Rows() {
    std::vector<std::tuple<int64_t, std::string, std::string>> out;
    for (const std::string& path : history_->Files()) {
      auto reader = cold::OpenParquet(io::PosixFileSystem(), (dir_ / "alerts" / path).string());
      EXPECT_TRUE(reader.ok()) << reader.status().ToString();
      if (!reader.ok()) continue;
      auto read = (*reader)->ReadTable();
      EXPECT_TRUE(read.ok()) << read.status().ToString();
      if (!read.ok()) continue;
      std::shared_ptr<arrow::Table> table = *read;
      auto combined = table->CombineChunks().ValueOrDie();
      auto time = std::static_pointer_cast<arrow::TimestampArray>(combined->GetColumnByName("time")->chunk(0));
      auto state = std::static_pointer_cast<arrow::StringArray>(combined->GetColumnByName("state")->chunk(0));
      auto labels = std::static_pointer_cast<arrow::MapArray>(combined->GetColumnByName("labels")->chunk(0));
      auto keys = std::static_pointer_cast<arrow::StringArray>(labels->keys());
      auto items = std::static_pointer_cast<arrow::StringArray>(labels->items());
      for (int64_t i = 0; i < combined->num_rows(); ++i) {
        std::string instance;
        for (int64_t k = labels->value_offset(i); k < labels->value_offset(i + 1); ++k) {
          if (keys->GetString(k) == "instance") instance = items->GetString(k);
        }
        out.emplace_back(time->Value(i), state->GetString(i), instance);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  size_t FilesOnDisk() {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "alerts")) {
      if (e.path().extension() == ".parquet" && e.path().parent_path().filename() != "_delta_log") ++n;
    }
    return n;
  }

  fs::path dir_;
  io::FaultInjectionFileSystem faults_{io::PosixFileSystem()};
  io::ManualClock clock_{kStart + 3 * kDay};
  std::unique_ptr<AlertHistory> history_;
};

TEST_F(AlertHistoryTest, EventsAreWrittenPerDayInOneCommitAndReadBack) {
  ASSERT_TRUE(Open().ok());
  history_->Record({Event(kStart + 1000, "pending", "a"), Event(kStart + 61'000, "firing", "a")});
  history_->Record({Event(kStart + kDay + 5, "resolved", "a")});
  EXPECT_EQ(history_->stats().queued, 3u);
  ASSERT_TRUE(history_->Flush().ok());
  AlertHistoryStats st = history_->stats();
  EXPECT_EQ(st.version, 0);  // both days' files in one commit
  EXPECT_EQ(st.files, 2u);
  EXPECT_EQ(st.events_written, 3u);
  EXPECT_EQ(st.queued, 0u);
  using Row = std::tuple<int64_t, std::string, std::string>;
  const std::vector<Row> want = {{kStart + 1000, "pending", "a"}, {kStart + 61'000, "firing", "a"},
                                 {kStart + kDay + 5, "resolved", "a"}};
  EXPECT_EQ(Rows(), want);
  ASSERT_TRUE(history_->Flush().ok());  // nothing queued: no commit
  EXPECT_EQ(history_->stats().version, 0);
  // The files are under day= directories, as the partition column says.
  EXPECT_TRUE(fs::is_directory(dir_ / "alerts" / "day=2026-01-01"));
  EXPECT_TRUE(fs::is_directory(dir_ / "alerts" / "day=2026-01-02"));
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(Rows(), want);
}

TEST_F(AlertHistoryTest, AFinishedDaysFilesAreMergedAndOldOnesExpire) {
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 3; ++i) {
    history_->Record({Event(kStart + i * 1000, "pending", std::to_string(i))});
    ASSERT_TRUE(history_->Flush().ok());
  }
  // Today (kStart + 3 days): not merged while events may still come.
  for (int i = 0; i < 2; ++i) {
    history_->Record({Event(kStart + 3 * kDay + i, "firing", "today")});
    ASSERT_TRUE(history_->Flush().ok());
  }
  const auto before = Rows();
  ASSERT_EQ(before.size(), 5u);
  EXPECT_EQ(history_->stats().files, 5u);
  ASSERT_TRUE(history_->Maintain().ok());
  EXPECT_EQ(history_->stats().files, 3u);  // one for 2026-01-01, two of today
  EXPECT_EQ(Rows(), before);
  EXPECT_EQ(FilesOnDisk(), 3u);  // the merged ones deleted (no grace here)
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(Rows(), before);

  // Past the retention, the old day goes.
  clock_.Set(kStart + 11 * kDay);
  ASSERT_TRUE(history_->Maintain().ok());
  auto after = Rows();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(std::get<2>(after[0]), "today");
}

TEST_F(AlertHistoryTest, AFailedWriteKeepsTheEventsForTheNextFlush) {
  ASSERT_TRUE(Open().ok());
  history_->Record({Event(kStart, "pending", "a")});
  faults_.FailNth(Op::kSync, 1, EIO);
  EXPECT_FALSE(history_->Flush().ok());
  EXPECT_EQ(history_->stats().queued, 1u);
  EXPECT_EQ(history_->stats().flush_failures, 1u);
  faults_.SetDiskFull(true);
  EXPECT_FALSE(history_->Flush().ok());
  faults_.SetDiskFull(false);
  // Two days: the first day's file is written, the second's fails; the
  // first is not left behind.
  history_->Record({Event(kStart + kDay, "firing", "a")});
  faults_.FailNth(Op::kSync, 2, EIO);
  EXPECT_FALSE(history_->Flush().ok());
  EXPECT_EQ(FilesOnDisk(), 0u);
  EXPECT_EQ(history_->stats().queued, 2u);
  ASSERT_TRUE(history_->Flush().ok());
  EXPECT_EQ(Rows().size(), 2u);  // each once
  EXPECT_EQ(FilesOnDisk(), 2u);  // the failed attempts left nothing
}

TEST_F(AlertHistoryTest, AFileWrittenButNeverCommittedIsCommittedAtTheNextStart) {
  ASSERT_TRUE(Open().ok());
  history_->Record({Event(kStart, "pending", "a")});
  ASSERT_TRUE(history_->Flush().ok());
  // The next file is whole on disk when the process dies: its commit fails
  // and so does the clean-up (nothing runs after a crash).
  history_->Record({Event(kStart + 1, "firing", "a"), Event(kStart + 2, "pending", "b")});
  faults_.FailNth(Op::kLink, 1, EIO);  // CreateFileIfAbsent's step that creates the commit
  faults_.FailNth(Op::kRemove, 1, EIO);
  EXPECT_FALSE(history_->Flush().ok());
  faults_.SetDead(true);
  history_.reset();  // its last flush fails too: dead
  ASSERT_TRUE(faults_.DropUnsyncedData().ok());
  faults_.SetDead(false);
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(Rows().size(), 3u);
  EXPECT_EQ(history_->stats().version, 1);
}

TEST_F(AlertHistoryTest, APowerLossLosesNoCommittedEvent) {
  ASSERT_TRUE(Open().ok());
  for (int i = 0; i < 12; ++i) {  // past a checkpoint (every 10 versions)
    history_->Record({Event(kStart + i, "pending", std::to_string(i))});
    ASSERT_TRUE(history_->Flush().ok());
  }
  faults_.SetDead(true);
  history_.reset();
  ASSERT_TRUE(faults_.DropUnsyncedData().ok());
  faults_.SetDead(false);
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(Rows().size(), 12u);
}

TEST_F(AlertHistoryTest, LeftoversThatAreNotWholeEventsAreRemovedAndUnknownFilesStopTheStart) {
  ASSERT_TRUE(Open().ok());
  history_->Record({Event(kStart, "pending", "a")});
  ASSERT_TRUE(history_->Flush().ok());
  history_.reset();
  const fs::path day = dir_ / "alerts" / "day=2026-01-01";
  std::ofstream(day / "part-1-x.parquet.tmp") << "half";
  std::ofstream(day / "merged-1-y.parquet") << "a merge that never committed";
  ASSERT_TRUE(Open().ok());
  EXPECT_FALSE(fs::exists(day / "part-1-x.parquet.tmp"));
  EXPECT_FALSE(fs::exists(day / "merged-1-y.parquet"));
  EXPECT_EQ(Rows().size(), 1u);
  history_.reset();
  std::ofstream(day / "notes.txt") << "someone else's";
  Status st = Open();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("notes.txt is not a file MyTSDB writes"), std::string::npos) << st.ToString();
}

TEST_F(AlertHistoryTest, ATableWithAnotherSchemaIsRefused) {
  {
    auto samples = cold::DeltaTable::Open((dir_ / "alerts").string());
    ASSERT_TRUE(samples.ok());
    ASSERT_TRUE((*samples)->Commit({}).ok());  // the samples table's schema
  }
  Status st = Open();
  EXPECT_EQ(st.code(), StatusCode::kUnimplemented);
  EXPECT_NE(st.message().find("00000000000000000000.json: the table's schema is not the one"), std::string::npos)
      << st.ToString();
}

}  // namespace
}  // namespace mytsdb::history
