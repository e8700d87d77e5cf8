// TLS for the HTTP server: an OpenSSL context built from the web config's
// tls_server_config, and the client-certificate SAN check of
// client_allowed_sans. Only server.cc and this file see OpenSSL.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "http/web_config.h"

namespace mytsdb::http {

// InvalidArgument naming what does not load (a key that does not match its
// certificate, an unknown cipher suite, ...).
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const TlsServerConfig& config);

// Whether the peer's certificate has a subject alternative name (DNS name,
// email address, IP address or URI) among `allowed`.
bool ClientCertAllowed(SSL* ssl, const std::vector<std::string>& allowed);

}  // namespace mytsdb::http
