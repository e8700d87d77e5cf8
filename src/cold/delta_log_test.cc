#include "cold/delta_log.h"
#include "cold/delta_history.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <atomic>
#include <map>
#include <thread>
#include <sstream>

namespace mytsdb::cold {
namespace {

namespace fs = std::filesystem;

class DeltaLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("delta_log_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string ReadCommit(int64_t version) {
    std::ifstream in(dir_ / "_delta_log" / CommitFileName(version));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  static AddFile File(const std::string& name, int64_t min_ts, int64_t max_ts) {
    AddFile f;
    f.day = DayOf(min_ts);
    f.path = "day=" + f.day + "/" + name;
    f.size_bytes = 1234;
    f.num_records = 10;
    f.min_ts = min_ts;
    f.max_ts = max_ts;
    f.has_mytsdb_tags = true;
    return f;
  }

  fs::path dir_;
};

TEST(DeltaNamesTest, DayAndCommitFileName) {
  EXPECT_EQ(DayOf(0), "1970-01-01");
  EXPECT_EQ(DayOf(86'400'000 - 1), "1970-01-01");
  EXPECT_EQ(DayOf(86'400'000), "1970-01-02");
  EXPECT_EQ(DayOf(-1), "1969-12-31");
  EXPECT_EQ(DayOf(1'767'225'600'000), "2026-01-01");
  EXPECT_EQ(CommitFileName(0), "00000000000000000000.json");
  EXPECT_EQ(CommitFileName(123), "00000000000000000123.json");
}

TEST_F(DeltaLogTest, EmptyDirectoryIsEmptyTable) {
  auto table = DeltaTable::Open(dir_.string());
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((*table)->version(), -1);
  EXPECT_TRUE((*table)->files().empty());
}

TEST_F(DeltaLogTest, CommitsAreReadBackAfterReopen) {
  {
    auto table = DeltaTable::Open(dir_.string()).value();
    AddFile a = File("a.parquet", 1'000, 2'000);
    ASSERT_TRUE(table->Commit({.adds = {a}, .label_columns = {"job", "instance"}}).ok());
    AddFile b = File("b.parquet", 3'000, 4'000);
    ASSERT_TRUE(table->Commit({.adds = {b}, .label_columns = {"job", "mode"}, .watermark = 7200000}).ok());
    EXPECT_EQ(table->version(), 1);
    // Compaction: b and a replaced by c in one commit.
    AddFile c = File("c.parquet", 1'000, 4'000);
    ASSERT_TRUE(table->Commit({.adds = {c}, .removes = {a.path, b.path}, .operation = "OPTIMIZE"}).ok());
  }
  auto table = DeltaTable::Open(dir_.string()).value();
  EXPECT_EQ(table->version(), 2);
  EXPECT_EQ(table->watermark(), 7200000);
  ASSERT_EQ(table->files().size(), 1u);
  const AddFile& c = table->files().begin()->second;
  EXPECT_EQ(c.path, "day=1970-01-01/c.parquet");
  EXPECT_EQ(c.min_ts, 1'000);
  EXPECT_EQ(c.max_ts, 4'000);
  EXPECT_EQ(c.num_records, 10);
  EXPECT_EQ(c.size_bytes, 1234);
  EXPECT_EQ(c.version, 2);
  EXPECT_EQ(table->label_columns(), (std::vector<std::string>{"job", "instance", "mode"}));
}

TEST_F(DeltaLogTest, FirstCommitHasProtocolAndMetadataLaterOnlyOnSchemaChange) {
  auto table = DeltaTable::Open(dir_.string()).value();
  AddFile a = File("a.parquet", 0, 1);
  ASSERT_TRUE(table->Commit({.adds = {a}, .label_columns = {"job"}}).ok());
  AddFile b = File("b.parquet", 0, 1);
  ASSERT_TRUE(table->Commit({.adds = {b}, .label_columns = {"job"}}).ok());
  AddFile c = File("c.parquet", 0, 1);
  ASSERT_TRUE(table->Commit({.adds = {c}, .label_columns = {"zone"}}).ok());

  std::string v0 = ReadCommit(0), v1 = ReadCommit(1), v2 = ReadCommit(2);
  EXPECT_NE(v0.find("\"protocol\""), std::string::npos);
  EXPECT_NE(v0.find("\"metaData\""), std::string::npos);
  EXPECT_EQ(v1.find("\"metaData\""), std::string::npos);
  EXPECT_EQ(v1.find("\"protocol\""), std::string::npos);
  EXPECT_NE(v2.find("\"metaData\""), std::string::npos);
  // Every line is a JSON object; the table id stays the same across metaData.
  std::string ids[2];
  int n = 0;
  for (const std::string& commit : {v0, v2}) {
    std::istringstream lines(commit);
    std::string line;
    while (std::getline(lines, line)) {
      rapidjson::Document doc;
      doc.Parse(line.c_str());
      ASSERT_FALSE(doc.HasParseError()) << line;
      if (doc.HasMember("metaData")) ids[n++] = doc["metaData"]["id"].GetString();
    }
  }
  ASSERT_EQ(n, 2);
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_EQ(ids[0].size(), 36u);
}

TEST_F(DeltaLogTest, ALosingWriterCatchesUpAndCommitsNext) {
  // Two writers that both think they are at version -1: the second loses
  // version 0, reads it, and commits version 1 with the schemas merged.
  auto first = DeltaTable::Open(dir_.string()).value();
  auto second = DeltaTable::Open(dir_.string()).value();
  first->set_writer("w1");
  second->set_writer("w2");
  AddFile a = File("a.parquet", 0, 1);
  ASSERT_TRUE(first->Commit({.adds = {a}, .label_columns = {"job"}, .watermark = 100}).ok());
  AddFile b = File("b.parquet", 0, 1);
  bool committed = false;
  Status st =
      second->Commit({.adds = {b}, .label_columns = {"instance"}, .watermark = 200}, &committed);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(committed);
  EXPECT_EQ(second->version(), 1);
  auto reopened = DeltaTable::Open(dir_.string()).value();
  EXPECT_EQ(reopened->version(), 1);
  EXPECT_EQ(reopened->files().size(), 2u);
  EXPECT_EQ(reopened->label_columns(), (std::vector<std::string>{"job", "instance"}));
  // Each writer keeps its own watermark.
  EXPECT_EQ(reopened->transactions(),
            (std::map<std::string, int64_t>{{"mytsdb.head/w1", 100}, {"mytsdb.head/w2", 200}}));
  reopened->set_writer("w1");
  EXPECT_EQ(reopened->watermark(), 100);
  reopened->set_writer("w2");
  EXPECT_EQ(reopened->watermark(), 200);
  reopened->set_writer("");
  EXPECT_EQ(reopened->watermark(), INT64_MIN);
  // first catches up on demand.
  ASSERT_TRUE(first->Refresh().ok());
  EXPECT_EQ(first->version(), 1);
  EXPECT_EQ(first->files().size(), 2u);
  for (const auto& e : fs::directory_iterator(dir_ / "_delta_log")) {
    EXPECT_FALSE(e.path().filename().string().ends_with(".tmp")) << e.path();
  }
}

TEST_F(DeltaLogTest, RemovingWhatAWinnerRemovedConflicts) {
  auto setup = DeltaTable::Open(dir_.string()).value();
  AddFile a = File("a.parquet", 0, 1), b = File("b.parquet", 0, 1);
  ASSERT_TRUE(setup->Commit({.adds = {a, b}}).ok());
  auto compactor = DeltaTable::Open(dir_.string()).value();
  auto retention = DeltaTable::Open(dir_.string()).value();
  AddFile merged = File("merged.parquet", 0, 1);
  ASSERT_TRUE(compactor->Commit({.adds = {merged}, .removes = {a.path, b.path},
                                 .operation = "OPTIMIZE"}).ok());
  Status st = retention->Commit({.removes = {a.path}, .operation = "DELETE"});
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists) << st.ToString();
  EXPECT_NE(st.message().find("conflict: " + a.path + " was removed"), std::string::npos) << st.ToString();
  // Nothing of the loser was written; it knows the winner's state now.
  EXPECT_EQ(retention->version(), 1);
  auto reopened = DeltaTable::Open(dir_.string()).value();
  EXPECT_EQ(reopened->version(), 1);
  EXPECT_EQ(reopened->files().count(merged.path), 1u);
  // A re-add of a removed file (new statistics) would revive it: conflict.
  auto stale = DeltaTable::Open(dir_.string()).value();
  auto remover = DeltaTable::Open(dir_.string()).value();
  ASSERT_TRUE(remover->Commit({.removes = {merged.path}}).ok());
  AddFile readd = merged;
  readd.data_change = false;
  EXPECT_EQ(stale->Commit({.adds = {readd}, .operation = "COMPUTE STATS"}).code(),
            StatusCode::kAlreadyExists);
}

TEST_F(DeltaLogTest, TwoProcessesWithOneWriterNameConflict) {
  auto one = DeltaTable::Open(dir_.string()).value();
  auto two = DeltaTable::Open(dir_.string()).value();
  one->set_writer("same");
  two->set_writer("same");
  ASSERT_TRUE(one->Commit({.adds = {File("a.parquet", 0, 1)}, .watermark = 10}).ok());
  Status st = two->Commit({.adds = {File("b.parquet", 0, 1)}, .watermark = 20});
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(st.message().find("two servers share one writer name"), std::string::npos) << st.ToString();
}

TEST_F(DeltaLogTest, ACompactionConflictsWithRowsAddedToItsWindowMeanwhile) {
  auto setup = DeltaTable::Open(dir_.string()).value();
  AddFile a = File("a.parquet", 0, 100), b = File("b.parquet", 101, 200);
  ASSERT_TRUE(setup->Commit({.adds = {a, b}}).ok());
  auto compactor = DeltaTable::Open(dir_.string()).value();
  auto writer = DeltaTable::Open(dir_.string()).value();
  // Rows outside the window: the merge retries on top of them.
  ASSERT_TRUE(writer->Commit({.adds = {File("later.parquet", 500, 600)}}).ok());
  ASSERT_TRUE(compactor->Commit({.adds = {File("merged.parquet", 0, 200)}, .removes = {a.path, b.path},
                                 .rewrites = model::TimeRange{0, 299}, .operation = "OPTIMIZE"}).ok());
  // Rows inside it (a late flush): the merged file would outrank them.
  ASSERT_TRUE(writer->Commit({.adds = {File("late.parquet", 250, 260)}}).ok());
  Status st = compactor->Commit({.adds = {File("merged2.parquet", 0, 200)},
                                 .removes = {"day=1970-01-01/merged.parquet"},
                                 .rewrites = model::TimeRange{0, 299}, .operation = "OPTIMIZE"});
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists) << st.ToString();
  EXPECT_NE(st.message().find("added rows to the window being compacted"), std::string::npos)
      << st.ToString();
  // A file of another engine has no known bounds: it conflicts too.
  AddFile foreign = File("foreign.parquet", 0, 0);
  foreign.has_mytsdb_tags = false;
  ASSERT_TRUE(writer->Commit({.adds = {foreign}}).ok());
  EXPECT_EQ(compactor->Commit({.adds = {File("merged3.parquet", 500, 600)},
                               .removes = {"day=1970-01-01/later.parquet"},
                               .rewrites = model::TimeRange{400, 700}, .operation = "OPTIMIZE"})
                .code(),
            StatusCode::kAlreadyExists);
}

TEST_F(DeltaLogTest, TwoCompactorLeaseClaimsRacingOneWins) {
  auto one = DeltaTable::Open(dir_.string()).value();
  auto two = DeltaTable::Open(dir_.string()).value();
  one->set_writer("one");
  two->set_writer("two");
  ASSERT_TRUE(one->Commit({.compactor_lease_until = 5000, .operation = "COMPACTOR LEASE"}).ok());
  Status st = two->Commit({.compactor_lease_until = 6000, .operation = "COMPACTOR LEASE"});
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists) << st.ToString();
  EXPECT_NE(st.message().find("writer \"one\" claimed the compactor's lease"), std::string::npos)
      << st.ToString();
  // Its own renewal does not conflict with itself, and the lease is a txn
  // that checkpoints keep.
  ASSERT_TRUE(one->Commit({.compactor_lease_until = 7000, .operation = "COMPACTOR LEASE"}).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(two->Commit({.adds = {File("f" + std::to_string(i) + ".parquet", 0, 1)}}).ok());
  auto reopened = DeltaTable::Open(dir_.string()).value();
  EXPECT_GE(reopened->last_checkpoint(), 10);
  EXPECT_EQ(reopened->transactions().at("mytsdb.compactor/one"), 7000);
  EXPECT_EQ(reopened->transactions().count("mytsdb.compactor/two"), 0u);
}

TEST_F(DeltaLogTest, ConcurrentWritersEachCommitEverything) {
  // Four writers append concurrently; every commit lands exactly once, the
  // versions run without a gap, and the checkpoints keep every watermark.
  constexpr int kWriters = 4, kCommits = 12;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto table = DeltaTable::Open(dir_.string()).value();
      table->set_writer("w" + std::to_string(w));
      for (int i = 0; i < kCommits; ++i) {
        AddFile f = File("w" + std::to_string(w) + "-" + std::to_string(i) + ".parquet", 0, 1);
        if (!table->Commit({.adds = {f}, .label_columns = {"l" + std::to_string(w)},
                            .watermark = i}).ok()) {
          failures++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto table = DeltaTable::Open(dir_.string()).value();
  EXPECT_EQ(table->version(), kWriters * kCommits - 1);
  EXPECT_EQ(table->files().size(), static_cast<size_t>(kWriters * kCommits));
  EXPECT_EQ(table->label_columns().size(), static_cast<size_t>(kWriters));
  EXPECT_GE(table->last_checkpoint(), 40);
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(table->transactions().at("mytsdb.head/w" + std::to_string(w)), kCommits - 1);
  }
}

TEST_F(DeltaLogTest, GapInVersionsIsCorruption) {
  {
    auto table = DeltaTable::Open(dir_.string()).value();
    for (int i = 0; i < 3; ++i) {
      AddFile f = File("f" + std::to_string(i) + ".parquet", 0, 1);
      ASSERT_TRUE(table->Commit({.adds = {f}}).ok());
    }
  }
  fs::remove(dir_ / "_delta_log" / CommitFileName(1));
  auto table = DeltaTable::Open(dir_.string());
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kCorruption);
  EXPECT_NE(table.status().message().find("version 1 is missing"), std::string::npos)
      << table.status().ToString();
}

TEST_F(DeltaLogTest, GarbageLineIsCorruption) {
  fs::create_directories(dir_ / "_delta_log");
  std::ofstream(dir_ / "_delta_log" / CommitFileName(0)) << "{\"add\": {\"path\": \"x\"}}\nnot json\n";
  auto table = DeltaTable::Open(dir_.string());
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kCorruption);
}

TEST_F(DeltaLogTest, CheckpointsEveryTenVersionsAndOpenStartsFromThem) {
  std::map<std::string, AddFile> want;
  {
    auto table = DeltaTable::Open(dir_.string()).value();
    for (int v = 0; v < 25; ++v) {
      AddFile f = File("f" + std::to_string(v) + ".parquet", v * 1000, v * 1000 + 999);
      CommitRequest req{.adds = {f}, .label_columns = {"l" + std::to_string(v % 3)},
                        .watermark = v * 1000};
      if (v == 12) req.removes = {File("f3.parquet", 0, 0).path};
      ASSERT_TRUE(table->Commit(req).ok());
      f.version = v;
      want[f.path] = f;
      if (v == 12) want.erase(File("f3.parquet", 0, 0).path);
    }
    EXPECT_EQ(table->last_checkpoint(), 20);
  }
  fs::path log = dir_ / "_delta_log";
  EXPECT_TRUE(fs::exists(log / "00000000000000000010.checkpoint.parquet"));
  EXPECT_TRUE(fs::exists(log / "00000000000000000020.checkpoint.parquet"));
  EXPECT_TRUE(fs::exists(log / "_last_checkpoint"));
  auto check = [&](const DeltaTable& t) {
    EXPECT_EQ(t.version(), 24);
    EXPECT_EQ(t.watermark(), 24'000);
    EXPECT_EQ(t.label_columns(), (std::vector<std::string>{"l0", "l1", "l2"}));
    ASSERT_EQ(t.files().size(), want.size());
    for (const auto& [path, f] : want) {
      auto it = t.files().find(path);
      ASSERT_NE(it, t.files().end()) << path;
      EXPECT_EQ(it->second.version, f.version) << path;
      EXPECT_EQ(it->second.min_ts, f.min_ts) << path;
      EXPECT_EQ(it->second.max_ts, f.max_ts) << path;
      EXPECT_EQ(it->second.num_records, f.num_records) << path;
      EXPECT_EQ(it->second.size_bytes, f.size_bytes) << path;
      EXPECT_EQ(it->second.day, f.day) << path;
    }
  };
  check(*DeltaTable::Open(dir_.string()).value());
  // Commits before the checkpoint may be cleaned up by any Delta tool.
  for (int v = 0; v <= 20; ++v) fs::remove(log / CommitFileName(v));
  auto reopened = DeltaTable::Open(dir_.string());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  check(**reopened);
  // And the table goes on from there.
  AddFile g = File("g.parquet", 0, 1);
  ASSERT_TRUE((*reopened)->Commit({.adds = {g}}).ok());
  EXPECT_EQ(DeltaTable::Open(dir_.string()).value()->files().count(g.path), 1u);
}

// Every file of the log directory and its contents, to show that a refused
// open changed nothing.
std::map<std::string, std::string> Snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    out[e.path().string()] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  return out;
}

TEST_F(DeltaLogTest, UnreadableOrEmptyCommitRefusesToOpenAndChangesNothing) {
  {
    auto table = DeltaTable::Open(dir_.string()).value();
    ASSERT_TRUE(table->Commit({.adds = {File("a.parquet", 0, 1)}}).ok());
    ASSERT_TRUE(table->Commit({.adds = {File("b.parquet", 0, 1)}}).ok());
  }
  const fs::path commit = dir_ / "_delta_log" / CommitFileName(1);
  std::ofstream(commit, std::ios::trunc).close();  // empty
  auto before = Snapshot(dir_);
  auto table = DeltaTable::Open(dir_.string());
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kCorruption);
  EXPECT_NE(table.status().message().find(commit.string()), std::string::npos)
      << table.status().ToString();
  EXPECT_EQ(Snapshot(dir_), before);

