// The storage under injected faults: every file-system call a maintenance
// step makes (flush, persist, compaction, retention, Delta checkpoint, WAL
// rotation, backfill) is failed in turn, with EIO and with ENOSPC, as RocksDB
// and SQLite test themselves. After each fault two things must hold:
//
//   - the storage keeps running: the fault is reported, nothing acknowledged
//     is unreadable, and the step succeeds once the fault is gone (or, after
//     a commit of unknown durability, commits are refused until a restart);
//   - after a power loss right after the fault (every byte and directory
//     entry not yet synced is dropped), the storage opens again, every
//     acknowledged sample is there exactly once, nothing was invented, and
//     no file the log references is missing.
//
// The same checks run after each step without a fault, which is what shows a
// missing fsync (kill -9 alone never loses page-cache data).
//
// By default each call kind is failed at up to kSampledCalls evenly spread
// positions of the step; MYTSDB_FAULT_MATRIX=full fails every call
// (`make test-full`).
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "io/fault_injection_fs.h"
#include "storage/storage.h"

namespace mytsdb::storage {
namespace {

namespace stdfs = std::filesystem;
using io::FaultInjectionFileSystem;
using model::Labels;
using model::Sample;
using Op = FaultInjectionFileSystem::Op;

constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;
const int64_t kT = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int kSeries = 4;
constexpr int kSampledCalls = 4;

// What the generator wrote: the value of series i at t is a function of both,
// so that a stored sample can be checked for having been sent.
double ValueOf(int i, int64_t t) { return double(i) * 1e9 + double(t / 1000 % 1'000'003); }
Labels SeriesLabels(int i) { return Labels{{"__name__", "m"}, {"i", std::to_string(i)}}; }

// A data directory with a storage on a fault-injecting file system, and the
// samples acknowledged so far.
class Harness {
 public:
  explicit Harness(const stdfs::path& dir) : dir_(dir), clock_(kT + 2 * kDay) {
    stdfs::remove_all(dir_);
  }
  ~Harness() {
    storage_.reset();
    stdfs::remove_all(dir_);
  }

  // Opens the storage; on a new fault-injecting file system unless
  // `same_fs` (a restart whose own calls may fail).
  Status Open(bool same_fs = false) {
    if (!same_fs || !fs_) fs_ = std::make_unique<FaultInjectionFileSystem>(io::PosixFileSystem());
    StorageOptions o;
    o.data_dir = dir_.string();
    o.head.wal.fsync_mode = wal::FsyncMode::kAlways;  // acknowledged = durable
    o.head.wal.segment_size = segment_size_;
    o.persist_check_interval = std::chrono::milliseconds(0);
    o.delete_grace = std::chrono::milliseconds(0);
    o.clock = &clock_;
    o.fs = fs_.get();
    auto s = Storage::Open(o);
    if (!s.ok()) return s.status();
    storage_ = std::move(*s);
    return Status::OK();
  }

  // Appends one sample per series at each timestamp in [from, to) and
  // remembers what was acknowledged.
  void Ingest(int64_t from, int64_t to, int64_t step = kMin) {
    for (int64_t t = from; t < to; t += step) {
      std::vector<Labels> labels;
      std::vector<std::vector<Sample>> samples;
      for (int i = 0; i < kSeries; ++i) {
        labels.push_back(SeriesLabels(i));
        samples.push_back({{t, ValueOf(i, t)}});
      }
      std::vector<head::SeriesSamples> batch;
      for (int i = 0; i < kSeries; ++i) batch.push_back({&labels[i], samples[i]});
      StorageAppendResult r;
      Status st = storage_->Append(batch, {}, &r);
      for (int i = 0; i < kSeries; ++i) sent_.insert({i, t});
      if (st.ok() && r.rejected() == 0) {
        for (int i = 0; i < kSeries; ++i) acked_.insert({i, t});
      }
    }
  }

