// Remote-read requests from the network: any body gets a request or an
// InvalidArgument, never a crash, and a decoded request's matchers work.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "remote/read_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto request = mytsdb::remote::DecodeReadRequest(body, 1 << 20);
  if (request.ok()) {
    for (const auto& query : request->queries) {
      for (const auto& matcher : query.matchers) (void)matcher.Matches("value");
    }
  }
  return 0;
}
