#include "http/ui_files.h"

#include <filesystem>
#include <iterator>

#include "io/file_system.h"

namespace mytsdb::http {

namespace {

std::string_view ContentType(std::string_view extension) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".json", "application/json"},
      {".map", "application/json"},         {".svg", "image/svg+xml"},
      {".png", "image/png"},                 {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},              {".txt", "text/plain; charset=utf-8"}};
  for (const auto& [ext, type] : kTypes) {
    if (ext == extension) return type;
  }
  return "application/octet-stream";
}

void NotFound(Response& res) {
  res.status = 404;
  res.set_content("404 page not found\n", "text/plain; charset=utf-8");
}

}  // namespace

bool HasUi(const std::string& dir) {
  std::error_code ec;
  return !dir.empty() && std::filesystem::is_regular_file(std::filesystem::path(dir) / "index.html", ec);
}

void ServeUiFile(const std::string& dir, std::string_view prefix, std::string_view path, Response& res) {
  if (path.empty()) {
    res.status = 302;
    res.set_header("Location", std::string(prefix) + "/");
    return;
  }
  // Every segment must be a plain name: no "..", no ".", no empty ones
  // past the first, nothing that a filesystem path would read otherwise.
  std::filesystem::path relative;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment == ".." || segment == "." || segment.find('\\') != std::string_view::npos ||
        segment.find('\0') != std::string_view::npos) {
      return NotFound(res);
    }
    if (!segment.empty()) relative /= std::string(segment);
    start = end + 1;
  }
  const std::filesystem::path root(dir);
  std::error_code ec;
  const std::filesystem::path file = root / relative;
  if (!relative.empty() && std::filesystem::is_regular_file(file, ec)) {
    if (auto body = io::PosixFileSystem()->ReadFile(file.string()); body.ok()) {
      const std::string extension = relative.extension().string();
      res.set_content(std::move(*body), ContentType(extension));
      // Hashed names never change content: cached for a year.
      res.set_header("Cache-Control", relative.begin()->string() == "assets" && extension != ".html"
                                          ? "public, max-age=31536000, immutable"
                                          : "no-cache");
      return;
    }
  }
  // A file that is not there: 404; a page of the UI (one name, no
  // extension: the UI's pages are /query, /alerts, ...): index.html. A
  // deeper path is no page (/tsdb/api/v1/query at the root).
  if (relative.has_extension() || std::distance(relative.begin(), relative.end()) > 1) {
    return NotFound(res);
  }
  auto read = io::PosixFileSystem()->ReadFile((root / "index.html").string());
  if (!read.ok()) {
    return NotFound(res);
  }
  std::string index = std::move(*read);
  static constexpr std::string_view kBase = "<base href=\"/\">";
  if (const size_t at = index.find(kBase); at != std::string::npos) {
    index.replace(at, kBase.size(), "<base href=\"" + std::string(prefix) + "/\">");
  }
  res.set_content(std::move(index), "text/html; charset=utf-8");
  res.set_header("Cache-Control", "no-cache");
}

}  // namespace mytsdb::http
