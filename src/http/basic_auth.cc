#include "http/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <strings.h>
#include <memory>

namespace mytsdb::http {

namespace {

// A valid bcrypt hash of a random password, to spend the same time on an
// unknown user as on a known one.
constexpr const char* kDummyHash = "$2b$10$EbBRYjWJlpRf03hTuUow1OjPHnltGC32ZMub470KL7cWkdFwgrtaS";
constexpr size_t kMaxCached = 4096;

std::string Base64Decode(std::string_view in) {
  static const auto kTable = [] {
    std::array<int, 256> t{};
    t.fill(-1);
    const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(chars[i])] = i;
    return t;
  }();
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = kTable[static_cast<unsigned char>(c)];
    if (v < 0) return "";
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string Digest(std::string_view user, std::string_view password, std::string_view hash) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  for (std::string_view part : {user, password, hash}) {
    uint64_t len = part.size();
    EVP_DigestUpdate(ctx.get(), &len, sizeof len);
    EVP_DigestUpdate(ctx.get(), part.data(), part.size());
  }
  EVP_DigestFinal_ex(ctx.get(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

}  // namespace

bool BcryptMatches(std::string_view password, const std::string& hash) {
  crypt_data data;
  std::memset(&data, 0, sizeof data);
  std::string pw(password);
  const char* out = crypt_r(pw.c_str(), hash.c_str(), &data);
  if (out == nullptr || out[0] == '*') return false;
  size_t n = std::strlen(out);
  return n == hash.size() && CRYPTO_memcmp(out, hash.data(), n) == 0;
}

bool BasicAuthenticator::Check(const std::map<std::string, std::string>& users,
                               std::string_view authorization, std::string* user) {
  constexpr std::string_view kPrefix = "Basic ";
  if (authorization.size() <= kPrefix.size() ||
      strncasecmp(authorization.data(), kPrefix.data(), kPrefix.size()) != 0) {
    return false;
  }
  std::string decoded = Base64Decode(authorization.substr(kPrefix.size()));
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  std::string name = decoded.substr(0, colon);
  std::string_view password = std::string_view(decoded).substr(colon + 1);
  auto it = users.find(name);
  const std::string& hash = it == users.end() ? std::string(kDummyHash) : it->second;
  const std::string digest = Digest(name, password, hash);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (it != users.end() && verified_.count(digest) > 0) {
      *user = name;
      return true;
    }
  }
  const bool ok = BcryptMatches(password, hash) && it != users.end();
  if (ok) {
    std::lock_guard<std::mutex> lock(mu_);
    if (verified_.size() >= kMaxCached) verified_.clear();
    verified_.insert(digest);
    *user = name;
  }
  return ok;
}

}  // namespace mytsdb::http