  // A commit that cannot be read is not taken for an empty one either.
  fs::remove(commit);
  fs::create_directory(commit);
  table = DeltaTable::Open(dir_.string());
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find(CommitFileName(1)), std::string::npos)
      << table.status().ToString();
}

TEST_F(DeltaLogTest, CorruptCheckpointRefusesToOpenButAMissingHintDoesNot) {
  {
    auto table = DeltaTable::Open(dir_.string()).value();
    for (int v = 0; v < 12; ++v) {
      ASSERT_TRUE(table->Commit({.adds = {File("f" + std::to_string(v) + ".parquet", 0, 1)}}).ok());
    }
  }
  const fs::path log = dir_ / "_delta_log";
  // _last_checkpoint is only a hint: gone or garbage, the table still opens.
  fs::remove(log / "_last_checkpoint");
  auto table = DeltaTable::Open(dir_.string());
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((*table)->version(), 11);
  EXPECT_EQ((*table)->files().size(), 12u);
  // A checkpoint that does not decode is refused, naming it.
  const fs::path cp = log / CheckpointFileName(10);
  std::ofstream(cp, std::ios::trunc) << "PAR1 not really";
  auto before = Snapshot(dir_);
  table = DeltaTable::Open(dir_.string());
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), StatusCode::kCorruption) << table.status().ToString();
  EXPECT_NE(table.status().message().find(cp.string()), std::string::npos);
  EXPECT_EQ(Snapshot(dir_), before);
}

