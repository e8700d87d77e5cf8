#include "cold/delta_checkpoint.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <fcntl.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <unistd.h>

#include <cstdio>

namespace mytsdb::cold {

namespace {

using arrow::field;

Status FromArrow(const arrow::Status& st, std::string_view what) {
  if (st.ok()) return Status::OK();
  return Status::IOError(std::string(what) + ": " + st.ToString());
}

std::shared_ptr<arrow::DataType> StringMap() { return arrow::map(arrow::utf8(), arrow::utf8()); }

std::shared_ptr<arrow::Schema> CheckpointSchema() {
  auto txn = arrow::struct_({field("appId", arrow::utf8()), field("version", arrow::int64()),
                             field("lastUpdated", arrow::int64())});
  auto add = arrow::struct_({field("path", arrow::utf8()), field("partitionValues", StringMap()),
                             field("size", arrow::int64()),
                             field("modificationTime", arrow::int64()),
                             field("dataChange", arrow::boolean()), field("stats", arrow::utf8()),
                             field("tags", StringMap())});
  auto remove = arrow::struct_({field("path", arrow::utf8()),
                                field("deletionTimestamp", arrow::int64()),
                                field("dataChange", arrow::boolean())});
  auto format = arrow::struct_({field("provider", arrow::utf8()), field("options", StringMap())});
  auto metadata = arrow::struct_(
      {field("id", arrow::utf8()), field("name", arrow::utf8()),
       field("description", arrow::utf8()), field("format", format),
       field("schemaString", arrow::utf8()), field("partitionColumns", arrow::list(arrow::utf8())),
       field("configuration", StringMap()), field("createdTime", arrow::int64())});
  auto protocol = arrow::struct_({field("minReaderVersion", arrow::int32()),
                                  field("minWriterVersion", arrow::int32())});
  return arrow::schema({field("txn", txn), field("add", add), field("remove", remove),
                        field("metaData", metadata), field("protocol", protocol)});
}

// Appends key/value pairs to a map builder.
arrow::Status AppendMap(arrow::MapBuilder* b,
                        const std::vector<std::pair<std::string, std::string>>& kv) {
  ARROW_RETURN_NOT_OK(b->Append());
  auto* keys = static_cast<arrow::StringBuilder*>(b->key_builder());
  auto* values = static_cast<arrow::StringBuilder*>(b->item_builder());
  for (const auto& [k, v] : kv) {
    ARROW_RETURN_NOT_OK(keys->Append(k));
    ARROW_RETURN_NOT_OK(values->Append(v));
  }
  return arrow::Status::OK();
}

template <typename T>
T* Child(arrow::StructBuilder* b, int i) {
  return static_cast<T*>(b->field_builder(i));
}

// Builds the one-row-per-action record batch.
arrow::Result<std::shared_ptr<arrow::RecordBatch>> BuildBatch(const CheckpointState& state) {
  auto schema = CheckpointSchema();
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders(5);
  for (int i = 0; i < 5; ++i) {
    ARROW_ASSIGN_OR_RAISE(builders[i],
                          arrow::MakeBuilder(schema->field(i)->type(), arrow::default_memory_pool()));
  }
  auto* txn = static_cast<arrow::StructBuilder*>(builders[0].get());
  auto* add = static_cast<arrow::StructBuilder*>(builders[1].get());
  auto* remove = static_cast<arrow::StructBuilder*>(builders[2].get());
  auto* meta = static_cast<arrow::StructBuilder*>(builders[3].get());
  auto* protocol = static_cast<arrow::StructBuilder*>(builders[4].get());
  // Appends a row in which only column `active` is set (by `fill`).
  int64_t rows = 0;
  auto row = [&](arrow::StructBuilder* active,
                 const std::function<arrow::Status()>& fill) -> arrow::Status {
    for (arrow::StructBuilder* b : {txn, add, remove, meta, protocol}) {
      if (b == active) {
        ARROW_RETURN_NOT_OK(b->Append());
        ARROW_RETURN_NOT_OK(fill());
      } else {
        ARROW_RETURN_NOT_OK(b->AppendNull());
      }
    }
    ++rows;
    return arrow::Status::OK();
  };

  ARROW_RETURN_NOT_OK(row(protocol, [&] {
    ARROW_RETURN_NOT_OK(Child<arrow::Int32Builder>(protocol, 0)->Append(1));
    return Child<arrow::Int32Builder>(protocol, 1)->Append(2);
  }));
  ARROW_RETURN_NOT_OK(row(meta, [&] {
    ARROW_RETURN_NOT_OK(Child<arrow::StringBuilder>(meta, 0)->Append(state.table_id));
    ARROW_RETURN_NOT_OK(Child<arrow::StringBuilder>(meta, 1)->AppendNull());
    ARROW_RETURN_NOT_OK(Child<arrow::StringBuilder>(meta, 2)->AppendNull());
    auto* format = Child<arrow::StructBuilder>(meta, 3);
    ARROW_RETURN_NOT_OK(format->Append());
    ARROW_RETURN_NOT_OK(Child<arrow::StringBuilder>(format, 0)->Append("parquet"));
    ARROW_RETURN_NOT_OK(AppendMap(Child<arrow::MapBuilder>(format, 1), {}));
    ARROW_RETURN_NOT_OK(Child<arrow::StringBuilder>(meta, 4)->Append(state.schema_string));
    auto* partitions = Child<arrow::ListBuilder>(meta, 5);
    ARROW_RETURN_NOT_OK(partitions->Append());
    ARROW_RETURN_NOT_OK(static_cast<arrow::StringBuilder*>(partitions->value_builder())->Append("day"));
    ARROW_RETURN_NOT_OK(AppendMap(Child<arrow::MapBuilder>(meta, 6), {}));
    return Child<arrow::Int64Builder>(meta, 7)->Append(state.created_time_ms);
  }));
  if (state.watermark.has_value()) {
    ARROW_RETURN_NOT_OK(row(txn, [&] {
      ARROW_RETURN_NOT_OK(Child<arrow::StringBuilder>(txn, 0)->Append(kWatermarkAppId));
      ARROW_RETURN_NOT_OK(Child<arrow::Int64Builder>(txn, 1)->Append(*state.watermark));
      return Child<arrow::Int64Builder>(txn, 2)->AppendNull();
    }));
  }
  for (const AddFile& f : state.files) {
    ARROW_RETURN_NOT_OK(row(add, [&] {
      ARROW_RETURN_NOT_OK(Child<arrow::StringBuilder>(add, 0)->Append(f.path));
      ARROW_RETURN_NOT_OK(AppendMap(Child<arrow::MapBuilder>(add, 1), {{"day", f.day}}));
      ARROW_RETURN_NOT_OK(Child<arrow::Int64Builder>(add, 2)->Append(f.size_bytes));
      ARROW_RETURN_NOT_OK(Child<arrow::Int64Builder>(add, 3)->Append(f.modification_time_ms));
      ARROW_RETURN_NOT_OK(Child<arrow::BooleanBuilder>(add, 4)->Append(false));
      ARROW_RETURN_NOT_OK(Child<arrow::StringBuilder>(add, 5)->Append(AddStatsJson(f)));
      return AppendMap(Child<arrow::MapBuilder>(add, 6),
                       {{"mytsdb.min_ts", std::to_string(f.min_ts)},
                        {"mytsdb.max_ts", std::to_string(f.max_ts)},
                        {"mytsdb.rows", std::to_string(f.num_records)},
                        {"mytsdb.version", std::to_string(f.version)}});
    }));
  }
  std::vector<std::shared_ptr<arrow::Array>> arrays(5);
  for (int i = 0; i < 5; ++i) ARROW_RETURN_NOT_OK(builders[i]->Finish(&arrays[i]));
  return arrow::RecordBatch::Make(schema, rows, arrays);
}

// The value of `key` in row `i` of a map<string,string> array; nullopt if absent.
std::optional<std::string> MapValue(const arrow::MapArray& map, int64_t i, std::string_view key) {
  if (map.IsNull(i)) return std::nullopt;
  const auto& keys = static_cast<const arrow::StringArray&>(*map.keys());
  const auto& items = static_cast<const arrow::StringArray&>(*map.items());
  for (int64_t k = map.value_offset(i); k < map.value_offset(i) + map.value_length(i); ++k) {
    if (keys.GetView(k) == key && !items.IsNull(k)) return std::string(items.GetView(k));
  }
  return std::nullopt;
}

template <typename T>
const T* FieldOf(const arrow::StructArray& s, const char* name) {
  auto f = s.GetFieldByName(name);
  return f ? static_cast<const T*>(f.get()) : nullptr;
}

}  // namespace

Status WriteDeltaCheckpoint(const std::string& path, const CheckpointState& state) {
  auto batch = BuildBatch(state);
  if (!batch.ok()) return FromArrow(batch.status(), "checkpoint " + path);
  auto table = arrow::Table::FromRecordBatches({*batch});
  if (!table.ok()) return FromArrow(table.status(), "checkpoint " + path);
  std::string tmp = path + ".tmp";
  {
    auto out = arrow::io::FileOutputStream::Open(tmp);
    if (!out.ok()) return FromArrow(out.status(), "create " + tmp);
    auto props = parquet::WriterProperties::Builder().compression(parquet::Compression::ZSTD)->build();
    auto st = parquet::arrow::WriteTable(**table, arrow::default_memory_pool(), *out, 64 * 1024,
                                         props);
    auto close = (*out)->Close();
    if (!st.ok() || !close.ok()) {
      std::remove(tmp.c_str());
      return FromArrow(st.ok() ? close : st, "write " + tmp);
    }
  }
  int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOErrorFromErrno("open", tmp);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = Status::IOErrorFromErrno(rc != 0 ? "fsync" : "rename", tmp);
    std::remove(tmp.c_str());
    return st;
  }
  return Status::OK();
}

