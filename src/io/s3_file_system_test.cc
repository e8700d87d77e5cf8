// S3FileSystem against a real S3-compatible server: moto's server mode,
// started on 127.0.0.1 by the test. Faults (503s, lost answers, answers
// slower than the timeout) come from a proxy between the file system and
// moto that the tests steer request by request.
#include "io/s3_file_system.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

namespace mytsdb::io {
namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// moto_server on a free port, for the whole test program.
class Moto {
 public:
  static Moto& Get() {
    static Moto moto;
    return moto;
  }
  int port() const { return port_; }
  ~Moto() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }

 private:
  Moto() : port_(FreePort()) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      // Its request log would drown the test output.
      const int null_fd = ::open("/dev/null", O_WRONLY);
      ::dup2(null_fd, 1);
      ::dup2(null_fd, 2);
      ::execl(MYTSDB_MOTO_SERVER, MYTSDB_MOTO_SERVER, "-H", "127.0.0.1", "-p", port.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    httplib::Client client("127.0.0.1", port_);
    for (int i = 0; i < 300; ++i) {
      if (auto res = client.Get("/moto-api/"); res) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << MYTSDB_MOTO_SERVER << " did not start on port " << port_;
  }
  int port_;
  pid_t pid_ = -1;
};

// What the proxy does with one request.
enum class Fault { kNone, k503, kLoseAnswer, kSlowAnswer, k403 };

// Forwards to moto; `decide` picks a fault per request.
class FaultProxy {
 public:
  explicit FaultProxy(int upstream_port) : upstream_port_(upstream_port), port_(FreePort()) {
    server_.set_payload_max_length(64 << 20);
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
    server_.Get(".*", handler);
    server_.Put(".*", handler);
    server_.Post(".*", handler);
    server_.Delete(".*", handler);
    server_.set_pre_routing_handler([handler](const httplib::Request& req, httplib::Response& res) {
      if (req.method != "HEAD") return httplib::Server::HandlerResponse::Unhandled;
      handler(req, res);
      return httplib::Server::HandlerResponse::Handled;
    });
    thread_ = std::thread([this] { server_.listen("127.0.0.1", port_); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~FaultProxy() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Faults for the next conditional puts (If-None-Match), in order.
  void FailConditionalPuts(std::vector<Fault> faults) {
    std::lock_guard<std::mutex> lock(mu_);
    faults_ = std::move(faults);
  }
  int conditional_puts_seen() const { return seen_.load(); }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    Fault fault = Fault::kNone;
    if (req.method == "PUT" && req.has_header("If-None-Match")) {
      seen_.fetch_add(1);
      std::lock_guard<std::mutex> lock(mu_);
      if (!faults_.empty()) {
        fault = faults_.front();
        faults_.erase(faults_.begin());
      }
    }
    if (fault == Fault::k503) {
      res.status = 503;
      res.set_content("<Error><Code>SlowDown</Code></Error>", "application/xml");
      return;
    }
    if (fault == Fault::k403) {
      res.status = 403;
      res.set_content("<Error><Code>AccessDenied</Code></Error>", "application/xml");
      return;
    }
    httplib::Client upstream("127.0.0.1", upstream_port_);
    httplib::Request forward;
    forward.method = req.method;
    forward.path = req.target;
    forward.headers = req.headers;
    forward.body = req.body;
    // The body arrives de-chunked: forward it with its own length.
    forward.headers.erase("Content-Length");
    forward.headers.erase("Transfer-Encoding");
    // httplib's server applies a request's Range to the response itself:
    // fetch the whole object and let it cut the part.
    forward.headers.erase("Range");
    auto result = upstream.send(forward);
    if (fault == Fault::kLoseAnswer) {  // written upstream, but the answer never arrives
      res.status = 503;
      return;
    }
    if (fault == Fault::kSlowAnswer) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    if (!result) {
      res.status = 502;
      return;
    }
    res.status = result->status;
    for (const auto& [name, value] : result->headers) {
      // A HEAD's Content-Length is the object's size, not the (empty) body's.
      if ((name != "Content-Length" || req.method == "HEAD") && name != "Transfer-Encoding") {
        res.set_header(name, value);
      }
    }
    res.body = result->body;
  }

  const int upstream_port_;
  const int port_;
  httplib::Server server_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Fault> faults_;
  std::atomic<int> seen_{0};
};

class S3FileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const int moto = Moto::Get().port();
    proxy_ = std::make_unique<FaultProxy>(moto);
    bucket_ = "t" + std::to_string(counter_++) + "-" + std::to_string(::getpid());
    httplib::Client client("127.0.0.1", moto);
    auto created = client.Put("/" + bucket_, "", "application/octet-stream");
    ASSERT_TRUE(created && created->status == 200) << "bucket " << bucket_;
    S3Options options;
    options.endpoint = proxy_->endpoint();
    options.region = "us-east-1";
    options.access_key_id = "test";
    options.secret_access_key = "test";
    options.request_timeout = std::chrono::milliseconds(1000);
    options.max_attempts = 4;
    auto fs = S3FileSystem::Make(options);
    ASSERT_TRUE(fs.ok()) << fs.status().ToString();
    fs_ = std::move(*fs);
  }
  std::string Url(const std::string& key) const { return "s3://" + bucket_ + "/" + key; }
  std::string Read(const std::string& key) {
    auto data = fs_->ReadFile(Url(key));
    EXPECT_TRUE(data.ok()) << data.status().ToString();
    return data.ok() ? *data : "";
  }
  void Write(const std::string& key, const std::string& data) {
    auto file = fs_->NewWritableFile(Url(key));
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ASSERT_TRUE((*file)->Append(data).ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE((*file)->Close().ok());
  }

  static inline int counter_ = 0;
  std::unique_ptr<FaultProxy> proxy_;
  std::string bucket_;
  std::unique_ptr<S3FileSystem> fs_;
};

TEST(S3Url, Parse) {
  auto a = ParseS3Url("s3://bucket/a/b/");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->bucket, "bucket");
  EXPECT_EQ(a->key, "a/b");
  EXPECT_EQ(ParseS3Url("s3://bucket")->key, "");
  EXPECT_EQ(ParseS3Url("s3:///key").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseS3Url("/local/path").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsS3Url("s3://b/k"));
  EXPECT_FALSE(IsS3Url("data/parquet"));
}

TEST(S3Options, EnvironmentFillsOnlyWhatIsEmpty) {
  ::setenv("AWS_ACCESS_KEY_ID", "env-key", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
  ::setenv("AWS_REGION", "eu-west-3", 1);
  S3Options given;
  given.region = "us-west-2";
  S3Options resolved = S3OptionsFromEnvironment(given);
  EXPECT_EQ(resolved.access_key_id, "env-key");
  EXPECT_EQ(resolved.secret_access_key, "env-secret");
  EXPECT_EQ(resolved.region, "us-west-2");
  ::unsetenv("AWS_REGION");
  EXPECT_EQ(S3OptionsFromEnvironment({}).region, "us-east-1");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(S3FileSystem::Make({}).status().code(), StatusCode::kInvalidArgument);
  S3Options bad_endpoint;
  bad_endpoint.access_key_id = bad_endpoint.secret_access_key = "x";
  bad_endpoint.endpoint = "127.0.0.1:9000";
  EXPECT_EQ(S3FileSystem::Make(bad_endpoint).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(S3FileSystemTest, WriteReadListStatRemove) {
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7919 % 251);
  Write("table/day=2026-12-06/part-1.parquet", big);
  Write("table/_delta_log/00000000000000000000.json", "{}\n");

  auto file = fs_->OpenForRead(Url("table/day=2026-12-06/part-1.parquet"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(*(*file)->Size(), big.size());
  std::string part(1000, '\0');
  ASSERT_EQ(*(*file)->ReadAt(2'000'000, part.size(), part.data()), part.size());
  EXPECT_EQ(part, big.substr(2'000'000, 1000));
  EXPECT_EQ(*(*file)->ReadAt(big.size() - 10, 100, part.data()), 10u);  // short at the end

  auto entries = fs_->ListDir(Url("table"));
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  std::map<std::string, bool> names;
  for (const DirEntry& e : *entries) names[e.name] = e.is_directory;
  EXPECT_EQ(names, (std::map<std::string, bool>{{"_delta_log", true}, {"day=2026-12-06", true}}));
  EXPECT_TRUE(fs_->ListDir(Url("absent"))->empty());  // nothing under it yet
  EXPECT_EQ(fs_->ListDir("s3://no-such-bucket/x").status().code(), StatusCode::kNotFound);

  auto stat = fs_->Stat(Url("table/day=2026-12-06/part-1.parquet"));
  EXPECT_TRUE(stat->exists && !stat->is_directory);
  EXPECT_EQ(stat->size, big.size());
  EXPECT_TRUE(fs_->Stat(Url("table/_delta_log"))->is_directory);
  EXPECT_FALSE(fs_->Stat(Url("table/nothing"))->exists);
  EXPECT_EQ(fs_->OpenForRead(Url("table/nothing")).status().code(), StatusCode::kNotFound);

  EXPECT_EQ(fs_->Remove(Url("table/_delta_log")).code(), StatusCode::kIOError);  // not empty
  ASSERT_TRUE(fs_->Remove(Url("table/_delta_log/00000000000000000000.json")).ok());
  EXPECT_EQ(fs_->Remove(Url("table/_delta_log/00000000000000000000.json")).code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(fs_->CreateDirs(Url("table/x/y")).ok());
  EXPECT_TRUE(fs_->SyncDir(Url("table")).ok());
}

TEST_F(S3FileSystemTest, UnsyncedUploadNeverAppears) {
  {
    auto file = fs_->NewWritableFile(Url("half.parquet"));
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append(std::string(1 << 20, 'x')).ok());
  }  // dropped without Sync: aborted
  EXPECT_FALSE(fs_->Stat(Url("half.parquet"))->exists);
  auto closed = fs_->NewWritableFile(Url("closed.parquet"));
  ASSERT_TRUE(closed.ok());
  ASSERT_TRUE((*closed)->Append("partial").ok());
  ASSERT_TRUE((*closed)->Close().ok());  // closed without Sync: nothing promised, nothing kept
  EXPECT_FALSE(fs_->Stat(Url("closed.parquet"))->exists);
}

TEST_F(S3FileSystemTest, AtomicWriteReplacesAndLinkCopies) {
  EXPECT_TRUE(fs_->writes_appear_whole());
  ASSERT_TRUE(fs_->WriteFileAtomically(Url("_last_checkpoint"), "one").ok());
  ASSERT_TRUE(fs_->WriteFileAtomically(Url("_last_checkpoint"), "two").ok());
  EXPECT_EQ(Read("_last_checkpoint"), "two");
  ASSERT_TRUE(fs_->Link(Url("_last_checkpoint"), Url("copy")).ok());
  EXPECT_EQ(Read("copy"), "two");
  EXPECT_EQ(fs_->Link(Url("_last_checkpoint"), Url("copy")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(fs_->TruncateFile(Url("copy"), 1).code(), StatusCode::kUnimplemented);
}

TEST_F(S3FileSystemTest, CreateIfAbsentNeverReplaces) {
  bool created = false;
  ASSERT_TRUE(fs_->CreateFileIfAbsent(Url("log/1.json"), "mine", &created).ok());
  EXPECT_TRUE(created);
  Status again = fs_->CreateFileIfAbsent(Url("log/1.json"), "theirs", &created);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  EXPECT_FALSE(created);
  EXPECT_EQ(Read("log/1.json"), "mine");
}

TEST_F(S3FileSystemTest, ConcurrentCreatorsOneWins) {
  constexpr int kWriters = 8;
  std::atomic<int> won{0}, lost{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      Status st = fs_->CreateFileIfAbsent(Url("log/7.json"), "writer " + std::to_string(i), nullptr);
      if (st.ok()) won++;
      if (st.code() == StatusCode::kAlreadyExists) lost++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(lost.load(), kWriters - 1);
}

TEST_F(S3FileSystemTest, RetriesA503ThatWroteNothing) {
  proxy_->FailConditionalPuts({Fault::k503, Fault::k503});
  bool created = false;
  ASSERT_TRUE(fs_->CreateFileIfAbsent(Url("log/2.json"), "v2", &created).ok());
  EXPECT_TRUE(created);
  EXPECT_EQ(proxy_->conditional_puts_seen(), 3);
  EXPECT_EQ(Read("log/2.json"), "v2");
}

TEST_F(S3FileSystemTest, LostAnswerIsSettledByReadingBack) {
  // The put lands but its answer is lost; the retry gets 412 for our own
  // write, and the read-back shows it is ours: created, exactly once.
  proxy_->FailConditionalPuts({Fault::kLoseAnswer});
  bool created = false;
  Status st = fs_->CreateFileIfAbsent(Url("log/3.json"), "v3 mine", &created);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(created);
  EXPECT_EQ(fs_->request_counts().read_backs, 1u);
  EXPECT_EQ(Read("log/3.json"), "v3 mine");
}

TEST_F(S3FileSystemTest, TimeoutIsSettledByReadingBack) {
  proxy_->FailConditionalPuts({Fault::kSlowAnswer});  // slower than the 1 s timeout
  bool created = false;
  Status st = fs_->CreateFileIfAbsent(Url("log/4.json"), "v4", &created);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(created);
  EXPECT_EQ(Read("log/4.json"), "v4");
}

TEST_F(S3FileSystemTest, AmbiguousThenAnotherWritersVersionIsLost) {
  ASSERT_TRUE(fs_->CreateFileIfAbsent(Url("log/5.json"), "other writer", nullptr).ok());
  proxy_->FailConditionalPuts({Fault::k503});
  bool created = true;
  Status st = fs_->CreateFileIfAbsent(Url("log/5.json"), "mine", &created);
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists) << st.ToString();
  EXPECT_FALSE(created);
  EXPECT_EQ(Read("log/5.json"), "other writer");
}

TEST_F(S3FileSystemTest, GivesUpAfterMaxAttemptsWithNothingWritten) {
  proxy_->FailConditionalPuts({Fault::k503, Fault::k503, Fault::k503, Fault::k503});
  bool created = true;
  Status st = fs_->CreateFileIfAbsent(Url("log/6.json"), "v6", &created);
  EXPECT_EQ(st.code(), StatusCode::kIOError) << st.ToString();
  EXPECT_FALSE(created);
  EXPECT_FALSE(fs_->Stat(Url("log/6.json"))->exists);
  EXPECT_EQ(proxy_->conditional_puts_seen(), 4);
}

TEST_F(S3FileSystemTest, RefusalIsNotRetried) {
  proxy_->FailConditionalPuts({Fault::k403});
  bool created = true;
  Status st = fs_->CreateFileIfAbsent(Url("log/8.json"), "v8", &created);
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_NE(st.message().find("403"), std::string::npos) << st.ToString();
  EXPECT_FALSE(created);
  EXPECT_EQ(proxy_->conditional_puts_seen(), 1);
}

}  // namespace
}  // namespace mytsdb::io
