// Remote write through the protobuf library's generated code
// (remote_write.proto): the decoder that the hand-written one serving
// requests is checked against in tests and by the fuzzer, since the library
// is the reference for what a protobuf message is. The encoder
// (EncodeWriteRequest, remote_write.h) lives here too.
#pragma once

#include <string_view>

#include "common/result.h"
#include "ingest/remote_write.h"

namespace mytsdb::ingest {

// DecodeWriteRequest's result, decoded by the protobuf library.
Result<WriteRequest> DecodeWriteRequestWithProtobuf(std::string_view body, const DecodeOptions& options);

}  // namespace mytsdb::ingest
