// What the two remote-write decoders share: the hand-written one that
// serves requests (remote_write.cc) and the protobuf library's, which tests
// and the fuzzer check it against (remote_write_protobuf.h).
//
// Private to the ingest module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "ingest/remote_write.h"
#include "model/labels.h"

namespace mytsdb::ingest {

// The snappy block decompressed, its announced size checked against the
// limit first.
Result<std::string> Decompress(std::string_view body, const DecodeOptions& options);

// A series' labels as sent, validated as Prometheus's receiver does; labels
// with an empty value dropped afterwards.
Result<model::Labels> ValidatedLabels(std::vector<model::Label> labels, const DecodeOptions& options);

}  // namespace mytsdb::ingest