Result<CheckpointState> ReadDeltaCheckpoint(const std::string& path) {
  auto file = arrow::io::ReadableFile::Open(path);
  if (!file.ok()) return FromArrow(file.status(), "open " + path);
  auto reader = parquet::arrow::OpenFile(*file, arrow::default_memory_pool());
  if (!reader.ok()) return Status::Corruption("checkpoint " + path + ": " + reader.status().ToString());
  auto read = (*reader)->ReadTable();
  if (!read.ok()) return Status::Corruption("checkpoint " + path + ": " + read.status().ToString());
  auto table = (*read)->CombineChunks();
  if (!table.ok()) return FromArrow(table.status(), "checkpoint " + path);
  CheckpointState state;
  auto column = [&](const char* name) -> const arrow::StructArray* {
    auto c = (*table)->GetColumnByName(name);
    return c && c->num_chunks() == 1 ? static_cast<const arrow::StructArray*>(c->chunk(0).get())
                                     : nullptr;
  };
  const arrow::StructArray* add = column("add");
  const arrow::StructArray* meta = column("metaData");
  const arrow::StructArray* txn = column("txn");
  for (int64_t i = 0; i < (*table)->num_rows(); ++i) {
    if (add != nullptr && add->IsValid(i)) {
      AddFile f;
      f.path = std::string(FieldOf<arrow::StringArray>(*add, "path")->GetView(i));
      if (auto pv = FieldOf<arrow::MapArray>(*add, "partitionValues")) {
        f.day = MapValue(*pv, i, "day").value_or("");
      }
      if (auto size = FieldOf<arrow::Int64Array>(*add, "size")) f.size_bytes = size->Value(i);
      if (auto mt = FieldOf<arrow::Int64Array>(*add, "modificationTime")) {
        f.modification_time_ms = mt->Value(i);
      }
      if (auto tags = FieldOf<arrow::MapArray>(*add, "tags")) {
        f.min_ts = std::stoll(MapValue(*tags, i, "mytsdb.min_ts").value_or("0"));
        f.max_ts = std::stoll(MapValue(*tags, i, "mytsdb.max_ts").value_or("0"));
        f.num_records = std::stoll(MapValue(*tags, i, "mytsdb.rows").value_or("0"));
        f.version = std::stoll(MapValue(*tags, i, "mytsdb.version").value_or("-1"));
      }
      state.files.push_back(std::move(f));
    } else if (meta != nullptr && meta->IsValid(i)) {
      state.table_id = std::string(FieldOf<arrow::StringArray>(*meta, "id")->GetView(i));
      state.schema_string =
          std::string(FieldOf<arrow::StringArray>(*meta, "schemaString")->GetView(i));
      if (auto ct = FieldOf<arrow::Int64Array>(*meta, "createdTime"); ct && ct->IsValid(i)) {
        state.created_time_ms = ct->Value(i);
      }
    } else if (txn != nullptr && txn->IsValid(i)) {
      if (FieldOf<arrow::StringArray>(*txn, "appId")->GetView(i) == kWatermarkAppId) {
        state.watermark = FieldOf<arrow::Int64Array>(*txn, "version")->Value(i);
      }
    }
  }
  if (state.schema_string.empty()) {
    return Status::Corruption("checkpoint " + path + " has no metaData action");
  }
  return state;
}

}  // namespace mytsdb::cold