TEST_F(DeltaLogTest, FeaturesMyTsdbLacksAreRefusedAtOpen) {
  const fs::path log = dir_ / "_delta_log";
  fs::create_directories(log);
  const std::string meta =
      R"({"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":["day"],"configuration":{},"createdTime":1}})";
  auto open_with = [&](const std::string& lines) {
    std::ofstream(log / CommitFileName(0), std::ios::trunc) << lines;
    return DeltaTable::Open(dir_.string());
  };
  auto dv = open_with(R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}})"
                      "\n" + meta + "\n");
  ASSERT_FALSE(dv.ok());
  EXPECT_EQ(dv.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(dv.status().message().find("deletionVectors"), std::string::npos);
  auto dv_add = open_with(R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})" "\n" + meta +
                          "\n" R"({"add":{"path":"day=1970-01-01/a.parquet","partitionValues":{"day":"1970-01-01"},"size":1,"modificationTime":1,"dataChange":true,"deletionVector":{"storageType":"u"}}})" "\n");
  ASSERT_FALSE(dv_add.ok());
  EXPECT_NE(dv_add.status().message().find("deletion vector"), std::string::npos);
  auto escape = open_with(R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})" "\n" + meta +
                          "\n" R"({"add":{"path":"../../etc/passwd","partitionValues":{"day":"1970-01-01"},"size":1,"modificationTime":1,"dataChange":true}})" "\n");
  ASSERT_FALSE(escape.ok());
  EXPECT_NE(escape.status().message().find("leaves the table directory"), std::string::npos)
      << escape.status().ToString();
  auto append_only = open_with(R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})" "\n" +
                               std::string(R"({"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":["day"],"configuration":{"delta.appendOnly":"true"},"createdTime":1}})") + "\n");
  ASSERT_FALSE(append_only.ok());
  EXPECT_NE(append_only.status().message().find("append-only"), std::string::npos);
  // A label column named like a decimal value column (written before those
  // existed) would be misread: refused, naming the column.
  auto label_value_int = open_with(R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})" "\n" +
      std::string(R"({"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"value_int\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":["day"],"configuration":{},"createdTime":1}})") + "\n");
  ASSERT_FALSE(label_value_int.ok());
  EXPECT_EQ(label_value_int.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(label_value_int.status().message().find("label column value_int"), std::string::npos)
      << label_value_int.status().ToString();
}

