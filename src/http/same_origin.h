// Protection of state-changing requests against cross-site request
// forgery: a page of another site must not create a silence, reload the
// configuration or write data through a logged-in user's browser.
//
// Browsers say where a request comes from (Sec-Fetch-Site, Origin); other
// clients (curl, amtool, Prometheus's remote write, Grafana's server side)
// send neither and pass. Reads (GET, HEAD, OPTIONS) always pass: a page of
// another site cannot read their answers without CORS, which MyTSDB does
// not grant.
#pragma once

#include <string_view>

namespace mytsdb::http {

// True when a request that may change state comes from a page of another
// site: Sec-Fetch-Site is "cross-site" or "same-site" (another host of the
// same site), or an Origin (possibly "null") names another host and port
// than both the request's Host and `external_host`, the host and port of
// --web.external-url (a reverse proxy may pass on a Host of its own).
bool IsCrossSiteWrite(std::string_view method, std::string_view origin, std::string_view sec_fetch_site,
                      std::string_view host, std::string_view external_host = {});

// "https://host:port/path" → "host:port" (empty if it is not a URL).
std::string_view UrlHost(std::string_view url);

}  // namespace mytsdb::http
