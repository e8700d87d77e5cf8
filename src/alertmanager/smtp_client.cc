#include "alertmanager/smtp_client.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <memory>
#include <sstream>

namespace mytsdb::alertmanager {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(n);
  return out;
}

std::string Unbase64(std::string_view in) {
  std::string out(3 * in.size() / 4 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return "";
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) --len;
  out.resize(len);
  return out;
}

std::string HmacMd5Hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // text after the code
};

// One SMTP connection, plain or TLS (implicit, or after STARTTLS).
class Connection {
 public:
  explicit Connection(const SmtpOptions& o) : options_(o), socket_(io_), tls_context_(asio::ssl::context::tls_client) {}

  Status Connect() {
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(options_.host, options_.port, ec);
    if (ec) return Failure("resolving " + options_.host, ec);
    asio::connect(socket_, endpoints, ec);
    if (ec) return Failure("dial tcp " + options_.host + ":" + options_.port, ec);
    timeval tv{static_cast<time_t>(options_.timeout.count() / 1000),
               static_cast<suseconds_t>((options_.timeout.count() % 1000) * 1000)};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return Status::OK();
  }

  Status StartTls() {
    boost::system::error_code ec;
    if (options_.tls.insecure_skip_verify) {
      tls_context_.set_verify_mode(asio::ssl::verify_none);
    } else {
      tls_context_.set_verify_mode(asio::ssl::verify_peer);
      if (options_.tls.ca_file.empty()) {
        tls_context_.set_default_verify_paths(ec);
      } else {
        tls_context_.load_verify_file(options_.tls.ca_file, ec);
      }
      if (ec) return Status::InvalidArgument("loading CA certificates: " + ec.message());
    }
    if (!options_.tls.cert_file.empty()) {
      tls_context_.use_certificate_chain_file(options_.tls.cert_file, ec);
      if (!ec) tls_context_.use_private_key_file(options_.tls.key_file, asio::ssl::context::pem, ec);
      if (ec) return Status::InvalidArgument("loading the client certificate: " + ec.message());
    }
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, tls_context_);
    const std::string server_name = options_.tls.server_name.empty() ? options_.host : options_.tls.server_name;
    SSL_set_tlsext_host_name(tls_->native_handle(), server_name.c_str());
    if (!options_.tls.insecure_skip_verify) tls_->set_verify_callback(asio::ssl::host_name_verification(server_name));
    tls_->handshake(asio::ssl::stream_base::client, ec);
    if (ec) return Failure("TLS handshake with " + options_.host, ec);
    return Status::OK();
  }

  bool tls() const { return tls_ != nullptr; }

  Status Write(std::string_view data) {
    boost::system::error_code ec;
    if (tls_) {
      asio::write(*tls_, asio::buffer(data.data(), data.size()), ec);
    } else {
      asio::write(socket_, asio::buffer(data.data(), data.size()), ec);
    }
    return ec ? Failure("writing to " + options_.host, ec) : Status::OK();
  }

  Result<Reply> Read() {
    Reply reply;
    while (true) {
      boost::system::error_code ec;
      if (tls_) {
        asio::read_until(*tls_, buffer_, "\r\n", ec);
      } else {
        asio::read_until(socket_, buffer_, "\r\n", ec);
      }
      if (ec) return Failure("reading from " + options_.host, ec);
      std::istream in(&buffer_);
      std::string line;
      std::getline(in, line);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() < 3) return Status::Unavailable("malformed SMTP reply: " + line);
      reply.code = std::atoi(line.substr(0, 3).c_str());
      reply.lines.push_back(line.size() > 4 ? line.substr(4) : "");
      if (line.size() < 4 || line[3] != '-') return reply;
    }
  }

  // Sends a command and expects a reply with code `expect` (or any 2xx/3xx
  // when expect is 0).
  Result<Reply> Command(const std::string& command, int expect) {
    RETURN_NOT_OK(Write(command + "\r\n"));
    ASSIGN_OR_RETURN(Reply r, Read());
    if ((expect != 0 && r.code != expect) || (expect == 0 && r.code >= 400)) {
      std::string shown = command.rfind("AUTH", 0) == 0 ? "AUTH" : command.substr(0, command.find(' '));
      return Status::Unavailable(std::to_string(r.code) + " " + (r.lines.empty() ? "" : r.lines.back()) + " (" +
                                 shown + ")");
    }
    return r;
  }

 private:
  static Status Failure(const std::string& what, const boost::system::error_code& ec) {
    return Status::Unavailable(what + ": " + ec.message());
  }

  const SmtpOptions& options_;
  asio::io_context io_;
  tcp::socket socket_;
  asio::ssl::context tls_context_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  asio::streambuf buffer_;
};

