// Fuzzes the PostgreSQL protocol: any bytes, as a client connection sends
// them, through a session (start-up, simple and extended queries, every
// message parser) over a SQL engine with a small table. No crash, no
// undefined behaviour, no hang: the session ends when the bytes do.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "io/clock.h"
#include "model/labels.h"
#include "pgwire/session.h"
#include "sql/engine.h"
#include "storage/storage.h"

namespace {

namespace fs = std::filesystem;
using namespace mytsdb;

// The client's bytes, read once; what the server writes is dropped.
class InputChannel : public pgwire::Channel {
 public:
  explicit InputChannel(std::string_view input) : input_(input) {}
  Status ReadExactly(char* buf, size_t n) override {
    if (input_.size() < n) return Status::Unavailable("end of input");
    std::copy(input_.begin(), input_.begin() + n, buf);
    input_.remove_prefix(n);
    return Status::OK();
  }
  Status Write(std::string_view) override { return Status::OK(); }
  bool tls_available() const override { return false; }
  Status StartTls() override { return Status::Unavailable("no TLS"); }
  bool is_tls() const override { return false; }

 private:
  std::string_view input_;
};

struct Environment {
  fs::path dir;
  io::ManualClock clock{1'767'225'600'000 + 86'400'000};
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<sql::SqlEngine> engine;
  pgwire::CancelRegistry cancels;

  Environment() {
    dir = fs::temp_directory_path() / ("pgwire_fuzz_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    storage::StorageOptions options;
    options.data_dir = dir.string();
    options.head.wal.fsync_mode = wal::FsyncMode::kNever;
    options.persist_check_interval = std::chrono::milliseconds(0);
    options.clock = &clock;
    storage = storage::Storage::Open(options).MoveValue();
    model::Labels labels{{"__name__", "up"}, {"job", "api"}};
    std::vector<model::Sample> samples;
    for (int i = 0; i < 100; ++i) samples.push_back({1'767'225'600'000 + i * 15'000, double(i % 2)});
    head::SeriesSamples item{&labels, samples};
    storage::StorageAppendResult r;
    if (!storage->Append({&item, 1}, {}, &r).ok()) std::abort();
    engine = sql::SqlEngine::Open(storage.get(), dir.string(),
                                  {.memory_limit_bytes = 256 << 20, .threads = 1,
                                   .timeout = std::chrono::seconds(2)})
                 .MoveValue();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Environment* env = new Environment();
  if (size > 1 << 16) return 0;
  InputChannel channel(std::string_view(reinterpret_cast<const char*>(data), size));
  pgwire::SessionOptions options{.engine = env->engine.get()};
  pgwire::ServeSession(channel, options, &env->cancels);
  return 0;
}
