// The Alertmanager's state files (silences, notification log, alerts):
// one JSON document each, replaced atomically (temporary file, fsync,
// rename, directory fsync) and closed by a CRC-32C line, so that a torn or
// altered file is refused with its name rather than read as something else.
#pragma once

#include <rapidjson/document.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "alertmanager/json_writer.h"
#include "common/result.h"
#include "io/file_system.h"

namespace mytsdb::alertmanager {

// Writes `body` and its checksum line to `path`.
Status WriteSnapshot(io::FileSystem* fs, const std::string& path, std::string_view body);

// The body of `path`; nullopt when there is no such file. Corruption
// (Corruption) and I/O errors name the file.
Result<std::optional<std::string>> ReadSnapshot(io::FileSystem* fs, const std::string& path);

// The state files' JSON: {"version": 1, "<list_key>": [ ... ]}.
// Writes the document; `items` writes the list's elements.
Status WriteStateDocument(io::FileSystem* fs, const std::string& path, const char* list_key,
                          const std::function<void(JsonWriter*)>& items);

// Reads a document WriteStateDocument wrote; nullopt when there is no
// file. Anything else than version 1 with the list is Corruption naming
// the file.
Result<std::optional<rapidjson::Document>> ReadStateDocument(io::FileSystem* fs, const std::string& path,
                                                             const char* list_key);

// Corruption naming `path`: the server refuses to start rather than guess.
Status CorruptState(const std::string& path, const std::string& what);

}  // namespace mytsdb::alertmanager
