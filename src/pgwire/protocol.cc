#include "pgwire/protocol.h"

#include <arpa/inet.h>

#include <cstring>

namespace mytsdb::pgwire {

namespace {

Status Truncated() { return Status::InvalidArgument("PostgreSQL protocol: message truncated"); }

}  // namespace

Result<int16_t> MessageReader::Int16() {
  if (body_.size() - pos_ < 2) return Truncated();
  uint16_t v;
  std::memcpy(&v, body_.data() + pos_, 2);
  pos_ += 2;
  return static_cast<int16_t>(ntohs(v));
}

Result<int32_t> MessageReader::Int32() {
  if (body_.size() - pos_ < 4) return Truncated();
  uint32_t v;
  std::memcpy(&v, body_.data() + pos_, 4);
  pos_ += 4;
  return static_cast<int32_t>(ntohl(v));
}

Result<std::string> MessageReader::String() {
  const size_t end = body_.find('\0', pos_);
  if (end == std::string_view::npos) return Truncated();
  std::string s(body_.substr(pos_, end - pos_));
  pos_ = end + 1;
  return s;
}

Result<std::string_view> MessageReader::Bytes(size_t n) {
  if (body_.size() - pos_ < n) return Truncated();
  std::string_view s = body_.substr(pos_, n);
  pos_ += n;
  return s;
}

MessageBuilder::MessageBuilder(char type) {
  buf_.push_back(type);
  buf_.append(4, '\0');
}

MessageBuilder& MessageBuilder::Int16(int16_t v) {
  const uint16_t n = htons(static_cast<uint16_t>(v));
  buf_.append(reinterpret_cast<const char*>(&n), 2);
  return *this;
}

MessageBuilder& MessageBuilder::Int32(int32_t v) {
  const uint32_t n = htonl(static_cast<uint32_t>(v));
  buf_.append(reinterpret_cast<const char*>(&n), 4);
  return *this;
}

MessageBuilder& MessageBuilder::String(std::string_view s) {
  buf_.append(s);
  buf_.push_back('\0');
  return *this;
}

MessageBuilder& MessageBuilder::Bytes(std::string_view s) {
  buf_.append(s);
  return *this;
}

void MessageBuilder::AppendTo(std::string* out) {
  const uint32_t length = htonl(static_cast<uint32_t>(buf_.size() - 1));
  std::memcpy(buf_.data() + 1, &length, 4);
  out->append(buf_);
}

Result<StartupMessage> ParseStartup(std::string_view body) {
  MessageReader r(body);
  StartupMessage m;
  ASSIGN_OR_RETURN(m.version, r.Int32());
  if (m.version == kSslRequestCode) {
    m.kind = StartupMessage::Kind::kSslRequest;
  } else if (m.version == kGssEncRequestCode) {
    m.kind = StartupMessage::Kind::kGssEncRequest;
  } else if (m.version == kCancelRequestCode) {
    m.kind = StartupMessage::Kind::kCancelRequest;
    ASSIGN_OR_RETURN(m.cancel_process_id, r.Int32());
    ASSIGN_OR_RETURN(m.cancel_secret, r.Int32());
  } else {
    // name/value pairs, ended by an empty name.
    while (true) {
      ASSIGN_OR_RETURN(std::string name, r.String());
      if (name.empty()) break;
      ASSIGN_OR_RETURN(std::string value, r.String());
      m.parameters[name] = value;
    }
  }
  return m;
}

Result<ParseMessage> ParseParse(std::string_view body) {
  MessageReader r(body);
  ParseMessage m;
  ASSIGN_OR_RETURN(m.statement, r.String());
  ASSIGN_OR_RETURN(m.query, r.String());
  ASSIGN_OR_RETURN(int16_t n, r.Int16());
  if (n < 0) return Status::InvalidArgument("PostgreSQL protocol: negative parameter count");
  for (int16_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(int32_t oid, r.Int32());
    m.parameter_types.push_back(oid);
  }
  return m;
}

Result<BindMessage> ParseBind(std::string_view body) {
  MessageReader r(body);
  BindMessage m;
  ASSIGN_OR_RETURN(m.portal, r.String());
  ASSIGN_OR_RETURN(m.statement, r.String());
  ASSIGN_OR_RETURN(int16_t formats, r.Int16());
  if (formats < 0) return Status::InvalidArgument("PostgreSQL protocol: negative format count");
  for (int16_t i = 0; i < formats; ++i) {
    ASSIGN_OR_RETURN(int16_t f, r.Int16());
    m.parameter_formats.push_back(f);
  }
  ASSIGN_OR_RETURN(int16_t n, r.Int16());
  if (n < 0) return Status::InvalidArgument("PostgreSQL protocol: negative parameter count");
  for (int16_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(int32_t length, r.Int32());
    if (length == -1) {
      m.parameters.emplace_back(std::nullopt);
      continue;
    }
    if (length < 0) return Status::InvalidArgument("PostgreSQL protocol: negative parameter length");
    ASSIGN_OR_RETURN(std::string_view value, r.Bytes(static_cast<size_t>(length)));
    m.parameters.emplace_back(std::string(value));
  }
  ASSIGN_OR_RETURN(int16_t results, r.Int16());
  if (results < 0) return Status::InvalidArgument("PostgreSQL protocol: negative format count");
  for (int16_t i = 0; i < results; ++i) {
    ASSIGN_OR_RETURN(int16_t f, r.Int16());
    m.result_formats.push_back(f);
  }
  return m;
}

Result<DescribeMessage> ParseDescribe(std::string_view body) {
  MessageReader r(body);
  DescribeMessage m;
  ASSIGN_OR_RETURN(std::string_view kind, r.Bytes(1));
  m.kind = kind[0];
  if (m.kind != 'S' && m.kind != 'P') {
    return Status::InvalidArgument("PostgreSQL protocol: describe or close of kind '" +
                                   std::string(1, m.kind) + "'");
  }
  ASSIGN_OR_RETURN(m.name, r.String());
  return m;
}

Result<ExecuteMessage> ParseExecute(std::string_view body) {
  MessageReader r(body);
  ExecuteMessage m;
  ASSIGN_OR_RETURN(m.portal, r.String());
  ASSIGN_OR_RETURN(m.max_rows, r.Int32());
  return m;
}

void AppendError(std::string* out, std::string_view sqlstate, std::string_view message,
                 std::optional<int> position, bool fatal) {
  MessageBuilder b('E');
  b.Bytes("S").String(fatal ? "FATAL" : "ERROR");
  b.Bytes("V").String(fatal ? "FATAL" : "ERROR");
  b.Bytes("C").String(sqlstate);
  b.Bytes("M").String(message);
  if (position) b.Bytes("P").String(std::to_string(*position));
  b.Bytes(std::string_view("\0", 1));
  b.AppendTo(out);
}

void AppendReadyForQuery(std::string* out, char status) {
  MessageBuilder('Z').Bytes(std::string_view(&status, 1)).AppendTo(out);
}

void AppendCommandComplete(std::string* out, std::string_view tag) {
  MessageBuilder('C').String(tag).AppendTo(out);
}

void AppendParameterStatus(std::string* out, std::string_view name, std::string_view value) {
  MessageBuilder('S').String(name).String(value).AppendTo(out);
}

void AppendRowDescription(std::string* out, const std::vector<Field>& fields) {
  MessageBuilder b('T');
  b.Int16(static_cast<int16_t>(fields.size()));
  for (const Field& f : fields) {
    b.String(f.name).Int32(0).Int16(0).Int32(f.type_oid).Int16(f.type_size).Int32(-1).Int16(f.format);
  }
  b.AppendTo(out);
}

}  // namespace mytsdb::pgwire
