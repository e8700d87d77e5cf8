#include "cold/delta_protocol.h"

#include <algorithm>

namespace mytsdb::cold {

namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string WatermarkAppId(std::string_view writer) {
  return writer.empty() ? std::string(kWatermarkAppId) : std::string(kWatermarkAppId) + "/" + std::string(writer);
}

std::string CompactorLeaseAppId(std::string_view writer) {
  return std::string(kCompactorLeasePrefix) + std::string(writer);
}

Status CheckProtocol(const ProtocolAction& p) {
  const std::string versions = "reader version " + std::to_string(p.min_reader_version) +
                               ", writer version " + std::to_string(p.min_writer_version);
  if (p.min_reader_version == 2) {
    return Status::Unimplemented("the table needs Delta " + versions +
                                 " (column mapping), which MyTSDB does not implement");
  }
  if (p.min_reader_version > 3 || p.min_reader_version < 1) {
    return Status::Unimplemented("the table needs Delta " + versions +
                                 ", newer than MyTSDB implements");
  }
  if (!p.reader_features.empty()) {
    return Status::Unimplemented("the table uses Delta reader features MyTSDB does not "
                                 "implement: " + Join(p.reader_features));
  }
  if (p.min_writer_version > 7 || p.min_writer_version < 1 ||
      (p.min_writer_version > 3 && p.min_writer_version < 7)) {
    return Status::Unimplemented("the table needs Delta " + versions +
                                 " (change data feed, generated columns, column mapping or "
                                 "identity columns), which MyTSDB does not implement");
  }
  std::vector<std::string> unknown;
  for (const std::string& f : p.writer_features) {
    if (f != "appendOnly" && f != "invariants") unknown.push_back(f);
  }
  if (!unknown.empty()) {
    return Status::Unimplemented("the table uses Delta writer features MyTSDB does not "
                                 "implement: " + Join(unknown));
  }
  return Status::OK();
}

Status CheckConfiguration(const std::map<std::string, std::string>& configuration) {
  auto is_true = [&](const std::string& key) {
    auto it = configuration.find(key);
    if (it == configuration.end()) return false;
    std::string v = it->second;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    return v == "true";
  };
  if (is_true("delta.appendOnly")) {
    return Status::Unimplemented(
        "the table is append-only (delta.appendOnly=true), but MyTSDB's compaction and "
        "retention remove files");
  }
  if (is_true("delta.enableChangeDataFeed")) {
    return Status::Unimplemented(
        "the table has a change data feed (delta.enableChangeDataFeed=true), which MyTSDB "
        "does not write");
  }
  for (const auto& [key, value] : configuration) {
    if (key.starts_with("delta.constraints.")) {
      return Status::Unimplemented("the table has a check constraint (" + key +
                                   "), which MyTSDB does not enforce");
    }
  }
  return Status::OK();
}

Status CheckSchemaString(std::string_view schema_string) {
  for (std::string_view key : {"delta.invariants", "delta.generationExpression",
                               "delta.identity.start", "delta.columnMapping"}) {
    if (schema_string.find(key) != std::string_view::npos) {
      return Status::Unimplemented("the table schema uses " + std::string(key) +
                                  ", which MyTSDB does not implement");
    }
  }
  return Status::OK();
}

Result<std::string> DecodeActionPath(std::string_view raw) {
  std::string path;
  path.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      path += raw[i];
      continue;
    }
    const int hi = i + 2 < raw.size() ? HexValue(raw[i + 1]) : -1;
    const int lo = i + 2 < raw.size() ? HexValue(raw[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Status::InvalidArgument("file path \"" + std::string(raw) +
                                     "\" has an invalid percent-encoding");
    }
    path += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  auto refuse = [&](const char* why) {
    return Status::InvalidArgument("file path \"" + std::string(raw) + "\" " + why);
  };
  if (path.empty()) return refuse("is empty");
  if (path.front() == '/') return refuse("is absolute");
  if (path.find(':') != std::string::npos && path.find(':') < path.find('/')) {
    return refuse("names another file system (a URI scheme)");
  }
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos) {
    return refuse("holds a NUL or backslash");
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return refuse("leaves the table directory or has an empty component");
    }
    start = end + 1;
  }
  return path;
}

}  // namespace mytsdb::cold
