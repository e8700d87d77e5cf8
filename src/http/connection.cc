// One HTTP connection: reads requests with Boost.Beast on the I/O threads
// (asynchronously, so a slow or silent client holds no thread), hands each
// complete request to a worker pool, and writes the response, streamed in
// chunks when the handler produces it so.
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <condition_variable>
#include <deque>

#include "http/same_origin.h"
#include "http/server_impl.h"
#include "http/tls.h"

namespace mytsdb::http {

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Beast's string_view is boost's; the rest of the code takes std's.
std::string_view ToStd(beast::string_view s) { return {s.data(), s.size()}; }

// A response body on its way from the worker that produces it to the
// connection that writes it, bounded so that a slow client slows the
// producer instead of filling memory.
struct ChunkQueue {
  static constexpr size_t kMaxBytes = 4 << 20;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> chunks;  // guarded by mu
  size_t bytes = 0;                // guarded by mu
  bool done = false;               // the producer finished; guarded by mu
  bool failed = false;             // the connection is gone; guarded by mu
};

Request ToRequest(const bhttp::request<bhttp::string_body>& in, std::vector<std::string> matches,
                  const std::string& remote, std::string user) {
  Request req;
  req.method = std::string(in.method_string());
  req.target = std::string(in.target());
  size_t q = req.target.find('?');
  req.path = DecodePath(std::string_view(req.target).substr(0, q));
  if (q != std::string::npos) ParseUrlEncoded(std::string_view(req.target).substr(q + 1), &req.params);
  for (const auto& field : in) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  std::string content_type(in[bhttp::field::content_type]);
  if ((req.method == "POST" || req.method == "PUT") &&
      content_type.rfind("application/x-www-form-urlencoded", 0) == 0) {
    ParseUrlEncoded(in.body(), &req.params);
  }
  req.body = in.body();
  req.matches = std::move(matches);
  req.remote_addr = remote;
  req.user = std::move(user);
  return req;
}

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Server::Impl* impl, Stream stream, std::string remote,
          std::shared_ptr<ssl::context> tls_context, std::shared_ptr<const WebConfig> config)
      : impl_(impl),
        options_(impl->server->options()),
        stream_(std::move(stream)),
        remote_(std::move(remote)),
        tls_context_(std::move(tls_context)),
        config_(std::move(config)) {}
  ~Session() override { impl_->OnSessionEnd(); }

  void Start() {
    impl_->Register(this->shared_from_this());
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      Lowest().expires_after(options_.read_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                self->OnHandshake(ec);
                              });
    } else {
      ReadHeader();
    }
  }

  void Shutdown() override {
    SetWaiting(false);  // not a candidate for eviction twice
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->close_after_ = true;
      if (self->idle_) self->Close();
    });
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void OnHandshake(beast::error_code ec) {
    if (ec) {
      impl_->counters->tls_handshake_failures_total.fetch_add(1);
      spdlog::debug("http: TLS handshake with {} failed: {}", remote_, ec.message());
      return Close();
    }
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      if (config_ && config_->tls &&
          !ClientCertAllowed(stream_.native_handle(), config_->tls->client_allowed_sans)) {
        impl_->counters->tls_handshake_failures_total.fetch_add(1);
        spdlog::warn("http: client certificate of {} names none of client_allowed_sans", remote_);
        return Close();
      }
    }
    ReadHeader();
  }

  void ReadHeader() {
    idle_ = true;
    SetWaiting(true);
    if (close_after_) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
    parser_->body_limit(options_.max_body_bytes);
    // A new connection gets a whole read timeout for its first request; a
    // kept-alive one may wait idle_timeout for the next.
    Lowest().expires_after(requests_ == 0 ? options_.read_timeout : options_.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(beast::error_code ec) {
    idle_ = false;
    SetWaiting(false);
    if (ec == bhttp::error::header_limit) {
      impl_->counters->too_large_total.fetch_add(1);
      return SendPlain(431, "request header fields too large\n", true);
    }
    if (ec == bhttp::error::body_limit) {  // a Content-Length over the general limit
      impl_->counters->too_large_total.fetch_add(1);
      return SendPlain(413, "request body too large\n", true);
    }
    if (ec == beast::error::timeout) {
      if (buffer_.size() > 0) impl_->counters->timeouts_total.fetch_add(1);
      return Close();
    }
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted) {
      return Close();
    }
    if (ec) return SendPlain(400, "bad request: " + ec.message() + "\n", true);
    ++requests_;
    const auto& header = parser_->get();
    path_exists_ = false;
    matches_.clear();
    std::string target(header.target());
    std::string path = DecodePath(std::string_view(target).substr(0, target.find('?')));
    route_ = impl_->FindRoute(std::string(header.method_string()), path, &matches_, &path_exists_);
    // Authentication before the body is read: an unauthenticated client
    // cannot make the server buffer a large body.
    if (config_ && !config_->basic_auth_users.empty()) {
      std::string user;
      if (!impl_->authenticator.Check(config_->basic_auth_users,
                                      std::string(header[bhttp::field::authorization]), &user)) {
        impl_->counters->unauthorized_total.fetch_add(1);
        Response res;
        res.status = 401;
        res.set_header("WWW-Authenticate", "Basic");
        res.set_content("Unauthorized\n", "text/plain; charset=utf-8");
        return Reply(std::move(res), true);
      }
      user_ = std::move(user);
    }
    if (route_ != nullptr &&
        IsCrossSiteWrite(ToStd(header.method_string()), ToStd(header[bhttp::field::origin]),
                         ToStd(header["Sec-Fetch-Site"]), ToStd(header[bhttp::field::host]),
                         UrlHost(options_.external_url))) {
      impl_->counters->cross_site_total.fetch_add(1);
      return SendPlain(403, "cross-site request refused: the Origin is not this server's\n", true);
    }
    if (route_ != nullptr) {
      // The parser compared a Content-Length with the general limit when the
      // header ended; the route's own limit applies from here on.
      auto length = parser_->content_length();
      if (length && *length > route_->body_limit) {
        impl_->counters->too_large_total.fetch_add(1);
        return SendPlain(413, "request body too large\n", true);
      }
      parser_->body_limit(route_->body_limit);
    }
    Lowest().expires_after(options_.read_timeout);
    if (parser_->is_done()) return Execute();
    if (header[bhttp::field::expect] == "100-continue") {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      bhttp::async_write(stream_, *cont,
                         [self = this->shared_from_this(), cont](beast::error_code ec, size_t) {
                           if (ec) return self->Close();
                           self->ReadBody();
                         });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        self->OnBody(ec);
                      });
  }

  void OnBody(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      impl_->counters->too_large_total.fetch_add(1);
      return SendPlain(413, "request body too large\n", true);
    }
    if (ec == beast::error::timeout) {
      impl_->counters->timeouts_total.fetch_add(1);
      return Close();
    }
    if (ec) return Close();
    Execute();
  }

  void Execute() {
    keep_alive_ = parser_->get().keep_alive();
    if (route_ == nullptr) {
      return path_exists_ ? SendPlain(405, "Method Not Allowed\n", false)
                          : SendPlain(404, "404 page not found\n", false);
    }
    Request req = ToRequest(parser_->get(), std::move(matches_), remote_, user_);
    // Only queries and reads are watched for a departed client: their work
    // is long and worthless once the client has gone; writes are cheap and
    // must finish anyway, and would pay an allocation and two system calls.
    std::shared_ptr<std::atomic<bool>> client_gone;
    if (route_->pool == static_cast<int>(Server::Pool::kQuery)) {
      client_gone = std::make_shared<std::atomic<bool>>(false);
      req.client_gone = client_gone;
    }
    auto self = this->shared_from_this();
    const RouteEntry* route = route_;
    auto task = [self, route, req = std::move(req)]() mutable {
      Response res = self->impl_->Invoke(*route, req);
      if (res.stream) return self->StreamOnWorker(std::move(res));
      self->PostFromWorker([self, res = std::move(res)]() mutable { self->Reply(std::move(res), false); });
    };
    WorkerPool* pool = impl_->PoolFor(route->pool);
    if (pool == nullptr) return task();
    if (!pool->Submit(std::move(task))) {
      impl_->counters->refused_total.fetch_add(1);
      Response res;
      res.status = 503;
      res.set_header("Retry-After", "1");
      res.set_content("server overloaded: too many " + pool->name() + " requests queued, retry later\n",
                      "text/plain; charset=utf-8");
      return Reply(std::move(res), false);
    }
    if (client_gone) WatchForDisconnect(std::move(client_gone));
  }

  // While the request runs, waits for the socket to become readable: a
  // client that closed the connection (end of stream or reset) sets *gone.
  // Readable with data (a pipelined request, a TLS record) ends the watch
  // without a verdict; the data stays in the socket for the next read.
  void WatchForDisconnect(std::shared_ptr<std::atomic<bool>> gone) {
    const uint64_t watch = ++watch_id_;
    watching_ = true;
    Lowest().socket().async_wait(
        tcp::socket::wait_read, [self = this->shared_from_this(), gone, watch](beast::error_code ec) {
          // A wait that completed just before StopWatching still runs its
          // handler: it belongs to a request already answered.
          if (watch != self->watch_id_) return;
          self->watching_ = false;
          if (ec) return;  // the session closed
          char byte;
          ssize_t n = ::recv(self->Lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            gone->store(true, std::memory_order_relaxed);
            self->impl_->counters->abandoned_total.fetch_add(1);
            spdlog::debug("http: {} closed the connection while its request ran", self->remote_);
          }
        });
  }

  // Ends the watch before the response is written (the next read is the
  // connection's own).
  void StopWatching() {
    if (!watching_) return;
    ++watch_id_;
    watching_ = false;
    beast::error_code ignored;
    Lowest().socket().cancel(ignored);
  }

  // Runs `fn` on the connection's strand; called on a worker thread. A
  // worker of lowered priority hands it over through the relay, so that it
  // never holds the I/O context's lock (relay.h says why).
  template <typename Fn>
  void PostFromWorker(Fn fn) {
    if (!WorkerPool::OnLoweredPriorityThread()) return net::post(stream_.get_executor(), std::move(fn));
    impl_->relay.Post([executor = stream_.get_executor(), fn = std::move(fn)]() mutable {
      net::post(executor, std::move(fn));
    });
  }

  void SendPlain(int status, std::string text, bool close) {
    Response res;
    res.status = status;
    res.set_content(std::move(text), "text/plain; charset=utf-8");
    Reply(std::move(res), close);
  }

  void AddConfiguredHeaders(bhttp::fields& fields) {
    if (!config_) return;
    for (const auto& [name, value] : config_->headers) fields.set(name, value);
  }

  void Reply(Response res, bool close) {
    StopWatching();
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(res.status), 11);
    for (const auto& [name, value] : res.headers) msg->set(name, value);
    AddConfiguredHeaders(msg->base());
    msg->body() = std::move(res.body);
    msg->keep_alive(keep_alive_ && !close && !close_after_);
    msg->prepare_payload();
    Lowest().expires_after(options_.read_timeout);
    bhttp::async_write(stream_, *msg,
                       [self = this->shared_from_this(), msg](beast::error_code ec, size_t) {
                         self->AfterWrite(!msg->keep_alive(), ec);
                       });
  }

  void AfterWrite(bool close, beast::error_code ec) {
    if (ec || close) return Close();
    ReadHeader();
  }

  // ---- Chunked responses -----------------------------------------------------
  // Runs on the worker: the handler's producer fills the queue, the
  // connection's strand writes it out.
  void StreamOnWorker(Response res) {
    auto self = this->shared_from_this();
    auto queue = std::make_shared<ChunkQueue>();
    auto head = std::make_shared<bhttp::response<bhttp::empty_body>>(
        static_cast<bhttp::status>(res.status), 11);
    for (const auto& [name, value] : res.headers) head->set(name, value);
    PostFromWorker([self, queue, head] { self->StartChunked(queue, head); });
    Response::Sink sink = [self, queue](std::string_view chunk) {
      if (chunk.empty()) return true;
      {
        std::unique_lock<std::mutex> lock(queue->mu);
        queue->cv.wait(lock, [&] { return queue->failed || queue->bytes < ChunkQueue::kMaxBytes; });
        if (queue->failed) return false;
        queue->chunks.emplace_back(chunk);
        queue->bytes += chunk.size();
      }
      self->PostFromWorker([self, queue] { self->Pump(queue); });
      return true;
    };
    res.stream(sink);
    {
      std::lock_guard<std::mutex> lock(queue->mu);
      queue->done = true;
    }
    PostFromWorker([self, queue] { self->Pump(queue); });
  }

  void StartChunked(const std::shared_ptr<ChunkQueue>& queue,
                    const std::shared_ptr<bhttp::response<bhttp::empty_body>>& head) {
    StopWatching();
    AddConfiguredHeaders(head->base());
    head->keep_alive(keep_alive_ && !close_after_);
    head->chunked(true);
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head);
    Lowest().expires_after(options_.read_timeout);
    bhttp::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), queue, head, serializer](beast::error_code ec, size_t) {
          if (ec) return self->FailStream(queue);
          self->chunk_keep_alive_ = head->keep_alive();
          self->header_sent_ = true;
          self->Pump(queue);
        });
  }

  void Pump(const std::shared_ptr<ChunkQueue>& queue) {
    if (writing_ || !header_sent_) return;
    bool last = false;
    {
      std::lock_guard<std::mutex> lock(queue->mu);
      if (queue->failed) return;
      if (!queue->chunks.empty()) {
        current_chunk_ = std::move(queue->chunks.front());
        queue->chunks.pop_front();
        queue->bytes -= current_chunk_.size();
      } else if (queue->done) {
        last = true;
      } else {
        return;
      }
    }
    queue->cv.notify_all();
    writing_ = true;
    Lowest().expires_after(options_.read_timeout);
    auto self = this->shared_from_this();
    if (last) {
      net::async_write(stream_, bhttp::make_chunk_last(),
                       [self, queue](beast::error_code ec, size_t) {
                         self->writing_ = false;
                         self->header_sent_ = false;
                         self->AfterWrite(!self->chunk_keep_alive_, ec);
                       });
      return;
    }
    net::async_write(stream_, bhttp::make_chunk(net::buffer(current_chunk_)),
                     [self, queue](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec) return self->FailStream(queue);
                       self->Pump(queue);
                     });
  }

  void FailStream(const std::shared_ptr<ChunkQueue>& queue) {
    {
      std::lock_guard<std::mutex> lock(queue->mu);
      queue->failed = true;
    }
    queue->cv.notify_all();
    Close();
  }

  void Close() {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

  Server::Impl* const impl_;
  const ServerOptions& options_;
  Stream stream_;
  const std::string remote_;
  std::shared_ptr<ssl::context> tls_context_;  // kept alive with the stream
  std::shared_ptr<const WebConfig> config_;    // as of the connection's start
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  const RouteEntry* route_ = nullptr;
  bool path_exists_ = false;
  std::vector<std::string> matches_;
  std::string user_;
  uint64_t requests_ = 0;
  bool idle_ = true;          // waiting for a request
  bool close_after_ = false;  // the server is stopping
  bool keep_alive_ = true;
  bool watching_ = false;     // WatchForDisconnect's wait is pending
  uint64_t watch_id_ = 0;     // which wait is the current one
  bool header_sent_ = false, writing_ = false, chunk_keep_alive_ = false;
  std::string current_chunk_;
};

}  // namespace

void StartSession(Server::Impl* impl, tcp::socket socket) {
  beast::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  std::string remote = ec ? "?" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  impl->counters->open_connections.fetch_add(1);
  impl->counters->connections_total.fetch_add(1);
  socket.set_option(tcp::no_delay(true), ec);  // responses go out in several writes
  std::shared_ptr<const WebConfig> config = impl->WebConfigNow();
  if (impl->tls) {
    std::shared_ptr<ssl::context> ctx = impl->TlsContext();
    if (!ctx) {
      impl->OnSessionEnd();
      return;
    }
    auto session = std::make_shared<Session<TlsStream>>(
        impl, TlsStream(beast::tcp_stream(std::move(socket)), *ctx), remote, ctx, config);
    session->Start();
  } else {
    auto session = std::make_shared<Session<PlainStream>>(
        impl, PlainStream(std::move(socket)), remote, nullptr, config);
    session->Start();
  }
}

}  // namespace mytsdb::http