// The extensions an EHLO reply lists: name -> parameters.
std::map<std::string, std::string> Extensions(const Reply& ehlo) {
  std::map<std::string, std::string> out;
  for (size_t i = 1; i < ehlo.lines.size(); ++i) {
    const std::string& l = ehlo.lines[i];
    const size_t space = l.find(' ');
    std::string name = l.substr(0, space);
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out[name] = space == std::string::npos ? "" : l.substr(space + 1);
  }
  return out;
}

Status Authenticate(Connection& c, const SmtpOptions& o, const std::string& mechanisms) {
  if (o.username.empty()) return Status::OK();
  std::istringstream list(mechanisms);
  std::string mech;
  while (list >> mech) {
    for (char& ch : mech) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (mech == "CRAM-MD5" && !o.secret.empty()) {
      ASSIGN_OR_RETURN(Reply challenge, c.Command("AUTH CRAM-MD5", 334));
      const std::string text = Unbase64(challenge.lines.empty() ? "" : challenge.lines[0]);
      return c.Command(Base64(o.username + " " + HmacMd5Hex(o.secret, text)), 235).status();
    }
    if (mech == "PLAIN" && !o.password.empty()) {
      // As Go's PlainAuth: never in clear text except to this machine.
      if (!c.tls() && o.host != "localhost" && o.host != "127.0.0.1" && o.host != "::1") {
        return Status::InvalidArgument("unencrypted connection: refusing AUTH PLAIN to " + o.host);
      }
      return c.Command("AUTH PLAIN " + Base64(o.identity + std::string(1, '\0') + o.username + std::string(1, '\0') +
                                              o.password),
                       235)
          .status();
    }
    if (mech == "LOGIN" && !o.password.empty()) {
      RETURN_NOT_OK(c.Command("AUTH LOGIN", 334).status());
      RETURN_NOT_OK(c.Command(Base64(o.username), 334).status());
      return c.Command(Base64(o.password), 235).status();
    }
  }
  return Status::InvalidArgument("no supported authentication mechanism in \"" + mechanisms + "\"");
}

}  // namespace

Status SendMail(const SmtpOptions& o, const std::string& from, const std::vector<std::string>& to,
                const std::string& message, bool* retry) {
  *retry = true;
  Connection c(o);
  RETURN_NOT_OK(c.Connect());
  if (o.port == "465") RETURN_NOT_OK(c.StartTls());
  ASSIGN_OR_RETURN(Reply greeting, c.Read());
  if (greeting.code != 220) return Status::Unavailable("SMTP greeting: " + std::to_string(greeting.code));
  ASSIGN_OR_RETURN(Reply ehlo, c.Command("EHLO " + o.hello, 250));
  auto extensions = Extensions(ehlo);
  if (o.require_tls && !c.tls()) {
    if (!extensions.count("STARTTLS")) {
      *retry = false;
      return Status::InvalidArgument("'require_tls' is true (default) but \"" + o.host + ":" + o.port +
                                     "\" does not advertise the STARTTLS extension");
    }
    RETURN_NOT_OK(c.Command("STARTTLS", 220).status());
    RETURN_NOT_OK(c.StartTls());
    ASSIGN_OR_RETURN(ehlo, c.Command("EHLO " + o.hello, 250));
    extensions = Extensions(ehlo);
  }
  if (auto auth = extensions.find("AUTH"); auth != extensions.end()) {
    if (Status st = Authenticate(c, o, auth->second); !st.ok()) {
      *retry = st.code() != StatusCode::kInvalidArgument;
      return st.WithContext("authentication");
    }
  }
  RETURN_NOT_OK(c.Command("MAIL FROM:<" + from + ">", 250).status());
  for (const std::string& rcpt : to) RETURN_NOT_OK(c.Command("RCPT TO:<" + rcpt + ">", 0).status());
  RETURN_NOT_OK(c.Command("DATA", 354).status());
  // Dot-stuffing: a line that starts with "." gets another.
  std::string body;
  size_t start = 0;
  while (start < message.size()) {
    size_t end = message.find("\r\n", start);
    if (end == std::string::npos) end = message.size();
    const std::string_view line(message.data() + start, end - start);
    if (!line.empty() && line[0] == '.') body += '.';
    body.append(line);
    body += "\r\n";
    start = end + 2;
  }
  RETURN_NOT_OK(c.Command(body + ".", 250).status());
  (void)c.Command("QUIT", 0);
  return Status::OK();
}

}  // namespace mytsdb::alertmanager
