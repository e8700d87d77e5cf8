#include "io/s3_conditional_put.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <memory>
#include <mutex>

namespace mytsdb::io {

namespace {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string HexSha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

// SigV4's URI encoding: unreserved characters as they are, '/' kept
// between key segments, everything else %XX.
std::string EncodeKey(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

size_t AppendToString(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  // An error document is small; a misbehaving server's long answer is cut.
  const size_t n = size * count;
  if (body->size() < 4096) body->append(data, std::min(n, 4096 - body->size()));
  return n;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

S3ConditionalPut::S3ConditionalPut(S3Options options) : options_(std::move(options)) {
  InitCurlOnce();
}

std::string S3ConditionalPut::UrlOf(const S3Location& where) const {
  if (!options_.endpoint.empty()) {
    std::string base = options_.endpoint;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/" + where.bucket + "/" + EncodeKey(where.key);
  }
  return "https://" + where.bucket + ".s3." + options_.region + ".amazonaws.com/" +
         EncodeKey(where.key);
}

S3PutAnswer S3ConditionalPut::PutIfAbsent(const S3Location& where, std::string_view data) const {
  S3PutAnswer answer;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    answer.error = "curl_easy_init failed";
    return answer;
  }
  const std::string url = UrlOf(where);
  const std::string sigv4 = "aws:amz:" + options_.region + ":s3";
  const std::string user = options_.access_key_id + ":" + options_.secret_access_key;
  // S3 wants the payload's hash signed; libcurl signs every x-amz-* header
  // it is given. The content type keeps servers from reading the body as a
  // form.
  curl_slist* raw = nullptr;
  raw = curl_slist_append(raw, "If-None-Match: *");
  raw = curl_slist_append(raw, "Content-Type: application/octet-stream");
  raw = curl_slist_append(raw, ("x-amz-content-sha256: " + HexSha256(data)).c_str());
  if (!options_.session_token.empty()) {
    raw = curl_slist_append(raw, ("x-amz-security-token: " + options_.session_token).c_str());
  }
  raw = curl_slist_append(raw, "Expect:");  // no 100-continue round trip for a small body
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw);

  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, data.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(data.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(c, CURLOPT_USERPWD, user.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &AppendToString);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer.body);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    answer.error = curl_easy_strerror(rc);
    return answer;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  answer.http_status = static_cast<int>(status);
  return answer;
}

}  // namespace mytsdb::io
