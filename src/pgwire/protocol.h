// The PostgreSQL frontend/backend protocol 3.0, as bytes: reading the
// messages clients send and building the ones a server answers
// (https://www.postgresql.org/docs/current/protocol-message-formats.html).
// No I/O here, so that every parser can be fuzzed and tested alone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mytsdb::pgwire {

inline constexpr int32_t kProtocolVersion3 = 196608;  // 3.0
inline constexpr int32_t kSslRequestCode = 80877103;
inline constexpr int32_t kGssEncRequestCode = 80877104;
inline constexpr int32_t kCancelRequestCode = 80877102;
// Largest message accepted (a query text or a bind's parameters), as the
// HTTP API's largest body: a connection holds at most this much at once.
inline constexpr int32_t kMaxMessageBytes = 16 << 20;

// Reads the fields of one message body; every read fails (InvalidArgument)
// past its end.
class MessageReader {
 public:
  explicit MessageReader(std::string_view body) : body_(body) {}
  Result<int16_t> Int16();
  Result<int32_t> Int32();
  Result<std::string> String();  // NUL-terminated
  Result<std::string_view> Bytes(size_t n);
  bool at_end() const { return pos_ == body_.size(); }

 private:
  std::string_view body_;
  size_t pos_ = 0;
};

// Builds one backend message: its type, then the length (filled in by
// Finish), then the fields.
class MessageBuilder {
 public:
  explicit MessageBuilder(char type);
  MessageBuilder& Int16(int16_t v);
  MessageBuilder& Int32(int32_t v);
  MessageBuilder& String(std::string_view s);  // with its NUL
  MessageBuilder& Bytes(std::string_view s);
  // Appends the message to *out.
  void AppendTo(std::string* out);

 private:
  std::string buf_;
};

// The first message of a connection (it has no type byte).
struct StartupMessage {
  enum class Kind { kStartup, kSslRequest, kGssEncRequest, kCancelRequest } kind = Kind::kStartup;
  int32_t version = 0;
  std::map<std::string, std::string> parameters;  // user, database, application_name, ...
  int32_t cancel_process_id = 0;
  int32_t cancel_secret = 0;
};
// `body`: the packet after its length word.
Result<StartupMessage> ParseStartup(std::string_view body);

struct ParseMessage {
  std::string statement;  // "" is the unnamed one
  std::string query;
  std::vector<int32_t> parameter_types;  // OIDs; 0 unspecified
};
Result<ParseMessage> ParseParse(std::string_view body);

struct BindMessage {
  std::string portal;
  std::string statement;
  std::vector<int16_t> parameter_formats;  // 0 text, 1 binary
  std::vector<std::optional<std::string>> parameters;  // nullopt: NULL
  std::vector<int16_t> result_formats;
};
Result<BindMessage> ParseBind(std::string_view body);

struct DescribeMessage {
  char kind = 'S';  // 'S' statement, 'P' portal
  std::string name;
};
Result<DescribeMessage> ParseDescribe(std::string_view body);  // also Close's

struct ExecuteMessage {
  std::string portal;
  int32_t max_rows = 0;  // 0: all
};
Result<ExecuteMessage> ParseExecute(std::string_view body);

// ---- backend messages --------------------------------------------------------

// ErrorResponse: severity ERROR (or FATAL), the SQLSTATE, the message, and
// the 1-based character position in the query where known.
void AppendError(std::string* out, std::string_view sqlstate, std::string_view message,
                 std::optional<int> position = std::nullopt, bool fatal = false);
void AppendReadyForQuery(std::string* out, char status);  // 'I', 'T' or 'E'
void AppendCommandComplete(std::string* out, std::string_view tag);
void AppendParameterStatus(std::string* out, std::string_view name, std::string_view value);

// A column of a RowDescription.
struct Field {
  std::string name;
  int32_t type_oid = 25;
  int16_t type_size = -1;
  int16_t format = 0;  // 0 text, 1 binary
};
void AppendRowDescription(std::string* out, const std::vector<Field>& fields);

}  // namespace mytsdb::pgwire