TEST_F(DeltaLogTest, ATableFromBeforeDecimalValuesGainsTheirColumnsWithItsNextCommit) {
  auto table = DeltaTable::Open(dir_.string()).value();
  ASSERT_TRUE(table->Commit({.adds = {File("a.parquet", 0, 1)}, .label_columns = {"job"}}).ok());
  // The schema as MyTSDB 0.1 wrote it: a required value, no decimal columns.
  const fs::path commit = dir_ / "_delta_log" / CommitFileName(0);
  std::string v0 = ReadCommit(0);
  const std::string now = R"({\"name\":\"value\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}},{\"name\":\"value_int\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"value_div\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}})";
  const std::string before = R"({\"name\":\"value\",\"type\":\"double\",\"nullable\":false,\"metadata\":{}})";
  ASSERT_NE(v0.find(now), std::string::npos) << v0;
  v0.replace(v0.find(now), now.size(), before);
  std::ofstream(commit, std::ios::trunc) << v0;
  table = DeltaTable::Open(dir_.string()).value();
  ASSERT_TRUE(table->Commit({.adds = {File("b.parquet", 0, 1)}, .label_columns = {"job"}}).ok());
  EXPECT_NE(ReadCommit(1).find(now), std::string::npos) << ReadCommit(1);
  // Once there, later commits carry no metaData.
  ASSERT_TRUE(table->Commit({.adds = {File("c.parquet", 0, 1)}, .label_columns = {"job"}}).ok());
  EXPECT_EQ(ReadCommit(2).find("metaData"), std::string::npos);
}

