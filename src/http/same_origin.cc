#include "http/same_origin.h"

#include <algorithm>
#include <cctype>

namespace mytsdb::http {
namespace {

bool EqualIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

// The default port is left out by browsers in Origin as by clients in Host,
// so the two compare as written.
std::string_view UrlHost(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  return rest.substr(0, rest.find('/'));
}

bool IsCrossSiteWrite(std::string_view method, std::string_view origin, std::string_view sec_fetch_site,
                      std::string_view host, std::string_view external_host) {
  if (method == "GET" || method == "HEAD" || method == "OPTIONS") return false;
  if (sec_fetch_site == "cross-site" || sec_fetch_site == "same-site") return true;
  if (origin.empty()) return false;
  const std::string_view origin_host = UrlHost(origin);
  if (origin_host.empty()) return true;
  return !EqualIgnoringCase(origin_host, host) &&
         (external_host.empty() || !EqualIgnoringCase(origin_host, external_host));
}

}  // namespace mytsdb::http