  // Every acknowledged sample newer than `min_time` is read back with its
  // value; every sample read was sent. Returns how many were read.
  size_t CheckReadable(int64_t min_time, const std::string& when) {
    model::Matchers ms = {
        model::Matcher::Make(model::MatchType::kEqual, "__name__", "m").MoveValue()};
    SeriesSelection series = storage_->Select(ms, {});
    std::vector<std::vector<Sample>> samples;
    Status st = storage_->ReadSamples(series, 0, series.size(), {}, &samples);
    EXPECT_TRUE(st.ok()) << when << ": " << st.ToString();
    std::set<std::pair<int, int64_t>> present;
    size_t n = 0;
    for (size_t k = 0; k < series.size(); ++k) {
      int i = std::stoi(std::string(series.label(k, "i")));
      for (const Sample& s : samples[k]) {
        ++n;
        EXPECT_TRUE(sent_.count({i, s.timestamp_ms})) << when << ": never sent " << i << "@" << s.timestamp_ms;
        EXPECT_EQ(std::bit_cast<uint64_t>(s.value), std::bit_cast<uint64_t>(ValueOf(i, s.timestamp_ms)))
            << when << ": wrong value " << i << "@" << s.timestamp_ms;
        EXPECT_TRUE(present.insert({i, s.timestamp_ms}).second) << when << ": twice";
      }
    }
    size_t missing = 0;
    for (const auto& a : acked_) {
      if (a.second >= min_time && !present.count(a)) ++missing;
    }
    EXPECT_EQ(missing, 0u) << when << ": acknowledged samples missing";
    return n;
  }