TEST_F(DeltaLogTest, StatisticsColumnsAreATablePropertyAndStatsAreWrittenAsGiven) {
  auto table = DeltaTable::Open(dir_.string()).value();
  AddFile a = File("a.parquet", 0, 1);
  a.stats_json = R"({"numRecords":10,"minValues":{},"maxValues":{},"nullCount":{}})";
  ASSERT_TRUE(table->Commit({.adds = {a}, .label_columns = {"job", "a.b"}}).ok());
  EXPECT_EQ(table->configuration().at(kStatsColumnsProperty), "metric,series_id,ts,job,`a.b`");
  std::string v0 = ReadCommit(0);
  EXPECT_NE(v0.find("dataSkippingStatsColumns"), std::string::npos);
  auto reopened = DeltaTable::Open(dir_.string()).value();
  EXPECT_EQ(reopened->files().at(a.path).stats_json, a.stats_json);
  // A re-add refreshing statistics keeps the rows' version.
  AddFile again = reopened->files().at(a.path);
  again.data_change = false;
  again.version = -1;
  again.stats_json = R"({"numRecords":10,"minValues":{},"maxValues":{},"nullCount":{"job":10}})";
  ASSERT_TRUE(reopened->Commit({.adds = {File("b.parquet", 0, 1)}}).ok());
  ASSERT_TRUE(reopened->Commit({.adds = {again}}).ok());
  auto third = DeltaTable::Open(dir_.string()).value();
  EXPECT_EQ(third->files().at(a.path).version, 0);
  EXPECT_EQ(third->files().at(a.path).stats_json, again.stats_json);
}

