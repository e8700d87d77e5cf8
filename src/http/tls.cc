#include "http/tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/buffer.hpp>

namespace mytsdb::http {

namespace {

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// Go's names of the curves (exporter-toolkit) to OpenSSL's groups.
const char* GroupName(const std::string& curve) {
  if (curve == "X25519") return "X25519";
  if (curve == "CurveP256") return "P-256";
  if (curve == "CurveP384") return "P-384";
  if (curve == "CurveP521") return "P-521";
  return nullptr;
}

int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const TlsServerConfig& config) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::single_dh_use);
  if (SSL_CTX_set_min_proto_version(native, config.min_version) != 1 ||
      SSL_CTX_set_max_proto_version(native, config.max_version) != 1) {
    return Status::InvalidArgument("TLS versions: " + OpenSslError());
  }
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(config.cert_pem), ec);
  if (ec) return Status::InvalidArgument("TLS certificate does not load: " + ec.message());
  ctx->use_private_key(boost::asio::buffer(config.key_pem), ssl::context::pem, ec);
  if (ec) {
    return Status::InvalidArgument("TLS key does not load or does not match the certificate: " +
                                   ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return Status::InvalidArgument("TLS key does not match the certificate: " + OpenSslError());
  }
  if (!config.client_ca_pem.empty()) {
    ctx->add_certificate_authority(boost::asio::buffer(config.client_ca_pem), ec);
    if (ec) return Status::InvalidArgument("client CA does not load: " + ec.message());
  }
  switch (config.client_auth) {
    case ClientAuth::kNone:
      ctx->set_verify_mode(ssl::verify_none);
      break;
    case ClientAuth::kRequest:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientAuth::kRequireAny:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         AcceptAnyCertificate);
      break;
    case ClientAuth::kVerifyIfGiven:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequireAndVerify:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  if (!config.cipher_suites.empty()) {
    // IANA names (as Go and the web config use) to OpenSSL's.
    std::string list;
    STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(native);
    for (const std::string& name : config.cipher_suites) {
      const char* found = nullptr;
      for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
        const char* standard = SSL_CIPHER_standard_name(c);
        if (standard != nullptr && name == standard) found = SSL_CIPHER_get_name(c);
      }
      if (found == nullptr) return Status::InvalidArgument("unknown cipher suite " + name);
      list += (list.empty() ? "" : ":") + std::string(found);
    }
    if (SSL_CTX_set_cipher_list(native, list.c_str()) != 1) {
      return Status::InvalidArgument("cipher suites: " + OpenSslError());
    }
  }
  if (!config.curve_preferences.empty()) {
    std::string groups;
    for (const std::string& c : config.curve_preferences) {
      groups += (groups.empty() ? "" : ":") + std::string(GroupName(c));
    }
    if (SSL_CTX_set1_groups_list(native, groups.c_str()) != 1) {
      return Status::InvalidArgument("curve preferences: " + OpenSslError());
    }
  }
  if (config.prefer_server_cipher_suites) SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  return ctx;
}

bool ClientCertAllowed(SSL* ssl, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return false;
  bool ok = false;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names) && !ok; ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    std::string value;
    if (n->type == GEN_DNS || n->type == GEN_EMAIL || n->type == GEN_URI) {
      const ASN1_IA5STRING* s = n->d.ia5;
      value.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
    } else if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = n->d.iPAddress;
      char buf[INET6_ADDRSTRLEN] = {0};
      int len = ASN1_STRING_length(ip);
      const unsigned char* data = ASN1_STRING_get0_data(ip);
      if (len == 4) inet_ntop(AF_INET, data, buf, sizeof buf);
      if (len == 16) inet_ntop(AF_INET6, data, buf, sizeof buf);
      value = buf;
    }
    for (const std::string& a : allowed) ok = ok || (!value.empty() && a == value);
  }
  GENERAL_NAMES_free(names);
  X509_free(cert);
  return ok;
}

}  // namespace mytsdb::http
