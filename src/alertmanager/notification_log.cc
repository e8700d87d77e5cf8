#include "alertmanager/notification_log.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "alertmanager/alert.h"
#include "alertmanager/snapshot_file.h"

namespace mytsdb::alertmanager {

namespace {

bool Subset(const std::vector<uint64_t>& held, const std::vector<uint64_t>& subset) {
  const std::set<uint64_t> set(held.begin(), held.end());
  return std::all_of(subset.begin(), subset.end(), [&](uint64_t h) { return set.count(h) > 0; });
}

std::string Key(const std::string& group_key, const std::string& receiver_key) {
  return group_key + "\n" + receiver_key;
}

}  // namespace

bool NotificationEntry::IsFiringSubset(const std::vector<uint64_t>& subset) const { return Subset(firing, subset); }
bool NotificationEntry::IsResolvedSubset(const std::vector<uint64_t>& subset) const {
  return Subset(resolved, subset);
}

Result<std::unique_ptr<NotificationLog>> NotificationLog::Open(Options options) {
  if (options.clock == nullptr) options.clock = io::SystemClock();
  auto log = std::unique_ptr<NotificationLog>(new NotificationLog(std::move(options)));
  RETURN_NOT_OK(log->Load());
  return log;
}

std::optional<NotificationEntry> NotificationLog::Query(const std::string& group_key,
                                                        const std::string& receiver_key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(Key(group_key, receiver_key));
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

Status NotificationLog::Log(const std::string& group_key, const std::string& receiver_key,
                            std::vector<uint64_t> firing, std::vector<uint64_t> resolved, absl::Duration expiry) {
  std::map<std::string, NotificationEntry> snapshot;
  uint64_t version = 0;
  {
    std::lock_guard lock(mu_);
    const absl::Time now = absl::FromUnixMillis(options_.clock->NowMs());
    const std::string key = Key(group_key, receiver_key);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.timestamp > now) return Status::OK();  // a newer entry stays
    NotificationEntry entry;
    entry.timestamp = now;
    entry.firing = std::move(firing);
    entry.resolved = std::move(resolved);
    entry.expires_at =
        now + (expiry > absl::ZeroDuration() && options_.retention > expiry ? expiry : options_.retention);
    // In memory at once: the notification was sent, whatever the disk
    // says next.
    entries_[key] = std::move(entry);
    snapshot = entries_;
    version = ++version_;
  }
  return WriteVersion(snapshot, version);
}

Result<size_t> NotificationLog::GarbageCollect() {
  std::map<std::string, NotificationEntry> snapshot;
  uint64_t version = 0;
  size_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    const absl::Time now = absl::FromUnixMillis(options_.clock->NowMs());
    dropped = std::erase_if(entries_, [&](const auto& kv) { return kv.second.expires_at < now; });
    if (dropped == 0) return dropped;
    snapshot = entries_;
    version = ++version_;
  }
  RETURN_NOT_OK(WriteVersion(snapshot, version));
  return dropped;
}

Status NotificationLog::WriteVersion(const std::map<std::string, NotificationEntry>& snapshot, uint64_t version) {
  // Written outside mu_, so that the pipeline's queries never wait for the
  // disk; one write at a time, and a snapshot older than one already on
  // disk is not written (that one holds this change too).
  std::lock_guard write(write_mu_);
  if (version <= written_version_) return Status::OK();
  RETURN_NOT_OK(Persist(snapshot));
  written_version_ = version;
  return Status::OK();
}

size_t NotificationLog::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

Status NotificationLog::Persist(const std::map<std::string, NotificationEntry>& entries) const {
  return WriteStateDocument(options_.fs, options_.path, "entries", [&entries](JsonWriter* w) {
    for (const auto& [key, e] : entries) {
      const size_t nl = key.find('\n');
      w->StartObject();
      w->Key("groupKey");
      WriteJsonString(w, std::string_view(key).substr(0, nl));
      w->Key("receiver");
      WriteJsonString(w, std::string_view(key).substr(nl + 1));
      w->Key("timestamp");
      WriteJsonString(w, FormatRfc3339(e.timestamp));
      w->Key("expiresAt");
      WriteJsonString(w, FormatRfc3339(e.expires_at));
      for (auto [name, list] : {std::pair{"firing", &e.firing}, {"resolved", &e.resolved}}) {
        w->Key(name);
        w->StartArray();
        for (uint64_t h : *list) WriteJsonString(w, FingerprintString(h));
        w->EndArray();
      }
      w->EndObject();
    }
  });
}

Status NotificationLog::Load() {
  ASSIGN_OR_RETURN(std::optional<rapidjson::Document> doc, ReadStateDocument(options_.fs, options_.path, "entries"));
  if (!doc) return Status::OK();
  auto corrupt = [&](const std::string& what) { return CorruptState(options_.path, what); };
  for (const auto& v : (*doc)["entries"].GetArray()) {
    auto text = [&](const char* key) -> std::string {
      auto it = v.FindMember(key);
      return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
    };
    if (!v.IsObject()) return corrupt("an entry is malformed");
    NotificationEntry e;
    auto ts = ParseRfc3339(text("timestamp"));
    auto expires = ParseRfc3339(text("expiresAt"));
    if (!ts.ok() || !expires.ok()) return corrupt("an entry has a malformed time");
    e.timestamp = *ts;
    e.expires_at = *expires;
    for (auto [name, list] : {std::pair{"firing", &e.firing}, {"resolved", &e.resolved}}) {
      auto it = v.FindMember(name);
      if (it == v.MemberEnd() || !it->value.IsArray()) return corrupt(std::string("an entry has no ") + name);
      for (const auto& h : it->value.GetArray()) {
        char* end = nullptr;
        const uint64_t hash = h.IsString() ? std::strtoull(h.GetString(), &end, 16) : 0;
        if (!h.IsString() || h.GetStringLength() != 16 || end != h.GetString() + 16) {
          return corrupt("an entry has a malformed hash");
        }
        list->push_back(hash);
      }
    }
    entries_[Key(text("groupKey"), text("receiver"))] = std::move(e);
  }
  return Status::OK();
}

}  // namespace mytsdb::alertmanager
