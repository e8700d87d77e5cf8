// Fuzzes the SQL request path: any text, as /api/v1/sql receives it, through
// the sandbox's checks, DuckDB, MyTSDB's tables (filter pushdown included),
// promql() and the helpers, and the JSON and CSV writers. Invariants: no
// crash or undefined behaviour, and no file written: the data directory
// holds the same files after every input.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "io/clock.h"
#include "model/labels.h"
#include "sql/engine.h"
#include "sql/result_writer.h"
#include "storage/storage.h"

namespace {

namespace fs = std::filesystem;
using namespace mytsdb;

std::set<std::string> Files(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.insert(e.path().string());
  return out;
}

struct Environment {
  fs::path dir;
  io::ManualClock clock{1'767'225'600'000 + 3 * 86'400'000LL};
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<sql::SqlEngine> engine;
  std::set<std::string> files;

  Environment() {
    dir = fs::temp_directory_path() / ("sql_fuzz_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    storage::StorageOptions options;
    options.data_dir = dir.string();
    options.head.wal.fsync_mode = wal::FsyncMode::kNever;
    options.persist_check_interval = std::chrono::milliseconds(0);
    options.clock = &clock;
    storage = storage::Storage::Open(options).MoveValue();
    // Counters, histogram buckets and gauges over two days, half of them
    // persisted to the cold tier, the rest in the head.
    const int64_t t0 = 1'767'225'600'000;
    for (int part = 0; part < 2; ++part) {
      for (int s = 0; s < 12; ++s) {
        model::Labels labels{{"__name__", s < 6 ? "req_total" : "lat_bucket"},
                             {"job", s % 2 ? "api" : "web"},
                             {"le", std::to_string(0.1 * (s % 6 + 1))}};
        std::vector<model::Sample> samples;
        for (int i = 0; i < 200; ++i) {
          samples.push_back({t0 + part * 86'400'000LL + i * 60'000, double(i * (s + 1))});
        }
        head::SeriesSamples item{&labels, samples};
        storage::StorageAppendResult r;
        if (!storage->Append({&item, 1}, {}, &r).ok()) std::abort();
      }
      if (part == 0 && !storage->Flush().ok()) std::abort();
    }
    engine = sql::SqlEngine::Open(
        storage.get(), dir.string(),
        {.memory_limit_bytes = 256 << 20, .threads = 1, .timeout = std::chrono::seconds(2)}).MoveValue();
    files = Files(dir);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Environment* env = new Environment();
  if (size > 4096) return 0;
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  for (sql::ResultFormat format : {sql::ResultFormat::kJson, sql::ResultFormat::kCsv}) {
    auto cursor = env->engine->Execute(query, {});
    if (!cursor.ok()) break;
    size_t bytes = 0;
    auto written = sql::WriteResult(**cursor, std::nullopt, format, 1000, [&](std::string_view piece) {
      bytes += piece.size();
      return bytes < (1 << 20);
    });
    (void)written;
  }
  if (Files(env->dir) != env->files) {
    std::fprintf(stderr, "sql_fuzz: a query changed the files of the data directory\n");
    std::abort();
  }
  return 0;
}