TEST_F(DeltaLogTest, RemovedFilesAreTombstonesAlsoAcrossCheckpoints) {
  {
    auto table = DeltaTable::Open(dir_.string()).value();
    ASSERT_TRUE(table->Commit({.adds = {File("gone.parquet", 0, 1)}}).ok());
    ASSERT_TRUE(table->Commit({.removes = {File("gone.parquet", 0, 1).path}}).ok());
    for (int v = 2; v <= 10; ++v) {
      ASSERT_TRUE(table->Commit({.adds = {File("f" + std::to_string(v) + ".parquet", 0, 1)}}).ok());
    }
    EXPECT_EQ(table->last_checkpoint(), 10);
  }
  for (int v = 0; v <= 10; ++v) fs::remove(dir_ / "_delta_log" / CommitFileName(v));
  auto table = DeltaTable::Open(dir_.string()).value();
  EXPECT_EQ(table->tombstones().count(File("gone.parquet", 0, 1).path), 1u);
  EXPECT_EQ(table->files().count(File("gone.parquet", 0, 1).path), 0u);
}

}  // namespace
}  // namespace mytsdb::cold

namespace mytsdb::cold {
namespace {

TEST(DeltaHistoryTest, SummarizesCommitsNewestFirstAndStopsAtCleanedOnes) {
  const std::string dir = ::testing::TempDir() + "/delta_history_test";
  std::filesystem::remove_all(dir);
  auto table = DeltaTable::Open(dir);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  AddFile a{.path = "day=2026-01-01/a.parquet", .day = "2026-01-01", .size_bytes = 100, .num_records = 10,
            .min_ts = 1, .max_ts = 2, .has_mytsdb_tags = true};
  AddFile b = a;
  b.path = "day=2026-01-02/b.parquet";
  b.day = "2026-01-02";
  b.size_bytes = 300;
  b.num_records = 30;
  ASSERT_TRUE((*table)->Commit({.adds = {a, b}}).ok());
  ASSERT_TRUE((*table)->Commit({.removes = {a.path},
                                .operation = "DELETE",
                                .operation_parameters = {{"reason", "retention"}}})
                  .ok());

  auto history = ReadCommitHistory(io::PosixFileSystem(), dir, (*table)->version(), 10);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 2u);
  const CommitSummary& retention = (*history)[0];
  EXPECT_EQ(retention.version, 1);
  EXPECT_EQ(retention.operation, "DELETE");
  EXPECT_EQ(retention.parameters, (std::map<std::string, std::string>{{"reason", "retention"}}));
  EXPECT_EQ(retention.files_removed, 1u);
  EXPECT_EQ(retention.files_added, 0u);
  const CommitSummary& write = (*history)[1];
  EXPECT_EQ(write.operation, "WRITE");
  EXPECT_EQ(write.files_added, 2u);
  EXPECT_EQ(write.bytes_added, 400u);
  EXPECT_EQ(write.rows_added, 40u);
  EXPECT_GT(write.timestamp_ms, 0);
  EXPECT_TRUE(write.parameters.empty());

  // The limit, and a log whose old commits were cleaned up.
  EXPECT_EQ(ReadCommitHistory(io::PosixFileSystem(), dir, 1, 1)->size(), 1u);
  std::filesystem::remove(dir + "/_delta_log/" + CommitFileName(0));
  EXPECT_EQ(ReadCommitHistory(io::PosixFileSystem(), dir, 1, 10)->size(), 1u);
  // A commit file that is not one is an error naming it.
  std::ofstream(dir + "/_delta_log/" + CommitFileName(1)) << "not json\n";
  auto bad = ReadCommitHistory(io::PosixFileSystem(), dir, 1, 10);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(CommitFileName(1)), std::string::npos);

  auto days = SummarizeDays({b, a});
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, "2026-01-01");
  EXPECT_EQ(days[1].rows, 30u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mytsdb::cold
