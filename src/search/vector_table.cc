#include "search/vector_table.h"

#include <arrow/api.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "cold/arrow_io.h"
#include "cold/table_file.h"

namespace mytsdb::search {

namespace {

constexpr const char* kPartPrefix = "part-";
constexpr const char* kMergedPrefix = "merged-";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

cold::FixedLayout Layout() {
  auto field = [](const std::string& name, const std::string& type) {
    return "{\"name\":\"" + name + "\",\"type\":" + type + ",\"nullable\":false,\"metadata\":{}}";
  };
  const std::string schema = "{\"type\":\"struct\",\"fields\":[" + field("metric", "\"string\"") + "," +
                             field("text", "\"string\"") + "," + field("model", "\"string\"") + "," +
                             field("embedding", "{\"type\":\"array\",\"elementType\":\"float\",\"containsNull\":false}") +
                             "," + field("updated", "\"timestamp\"") + "]}";
  cold::FixedLayout layout{schema, {"metric"}};
  layout.partitioned_by_day = false;
  return layout;
}

std::shared_ptr<arrow::Schema> ArrowSchema(size_t dimension) {
  return arrow::schema({
      arrow::field("metric", arrow::utf8(), false),
      arrow::field("text", arrow::utf8(), false),
      arrow::field("model", arrow::utf8(), false),
      arrow::field("embedding",
                   arrow::fixed_size_list(arrow::field("element", arrow::float32(), false),
                                          static_cast<int32_t>(dimension)),
                   false),
      arrow::field("updated", arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"), false),
  });
}

// Delta's per-file statistics: rows, and the metric range.
std::string StatsJson(std::span<const VectorRow> rows) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("numRecords");
  w.Int64(static_cast<int64_t>(rows.size()));
  if (!rows.empty()) {
    auto [lo, hi] = std::minmax_element(rows.begin(), rows.end(),
                                        [](const VectorRow& a, const VectorRow& b) { return a.metric < b.metric; });
    for (auto [key, row] : {std::pair{"minValues", lo}, std::pair{"maxValues", hi}}) {
      w.Key(key);
      w.StartObject();
      w.Key("metric");
      w.String(row->metric.data(), static_cast<rapidjson::SizeType>(row->metric.size()));
      w.EndObject();
    }
    w.Key("nullCount");
    w.StartObject();
    w.Key("metric");
    w.Int64(0);
    w.EndObject();
  }
  w.EndObject();
  return buf.GetString();
}

// The float values of row i of an embedding column written by MyTSDB (a
// fixed-size list) or rewritten by another engine (a list).
std::span<const float> EmbeddingAt(const arrow::Array& column, int64_t i) {
  const arrow::FloatArray* values = nullptr;
  int64_t offset = 0, length = 0;
  if (column.type_id() == arrow::Type::FIXED_SIZE_LIST) {
    const auto& list = static_cast<const arrow::FixedSizeListArray&>(column);
    values = static_cast<const arrow::FloatArray*>(list.values().get());
    offset = list.value_offset(i);
    length = list.value_length(i);
  } else if (column.type_id() == arrow::Type::LIST) {
    const auto& list = static_cast<const arrow::ListArray&>(column);
    values = static_cast<const arrow::FloatArray*>(list.values().get());
    offset = list.value_offset(i);
    length = list.value_length(i);
  }
  if (values == nullptr || values->type_id() != arrow::Type::FLOAT) return {};
  return {values->raw_values() + offset, static_cast<size_t>(length)};
}

}  // namespace

Result<std::unique_ptr<VectorTable>> VectorTable::Open(const std::string& dir, const std::string& model,
                                                       size_t dimension, io::FileSystem* fs) {
  std::unique_ptr<VectorTable> t(new VectorTable(dir, model, dimension, fs));
  RETURN_NOT_OK(fs->CreateDirs(dir));
  RETURN_NOT_OK(fs->SyncDir(io::DirName(dir)));
  ASSIGN_OR_RETURN(t->table_, cold::DeltaTable::Open(dir, fs, Layout()));
  RETURN_NOT_OK(t->CleanUp(/*at_open=*/true));
  RETURN_NOT_OK(t->Load());
  return t;
}

Status VectorTable::CleanUp(bool at_open) {
  ASSIGN_OR_RETURN(std::vector<io::DirEntry> entries, fs_->ListDir(dir_));
  const int64_t now = NowMs();
  for (const io::DirEntry& e : entries) {
    if (e.is_directory || table_->files().count(e.name)) continue;
    auto tombstone = table_->tombstones().find(e.name);
    const std::string full = io::JoinPath(dir_, e.name);
    if (tombstone != table_->tombstones().end()) {
      // Replaced: deleted once readers of older snapshots had time to finish.
      if (at_open || now - tombstone->second >= kDeleteGraceMs) RETURN_NOT_OK(fs_->Remove(full));
      continue;
    }
    if (!at_open) continue;
    const bool ours = (e.name.starts_with(kPartPrefix) || e.name.starts_with(kMergedPrefix)) &&
                      (e.name.ends_with(".parquet") || e.name.ends_with(".parquet.tmp"));
    if (!ours) {
      return Status::Corruption("search vectors: " + full + " is not a file MyTSDB writes; move it away to start");
    }
    // Unfinished, or written and never committed (a crash came between):
    // its rows are recomputed from the catalog.
    spdlog::info("search vectors: deleting {}, never committed", full);
    RETURN_NOT_OK(fs_->Remove(full));
  }
  return Status::OK();
}

Status VectorTable::ReadRows(const std::string& path, const std::function<bool(const std::string&)>& keep,
                             std::vector<VectorRow>* out, std::vector<std::string>* all_metrics) const {
  const std::string full = io::JoinPath(dir_, path);
  ASSIGN_OR_RETURN(std::shared_ptr<arrow::Table> table, cold::ReadTableFile(fs_, full));
  auto combined = table->CombineChunksToBatch(cold::ArrowMemoryPool());
  if (!combined.ok()) return cold::FromArrow(combined.status(), "read " + full);
  const arrow::RecordBatch& batch = **combined;
  auto metric = std::dynamic_pointer_cast<arrow::StringArray>(batch.GetColumnByName("metric"));
  auto text = std::dynamic_pointer_cast<arrow::StringArray>(batch.GetColumnByName("text"));
  auto model = std::dynamic_pointer_cast<arrow::StringArray>(batch.GetColumnByName("model"));
  auto embedding = batch.GetColumnByName("embedding");
  if (!metric || !text || !model || !embedding) {
    return Status::Corruption("search vectors: " + full + " lacks the metric, text, model or embedding column");
  }
  for (int64_t i = 0; i < batch.num_rows(); ++i) {
    std::string name = metric->GetString(i);
    if (all_metrics != nullptr) all_metrics->push_back(name);
    if (!keep(name)) continue;
    const std::span<const float> values = EmbeddingAt(*embedding, i);
    if (model->GetView(i) != model_ || values.size() != dimension_) continue;  // another model's
    out->push_back({std::move(name), text->GetString(i), std::vector<float>(values.begin(), values.end())});
  }
  return Status::OK();
}

Status VectorTable::Load() {
  texts_.clear();
  file_of_.clear();
  for (const auto& [path, add] : table_->files()) {
    std::vector<VectorRow> rows;
    std::vector<std::string> metrics;
    RETURN_NOT_OK(ReadRows(path, [](const std::string&) { return true; }, &rows, &metrics));
    // Every metric is recorded, another model's too, to be replaced.
    for (std::string& metric : metrics) file_of_[std::move(metric)] = path;
    for (VectorRow& row : rows) texts_[row.metric] = std::move(row.text);
  }
  return Status::OK();
}

Status VectorTable::ForEach(const std::function<void(const VectorRow&)>& fn) const {
  for (const auto& [path, add] : table_->files()) {
    std::vector<VectorRow> rows;
    RETURN_NOT_OK(ReadRows(path, [](const std::string&) { return true; }, &rows));
    for (const VectorRow& row : rows) fn(row);
  }
  return Status::OK();
}

Result<cold::AddFile> VectorTable::WriteFile(std::span<const VectorRow> rows) const {
  arrow::MemoryPool* pool = cold::ArrowMemoryPool();
  arrow::StringBuilder metric(pool), text(pool), model(pool);
  auto floats = std::make_shared<arrow::FloatBuilder>(pool);
  const auto schema = ArrowSchema(dimension_);
  arrow::FixedSizeListBuilder embedding(pool, floats, schema->field(3)->type());
  arrow::TimestampBuilder updated(schema->field(4)->type(), pool);
  const int64_t now = NowMs();
  for (const VectorRow& row : rows) {
    if (row.embedding.size() != dimension_) {
      return Status::InvalidArgument("search vectors: an embedding of " + std::to_string(row.embedding.size()) +
                                     " floats for " + row.metric + ", expected " + std::to_string(dimension_));
    }
    RETURN_NOT_OK(cold::FromArrow(metric.Append(row.metric), "build vectors"));
    RETURN_NOT_OK(cold::FromArrow(text.Append(row.text), "build vectors"));
    RETURN_NOT_OK(cold::FromArrow(model.Append(model_), "build vectors"));
    RETURN_NOT_OK(cold::FromArrow(embedding.Append(), "build vectors"));
    RETURN_NOT_OK(cold::FromArrow(floats->AppendValues(row.embedding.data(), static_cast<int64_t>(dimension_)),
                                  "build vectors"));
    RETURN_NOT_OK(cold::FromArrow(updated.Append(now), "build vectors"));
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(5);
  RETURN_NOT_OK(cold::FromArrow(metric.Finish(&columns[0]), "build vectors"));
  RETURN_NOT_OK(cold::FromArrow(text.Finish(&columns[1]), "build vectors"));
  RETURN_NOT_OK(cold::FromArrow(model.Finish(&columns[2]), "build vectors"));
  RETURN_NOT_OK(cold::FromArrow(embedding.Finish(&columns[3]), "build vectors"));
  RETURN_NOT_OK(cold::FromArrow(updated.Finish(&columns[4]), "build vectors"));
  auto table = arrow::Table::Make(schema, columns, static_cast<int64_t>(rows.size()));
  cold::AddFile add;
  add.path = std::string(kPartPrefix) + std::to_string(now) + "-" + cold::RandomFileSuffix() + ".parquet";
  ASSIGN_OR_RETURN(add.size_bytes, cold::WriteTableFile(fs_, io::JoinPath(dir_, add.path), *table));
  add.num_records = static_cast<int64_t>(rows.size());
  add.modification_time_ms = now;
  add.stats_json = StatsJson(rows);
  return add;
}

Status VectorTable::Update(std::span<const VectorRow> upserts, std::span<const std::string> removed) {
  std::set<std::string, std::less<>> replaced;
  for (const VectorRow& row : upserts) replaced.insert(row.metric);
  for (const std::string& metric : removed) replaced.insert(metric);
  std::set<std::string> rewrite;  // files that hold a replaced metric
  for (const std::string& metric : replaced) {
    if (auto it = file_of_.find(metric); it != file_of_.end()) rewrite.insert(it->second);
  }
  // Past kMaxFiles files (with the one this update adds), all are merged.
  const bool merge = table_->files().size() - rewrite.size() + 1 > kMaxFiles;
  if (merge) {
    for (const auto& [path, add] : table_->files()) rewrite.insert(path);
  }
  if (upserts.empty() && rewrite.empty()) return Status::OK();

  std::vector<VectorRow> rows(upserts.begin(), upserts.end());
  for (const std::string& path : rewrite) {
    RETURN_NOT_OK(ReadRows(path, [&](const std::string& m) { return !replaced.count(m); }, &rows));
  }
  cold::CommitRequest request;
  request.operation = merge ? "OPTIMIZE" : "MERGE";
  if (!rows.empty()) {
    ASSIGN_OR_RETURN(cold::AddFile add, WriteFile(rows));
    request.adds.push_back(std::move(add));
  }
  request.removes.assign(rewrite.begin(), rewrite.end());
  bool committed = false;
  Status st = table_->Commit(request, &committed);
  if (!st.ok()) {
    if (!committed) {
      for (const cold::AddFile& add : request.adds) (void)fs_->Remove(io::JoinPath(dir_, add.path));
    }
    return st;
  }
  for (const std::string& metric : removed) {
    texts_.erase(metric);
    file_of_.erase(metric);
  }
  // Rows carried over from rewritten files moved to the new file too.
  for (const VectorRow& row : rows) {
    texts_[row.metric] = row.text;
    file_of_[row.metric] = request.adds.front().path;
  }
  // Metrics whose rows were of another model and dropped by a rewrite.
  std::erase_if(file_of_, [&](const auto& kv) { return rewrite.count(kv.second) > 0; });
  return CleanUp(/*at_open=*/false);
}

}  // namespace mytsdb::search