  // A power loss: the process dies (its shutdown writes nothing), then
  // whatever was not synced is gone.
  void PowerLoss() {
    fs_->SetDead(true);
    storage_.reset();
    Status st = fs_->DropUnsyncedData();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // After a restart: everything acknowledged is there exactly once (the
  // table's rows, once flushed and compacted, equal the samples read).
  void CheckAfterRestart(int64_t min_time, const std::string& when) {
    Status st = Open();
    ASSERT_TRUE(st.ok()) << when << ": does not open after the power loss: " << st.ToString();
    CheckReadable(min_time, when + ", after restart");
    // A later sample completes every day the scenarios write, so that
    // compaction merges each day into one file (no rows twice).
    Ingest(kT + 2 * kDay, kT + 2 * kDay + 1);
    ASSERT_TRUE(storage_->Flush().ok()) << when;
    ASSERT_TRUE(storage_->Compact().ok()) << when;
    size_t read = CheckReadable(min_time, when + ", after restart and compaction");
    EXPECT_EQ(storage_->cold_stats().rows, read) << when << ": rows in the table, read";
  }

  // Closes the storage (its shutdown may meet the armed fault) and opens it
  // again on the same file system.
  Status Restart() {
    storage_.reset();
    return Open(/*same_fs=*/true);
  }

  FaultInjectionFileSystem* fs() { return fs_.get(); }
  Storage* storage() { return storage_.get(); }
  io::ManualClock& clock() { return clock_; }
  void set_segment_size(size_t n) { segment_size_ = n; }

 private:
  stdfs::path dir_;
  io::ManualClock clock_;
  size_t segment_size_ = 128 << 10;
  std::unique_ptr<FaultInjectionFileSystem> fs_;
  std::unique_ptr<Storage> storage_;
  std::set<std::pair<int, int64_t>> sent_, acked_;
};

struct Scenario {
  const char* name;
  std::function<void(Harness*)> setup;  // runs without faults
  std::function<Status(Harness*)> step;  // runs with one fault armed
  int64_t min_time = INT64_MIN;          // acknowledged samples older than this may go
};

std::vector<Scenario> Scenarios() {
  std::vector<Scenario> out;
  out.push_back({"persist a block, truncate the head, checkpoint the WAL",
                 [](Harness* h) { h->Ingest(kT, kT + 5 * kHour); },
                 [](Harness* h) { return h->storage()->PersistDueBlocks(); }});
  out.push_back({"flush", [](Harness* h) { h->Ingest(kT, kT + 90 * kMin); },
                 [](Harness* h) { return h->storage()->Flush(); }});
  out.push_back({"compaction",
                 [](Harness* h) {
                   for (int hour = 0; hour < 3; ++hour) {
                     h->Ingest(kT + hour * kHour, kT + (hour + 1) * kHour, 5 * kMin);
                     ASSERT_TRUE(h->storage()->Flush().ok());
                   }
                   h->Ingest(kT + kDay, kT + kDay + kHour, 5 * kMin);
                   ASSERT_TRUE(h->storage()->Flush().ok());
                 },
                 [](Harness* h) { return h->storage()->Compact(); }});
  out.push_back({"retention",
                 [](Harness* h) {
                   h->Ingest(kT, kT + kHour, 5 * kMin);
                   ASSERT_TRUE(h->storage()->Flush().ok());
                   h->Ingest(kT + kDay, kT + kDay + kHour, 5 * kMin);
                   ASSERT_TRUE(h->storage()->Flush().ok());
                   // Day 1 is past the 15-day retention now, day 2 is not.
                   h->clock().Set(kT + 15 * kDay + 2 * kHour);
                 },
                 [](Harness* h) { return h->storage()->Compact(); }, kT + kDay});
  out.push_back({"Delta checkpoint (10th version)",
                 [](Harness* h) {
                   for (int v = 0; v < 10; ++v) {
                     h->Ingest(kT + v * 10 * kMin, kT + (v + 1) * 10 * kMin, 5 * kMin);
                     ASSERT_TRUE(h->storage()->Flush().ok());
                   }
                 },
                 [](Harness* h) {
                   h->Ingest(kT + 100 * kMin, kT + 110 * kMin, 5 * kMin);
                   return h->storage()->Flush();
                 }});
  out.push_back({"WAL segment rotation",
                 [](Harness* h) { h->Ingest(kT, kT + 10 * kMin); },
                 [](Harness* h) {
                   h->Ingest(kT + 10 * kMin, kT + 40 * kMin);
                   return Status::OK();
                 }});
  out.push_back({"restart (WAL replay, Delta log with a checkpoint, catalog)",
                 [](Harness* h) {
                   for (int v = 0; v < 11; ++v) {
                     h->Ingest(kT + v * 10 * kMin, kT + (v + 1) * 10 * kMin, 5 * kMin);
                     ASSERT_TRUE(h->storage()->Flush().ok());
                   }
                   h->Ingest(kT + 110 * kMin, kT + 150 * kMin);
                 },
                 [](Harness* h) { return h->Restart(); }});
  out.push_back({"backfill",
                 [](Harness* h) { h->Ingest(kT + 10 * kHour, kT + 11 * kHour, 5 * kMin); },
                 [](Harness* h) {
                   h->Ingest(kT, kT + 30 * kMin, 5 * kMin);  // far behind the head
                   return Status::OK();
                 }});
  return out;
}

bool FullMatrix() {
  const char* env = std::getenv("MYTSDB_FAULT_MATRIX");
  return env != nullptr && std::string(env) == "full";
}

// The call numbers to fail, of `count` calls: all, or a spread sample.
std::vector<int> CallsToFail(int count) {
  std::vector<int> out;
  if (FullMatrix() || count <= kSampledCalls) {
    for (int n = 1; n <= count; ++n) out.push_back(n);
    return out;
  }
  for (int k = 0; k < kSampledCalls; ++k) {
    out.push_back(1 + static_cast<int>(int64_t(k) * (count - 1) / (kSampledCalls - 1)));
  }
  return out;
}

constexpr Op kOps[] = {Op::kCreate, Op::kAppend, Op::kSync,   Op::kTruncate, Op::kRead,
                       Op::kRename, Op::kLink,   Op::kRemove, Op::kCreateDirs, Op::kSyncDir,
                       Op::kList};

class StorageFaultTest : public ::testing::TestWithParam<size_t> {
 protected:
  stdfs::path Dir(const std::string& suffix) const {
    return stdfs::temp_directory_path() /
           ("storage_fault_" + std::to_string(::getpid()) + "_" + std::to_string(GetParam()) +
            "_" + suffix);
  }
};

TEST_P(StorageFaultTest, EveryFaultLosesNothingAcknowledged) {
  const Scenario scenario = Scenarios()[GetParam()];
  SCOPED_TRACE(scenario.name);
  // 1. Without a fault: count the calls the step makes, then lose power
  //    right after it.
  std::map<Op, int> calls;
  {
    Harness h(Dir("probe"));
    h.set_segment_size(2 << 10);  // the steps' appends rotate WAL segments
    ASSERT_TRUE(h.Open().ok());
    scenario.setup(&h);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    std::map<Op, int> before;
    for (Op op : kOps) before[op] = h.fs()->calls(op);
    Status st = scenario.step(&h);
    ASSERT_TRUE(st.ok()) << st.ToString();
    for (Op op : kOps) calls[op] = h.fs()->calls(op) - before[op];
    h.CheckReadable(scenario.min_time, "no fault");
    h.PowerLoss();
    h.CheckAfterRestart(scenario.min_time, "power loss after the step");
  }

  // 2. Each call of each kind failed in turn.
  int cases = 0;
  for (Op op : kOps) {
    for (int n : CallsToFail(calls[op])) {
      for (int error : {EIO, ENOSPC}) {
        const std::string what = std::string(FaultInjectionFileSystem::OpName(op)) + " #" +
                                 std::to_string(n) + " fails with " +
                                 (error == EIO ? "EIO" : "ENOSPC");
        SCOPED_TRACE(what);
        ++cases;
        // Keeps running: reads work, the step succeeds once the fault is gone.
        {
          Harness h(Dir("run"));
          h.set_segment_size(2 << 10);
          ASSERT_TRUE(h.Open().ok());
          scenario.setup(&h);
          h.fs()->FailNth(op, n, error);
          Status st = scenario.step(&h);
          h.fs()->ClearFailures();
          if (h.storage() == nullptr) {
            // A restart refused: with a message, and it works once the fault
            // is gone.
            EXPECT_FALSE(st.message().empty());
            Status again = h.Open(/*same_fs=*/true);
            ASSERT_TRUE(again.ok()) << what << ": does not open once the fault is gone: "
                                    << again.ToString() << " (first: " << st.ToString() << ")";
          }
          h.CheckReadable(scenario.min_time, what);
          Status retry = scenario.step(&h);
          if (!h.storage()->cold_failure().ok() || !h.storage()->wal_failure().ok()) {
            // A commit whose durability is unknown, or a failed fsync of a
            // WAL segment: no more commits (appends) until a restart, which
            // recovers (below); a retry that needs neither may succeed.
            EXPECT_TRUE(retry.ok() || retry.code() == StatusCode::kUnavailable ||
                        !h.storage()->wal_failure().ok())
                << retry.ToString();
          } else {
            EXPECT_TRUE(retry.ok()) << what << ": the step fails after the fault is gone: "
                                    << retry.ToString() << " (first: " << st.ToString() << ")";
          }
          h.CheckReadable(scenario.min_time, what + ", after the retry");
          h.PowerLoss();
          h.CheckAfterRestart(scenario.min_time, what + ", power loss after the retry");
        }
        // Power loss right after the fault.
        {
          Harness h(Dir("crash"));
          h.set_segment_size(2 << 10);
          ASSERT_TRUE(h.Open().ok());
          scenario.setup(&h);
          h.fs()->FailNth(op, n, error);
          (void)scenario.step(&h);
          if (h.storage() == nullptr) h.fs()->SetDead(true);  // the refused restart exits
          h.PowerLoss();
          h.CheckAfterRestart(scenario.min_time, what + ", power loss right after it");
        }
        if (::testing::Test::HasFailure()) return;  // the first failing case says enough
      }
    }
  }
  EXPECT_GT(cases, 10) << "the step makes too few calls to test anything";
}

TEST(StorageDiskFullTest, WritesAreRefusedReadsGoOnAndIngestionResumesWithSpace) {
  Harness h(stdfs::temp_directory_path() / ("storage_disk_full_" + std::to_string(::getpid())));
  h.set_segment_size(2 << 10);
  ASSERT_TRUE(h.Open().ok());
  h.Ingest(kT, kT + 30 * kMin);
  h.fs()->SetDiskFull(true);
  // Appends fail as ResourceExhausted (the HTTP API answers 503), whether the
  // WAL write or a new segment meets the full disk; nothing half-applied.
  Labels l = SeriesLabels(0);
  for (int k = 0; k < 20; ++k) {
    std::vector<Sample> one = {{kT + 30 * kMin + k * 1000, ValueOf(0, kT + 30 * kMin + k * 1000)}};
    head::SeriesSamples item{&l, one};
    StorageAppendResult r;
    Status st = h.storage()->Append({&item, 1}, {}, &r);
    EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
  }
  EXPECT_EQ(h.storage()->Flush().code(), StatusCode::kResourceExhausted);
  // Reads go on.
  EXPECT_EQ(h.CheckReadable(INT64_MIN, "disk full"), size_t(30 * kSeries));
  // Space returns: ingestion and maintenance resume by themselves.
  h.fs()->SetDiskFull(false);
  h.Ingest(kT + 31 * kMin, kT + 60 * kMin);
  EXPECT_TRUE(h.storage()->Flush().ok());
  EXPECT_TRUE(h.storage()->wal_failure().ok());
  EXPECT_TRUE(h.storage()->cold_failure().ok());
  h.CheckReadable(INT64_MIN, "space back");
  h.PowerLoss();
  h.CheckAfterRestart(INT64_MIN, "disk full, then power loss");
}

std::string StepName(const ::testing::TestParamInfo<size_t>& info) {
  static const char* kNames[] = {"Persist",     "Flush",   "Compaction", "Retention",
                                 "DeltaCheckpoint", "WalRotation", "Restart", "Backfill"};
  return kNames[info.param];
}

INSTANTIATE_TEST_SUITE_P(Steps, StorageFaultTest, ::testing::Range<size_t>(0, 8), StepName);

}  // namespace
}  // namespace mytsdb::storage
