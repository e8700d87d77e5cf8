#include "pgwire/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pgwire/protocol.h"

namespace mytsdb::pgwire {

namespace {

// A connection's socket, and TLS on it once started.
class SocketChannel : public Channel {
 public:
  SocketChannel(int fd, std::shared_ptr<SSL_CTX> tls) : fd_(fd), tls_(std::move(tls)) {}
  ~SocketChannel() override {
    if (ssl_ != nullptr) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
  }

  Status ReadExactly(char* buf, size_t n) override {
    while (n > 0) {
      ssize_t got;
      if (ssl_ != nullptr) {
        got = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(n, 1 << 30)));
        if (got <= 0) return Status::Unavailable("TLS connection closed");
      } else {
        got = ::recv(fd_, buf, n, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return Status::Unavailable("connection closed");
      }
      buf += got;
      n -= static_cast<size_t>(got);
    }
    return Status::OK();
  }

  Status Write(std::string_view data) override {
    while (!data.empty()) {
      ssize_t put;
      if (ssl_ != nullptr) {
        put = SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
        if (put <= 0) return Status::Unavailable("TLS connection closed");
      } else {
        put = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) return Status::Unavailable("connection closed");
      }
      data.remove_prefix(static_cast<size_t>(put));
    }
    return Status::OK();
  }

  bool tls_available() const override { return tls_ != nullptr; }
  bool is_tls() const override { return ssl_ != nullptr; }

  Status StartTls() override {
    ssl_ = SSL_new(tls_.get());
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1 || SSL_accept(ssl_) != 1) {
      char reason[256] = "unknown";
      ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
      return Status::Unavailable(std::string("TLS handshake failed: ") + reason);
    }
    return Status::OK();
  }

 private:
  const int fd_;
  std::shared_ptr<SSL_CTX> tls_;
  SSL* ssl_ = nullptr;
};

}  // namespace

PgServer::PgServer(const PgServerOptions& options, const sql::SqlEngine* engine)
    : options_(options), engine_(engine) {}

Result<std::unique_ptr<PgServer>> PgServer::Start(const PgServerOptions& options,
                                                  const sql::SqlEngine* engine) {
  std::unique_ptr<PgServer> server(new PgServer(options, engine));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options.port);
  if (getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return Status::InvalidArgument("--pg.listen: cannot use the address \"" + options.host + "\"");
  }
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool bound = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 128) == 0;
  const int error = errno;
  freeaddrinfo(found);
  if (!bound) {
    if (fd >= 0) ::close(fd);
    return Status::Unavailable("--pg.listen: cannot listen on " + options.host + ":" + port + ": " +
                               std::strerror(error));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  server->port_ = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                                   : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  server->listen_fd_ = fd;
  server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

PgServer::~PgServer() { Stop(); }

void PgServer::Stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  ::close(listen_fd_);
  std::unique_lock<std::mutex> lock(mu_);
  for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
  idle_cv_.wait(lock, [this] { return running_ == 0; });
}

void PgServer::AcceptLoop() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      spdlog::warn("pg: accept failed: {}", std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::unique_lock<std::mutex> lock(mu_);
    if (running_ >= options_.max_connections) {
      lock.unlock();
      std::string out;
      AppendError(&out, "53300", "sorry, too many clients already", std::nullopt, /*fatal=*/true);
      (void)!::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      ::close(fd);
      continue;
    }
    ++running_;
    connections_.insert(fd);
    lock.unlock();
    std::thread([this, fd] { Serve(fd); }).detach();
  }
}

void PgServer::Serve(int fd) {
  {
    SocketChannel channel(fd, options_.tls ? options_.tls() : nullptr);
    SessionOptions session{.engine = engine_, .check_password = options_.check_password,
                           .version = options_.version, .shutdown = &stopping_};
    ServeSession(channel, session, &cancels_);
  }
  std::lock_guard<std::mutex> lock(mu_);
  connections_.erase(fd);
  ::close(fd);
  if (--running_ == 0) idle_cv_.notify_all();
}

}  // namespace mytsdb::pgwire
