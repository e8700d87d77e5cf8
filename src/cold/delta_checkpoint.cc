#include "cold/delta_checkpoint.h"

#include <arrow/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/exception.h>

#include <charconv>
#include <cstdio>

#include "cold/arrow_io.h"

namespace mytsdb::cold {

namespace {

using arrow::field;

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
                                  field("minWriterVersion", arrow::int32()),
                                  field("readerFeatures", arrow::list(arrow::utf8())),
                                  field("writerFeatures", arrow::list(arrow::utf8()))});
  return arrow::schema({field("txn", txn), field("add", add), field("remove", remove),
                        field("metaData", metadata), field("protocol", protocol)});
}

using PartitionValues = std::vector<std::pair<std::string, std::string>>;

// Appends key/value pairs to a map builder.
arrow::Status AppendMap(arrow::MapBuilder* b, const PartitionValues& kv) {
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
                          arrow::MakeBuilder(schema->field(i)->type(), ArrowMemoryPool()));
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
    const ProtocolAction& p = state.protocol;
    ARROW_RETURN_NOT_OK(Child<arrow::Int32Builder>(protocol, 0)->Append(p.min_reader_version));
    ARROW_RETURN_NOT_OK(Child<arrow::Int32Builder>(protocol, 1)->Append(p.min_writer_version));
    // Feature lists exist only from reader version 3 / writer version 7 on.
    auto features = [](arrow::ListBuilder* b, bool present,
                       const std::vector<std::string>& list) -> arrow::Status {
      if (!present) return b->AppendNull();
      ARROW_RETURN_NOT_OK(b->Append());
      auto* values = static_cast<arrow::StringBuilder*>(b->value_builder());
      for (const std::string& f : list) ARROW_RETURN_NOT_OK(values->Append(f));
      return arrow::Status::OK();
    };
    ARROW_RETURN_NOT_OK(features(Child<arrow::ListBuilder>(protocol, 2),
                                 p.min_reader_version >= 3, p.reader_features));
    return features(Child<arrow::ListBuilder>(protocol, 3), p.min_writer_version >= 7,
                    p.writer_features);
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
    for (const std::string& c : state.partition_columns) {
      ARROW_RETURN_NOT_OK(static_cast<arrow::StringBuilder*>(partitions->value_builder())->Append(c));
    }
    ARROW_RETURN_NOT_OK(AppendMap(
        Child<arrow::MapBuilder>(meta, 6),
        std::vector<std::pair<std::string, std::string>>(state.configuration.begin(),
                                                         state.configuration.end())));
    return Child<arrow::Int64Builder>(meta, 7)->Append(state.created_time_ms);
  }));
  for (const auto& transaction : state.transactions) {
    ARROW_RETURN_NOT_OK(row(txn, [&] {
      ARROW_RETURN_NOT_OK(Child<arrow::StringBuilder>(txn, 0)->Append(transaction.first));
      ARROW_RETURN_NOT_OK(Child<arrow::Int64Builder>(txn, 1)->Append(transaction.second));
      return Child<arrow::Int64Builder>(txn, 2)->AppendNull();
    }));
  }
  for (const AddFile& f : state.files) {
    ARROW_RETURN_NOT_OK(row(add, [&] {
      ARROW_RETURN_NOT_OK(Child<arrow::StringBuilder>(add, 0)->Append(f.path));
      ARROW_RETURN_NOT_OK(AppendMap(Child<arrow::MapBuilder>(add, 1), f.day.empty() ? PartitionValues{} : PartitionValues{{"day", f.day}}));
      ARROW_RETURN_NOT_OK(Child<arrow::Int64Builder>(add, 2)->Append(f.size_bytes));
      ARROW_RETURN_NOT_OK(Child<arrow::Int64Builder>(add, 3)->Append(f.modification_time_ms));
      ARROW_RETURN_NOT_OK(Child<arrow::BooleanBuilder>(add, 4)->Append(false));
      auto* stats = Child<arrow::StringBuilder>(add, 5);
      ARROW_RETURN_NOT_OK(f.stats_json.empty() ? stats->AppendNull() : stats->Append(f.stats_json));
      // The commit version orders files also once the commits are gone;
      // the other tags only for files MyTSDB wrote (their values are exact).
      std::vector<std::pair<std::string, std::string>> tags = {
          {"mytsdb.version", std::to_string(f.version)}};
      if (f.has_mytsdb_tags) {
        tags.push_back({"mytsdb.min_ts", std::to_string(f.min_ts)});
        tags.push_back({"mytsdb.max_ts", std::to_string(f.max_ts)});
        tags.push_back({"mytsdb.rows", std::to_string(f.num_records)});
      }
      return AppendMap(Child<arrow::MapBuilder>(add, 6), tags);
    }));
  }
  for (const auto& tombstone : state.tombstones) {
    ARROW_RETURN_NOT_OK(row(remove, [&] {
      ARROW_RETURN_NOT_OK(Child<arrow::StringBuilder>(remove, 0)->Append(tombstone.first));
      ARROW_RETURN_NOT_OK(Child<arrow::Int64Builder>(remove, 1)->Append(tombstone.second));
      return Child<arrow::BooleanBuilder>(remove, 2)->Append(false);
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

Status WriteDeltaCheckpoint(io::FileSystem* fs, const std::string& path,
                            const CheckpointState& state) {
  auto batch = BuildBatch(state);
  if (!batch.ok()) return FromArrow(batch.status(), "checkpoint " + path);
  auto table = arrow::Table::FromRecordBatches({*batch});
  if (!table.ok()) return FromArrow(table.status(), "checkpoint " + path);
  const std::string tmp = io::StagingPathFor(fs, path);
  {
    ASSIGN_OR_RETURN(std::unique_ptr<io::WritableFile> file, fs->NewWritableFile(tmp));
    auto out = MakeArrowOutputStream(file.get());
    auto props = parquet::WriterProperties::Builder()
                     .compression(parquet::Compression::ZSTD)
                     ->memory_pool(ArrowMemoryPool())
                     ->build();
    auto st = parquet::arrow::WriteTable(**table, ArrowMemoryPool(), out, 64 * 1024,
                                         props);
    Status written = FromArrow(st, "write " + tmp);
    if (written.ok()) written = file->Sync();
    if (written.ok()) written = FromArrow(out->Close(), "close " + tmp);
    if (!written.ok()) {
      (void)fs->Remove(tmp);
      return written;
    }
  }
  Status st = io::PublishStagedFile(fs, tmp, path);
  if (!st.ok()) (void)fs->Remove(tmp);
  return st;
}

namespace {

// Parses a decimal tag; Corruption naming the checkpoint if it is not one.
Status ParseTag(const std::optional<std::string>& text, int64_t* out, const std::string& path) {
  if (!text) return Status::OK();
  auto r = std::from_chars(text->data(), text->data() + text->size(), *out);
  if (r.ec != std::errc() || r.ptr != text->data() + text->size()) {
    return Status::Corruption("Delta checkpoint " + path + ": bad MyTSDB tag \"" + *text + "\"");
  }
  return Status::OK();
}

std::vector<std::string> StringList(const arrow::ListArray* list, int64_t i) {
  std::vector<std::string> out;
  if (list == nullptr || list->IsNull(i)) return out;
  const auto& values = static_cast<const arrow::StringArray&>(*list->values());
  for (int64_t k = list->value_offset(i); k < list->value_offset(i) + list->value_length(i); ++k) {
    if (!values.IsNull(k)) out.emplace_back(values.GetView(k));
  }
  return out;
}

}  // namespace

Result<CheckpointState> ReadDeltaCheckpoint(io::FileSystem* fs, const std::string& path) {
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("Delta checkpoint " + path + ": " + why);
  };
  ASSIGN_OR_RETURN(auto file, OpenArrowInputFile(fs, path));
  std::shared_ptr<arrow::Table> table;
  try {
    parquet::arrow::FileReaderBuilder builder;
    auto opened = builder.Open(file, ParquetReaderProperties());
    if (!opened.ok()) return corrupt(opened.ToString());
    auto reader = builder.memory_pool(ArrowMemoryPool())->Build();
    if (!reader.ok()) return corrupt(reader.status().ToString());
    auto read = (*reader)->ReadTable();
    if (!read.ok()) return corrupt(read.status().ToString());
    auto combined = (*read)->CombineChunks(ArrowMemoryPool());
    if (!combined.ok()) return corrupt(combined.status().ToString());
    table = *combined;
  } catch (const std::exception& e) {
    return FromException(e, "Delta checkpoint " + path);
  }
  CheckpointState state;
  auto column = [&](const char* name) -> const arrow::StructArray* {
    auto c = table->GetColumnByName(name);
    if (!c || c->num_chunks() != 1 || c->type()->id() != arrow::Type::STRUCT) return nullptr;
    return static_cast<const arrow::StructArray*>(c->chunk(0).get());
  };
  // A field of a struct column of the expected type, or null.
  auto field_of = [](const arrow::StructArray* s, const char* name,
                     arrow::Type::type type) -> const arrow::Array* {
    if (s == nullptr) return nullptr;
    auto f = s->GetFieldByName(name);
    return f && f->type_id() == type ? f.get() : nullptr;
  };
  const arrow::StructArray* add = column("add");
  const arrow::StructArray* meta = column("metaData");
  const arrow::StructArray* txn = column("txn");
  const arrow::StructArray* protocol = column("protocol");
  const arrow::StructArray* remove = column("remove");
  auto remove_path = static_cast<const arrow::StringArray*>(field_of(remove, "path", arrow::Type::STRING));
  auto remove_when = static_cast<const arrow::Int64Array*>(field_of(remove, "deletionTimestamp", arrow::Type::INT64));
  auto add_path = static_cast<const arrow::StringArray*>(field_of(add, "path", arrow::Type::STRING));
  auto add_pv = static_cast<const arrow::MapArray*>(field_of(add, "partitionValues", arrow::Type::MAP));
  auto add_size = static_cast<const arrow::Int64Array*>(field_of(add, "size", arrow::Type::INT64));
  auto add_mtime = static_cast<const arrow::Int64Array*>(field_of(add, "modificationTime", arrow::Type::INT64));
  auto add_stats = static_cast<const arrow::StringArray*>(field_of(add, "stats", arrow::Type::STRING));
  auto add_tags = static_cast<const arrow::MapArray*>(field_of(add, "tags", arrow::Type::MAP));
  const arrow::Array* add_dv = add == nullptr ? nullptr : add->GetFieldByName("deletionVector").get();
  auto meta_id = static_cast<const arrow::StringArray*>(field_of(meta, "id", arrow::Type::STRING));
  auto meta_schema = static_cast<const arrow::StringArray*>(field_of(meta, "schemaString", arrow::Type::STRING));
  auto meta_created = static_cast<const arrow::Int64Array*>(field_of(meta, "createdTime", arrow::Type::INT64));
  auto meta_config = static_cast<const arrow::MapArray*>(field_of(meta, "configuration", arrow::Type::MAP));
  auto meta_parts = static_cast<const arrow::ListArray*>(field_of(meta, "partitionColumns", arrow::Type::LIST));
  auto txn_app = static_cast<const arrow::StringArray*>(field_of(txn, "appId", arrow::Type::STRING));
  auto txn_version = static_cast<const arrow::Int64Array*>(field_of(txn, "version", arrow::Type::INT64));
  auto proto_reader = static_cast<const arrow::Int32Array*>(field_of(protocol, "minReaderVersion", arrow::Type::INT32));
  auto proto_writer = static_cast<const arrow::Int32Array*>(field_of(protocol, "minWriterVersion", arrow::Type::INT32));
  auto proto_rf = static_cast<const arrow::ListArray*>(field_of(protocol, "readerFeatures", arrow::Type::LIST));
  auto proto_wf = static_cast<const arrow::ListArray*>(field_of(protocol, "writerFeatures", arrow::Type::LIST));
  bool have_protocol = false;

  for (int64_t i = 0; i < table->num_rows(); ++i) {
    if (add != nullptr && add->IsValid(i)) {
      if (add_path == nullptr || add_path->IsNull(i)) return corrupt("an add without a path");
      AddFile f;
      f.path = std::string(add_path->GetView(i));
      f.data_change = false;
      if (add_pv) f.day = MapValue(*add_pv, i, "day").value_or("");
      if (add_size && add_size->IsValid(i)) f.size_bytes = add_size->Value(i);
      if (add_mtime && add_mtime->IsValid(i)) f.modification_time_ms = add_mtime->Value(i);
      if (add_stats && add_stats->IsValid(i)) f.stats_json = std::string(add_stats->GetView(i));
      if (add_dv != nullptr && add_dv->IsValid(i)) state.uses_deletion_vectors = true;
      if (add_tags) {
        auto min_ts = MapValue(*add_tags, i, "mytsdb.min_ts");
        f.has_mytsdb_tags = min_ts.has_value();
        RETURN_NOT_OK(ParseTag(min_ts, &f.min_ts, path));
        RETURN_NOT_OK(ParseTag(MapValue(*add_tags, i, "mytsdb.max_ts"), &f.max_ts, path));
        RETURN_NOT_OK(ParseTag(MapValue(*add_tags, i, "mytsdb.rows"), &f.num_records, path));
        RETURN_NOT_OK(ParseTag(MapValue(*add_tags, i, "mytsdb.version"), &f.version, path));
      }
      state.files.push_back(std::move(f));
    } else if (meta != nullptr && meta->IsValid(i)) {
      if (meta_schema == nullptr || meta_schema->IsNull(i)) return corrupt("metaData without a schema");
      if (meta_id != nullptr && meta_id->IsValid(i)) state.table_id = std::string(meta_id->GetView(i));
      state.schema_string = std::string(meta_schema->GetView(i));
      if (meta_created && meta_created->IsValid(i)) state.created_time_ms = meta_created->Value(i);
      state.partition_columns = StringList(meta_parts, i);
      if (meta_config != nullptr && meta_config->IsValid(i)) {
        const auto& keys = static_cast<const arrow::StringArray&>(*meta_config->keys());
        const auto& items = static_cast<const arrow::StringArray&>(*meta_config->items());
        for (int64_t k = meta_config->value_offset(i);
             k < meta_config->value_offset(i) + meta_config->value_length(i); ++k) {
          if (!items.IsNull(k)) state.configuration[std::string(keys.GetView(k))] = std::string(items.GetView(k));
        }
      }
    } else if (txn != nullptr && txn->IsValid(i)) {
      if (txn_app && txn_version && txn_app->IsValid(i) && txn_version->IsValid(i)) {
        state.transactions[std::string(txn_app->GetView(i))] = txn_version->Value(i);
      }
    } else if (remove != nullptr && remove->IsValid(i)) {
      if (remove_path != nullptr && remove_path->IsValid(i)) {
        state.tombstones[std::string(remove_path->GetView(i))] =
            remove_when != nullptr && remove_when->IsValid(i) ? remove_when->Value(i) : 0;
      }
    } else if (protocol != nullptr && protocol->IsValid(i)) {
      have_protocol = true;
      if (proto_reader && proto_reader->IsValid(i)) state.protocol.min_reader_version = proto_reader->Value(i);
      if (proto_writer && proto_writer->IsValid(i)) state.protocol.min_writer_version = proto_writer->Value(i);
      state.protocol.reader_features = StringList(proto_rf, i);
      state.protocol.writer_features = StringList(proto_wf, i);
    }
  }
  if (state.schema_string.empty()) return corrupt("no metaData action");
  if (!have_protocol) return corrupt("no protocol action");
  return state;
}

}  // namespace mytsdb::cold
