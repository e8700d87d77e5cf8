// Any bytes as an embeddings endpoint's reply (the endpoint is another
// process, maybe another machine): an error, or texts × dimension floats,
// each row of unit length; never a crash. The first byte chooses how many
// texts were sent and whether the dimension is known.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "search/remote_embedder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  const size_t texts = 1 + bytes[0] % 3;
  const size_t dimension = (bytes[0] & 0x80) != 0 ? 4 : 0;
  const std::string_view body(reinterpret_cast<const char*>(bytes + 1), size - 1);
  size_t got = 0;
  auto parsed = mytsdb::search::ParseEmbeddingsReply(body, texts, dimension, &got);
  if (!parsed.ok()) return 0;
  if (got == 0 || (dimension != 0 && got != dimension) || parsed->size() != texts * got) std::abort();
  for (size_t t = 0; t < texts; ++t) {
    double norm = 0;
    for (size_t d = 0; d < got; ++d) norm += double{(*parsed)[t * got + d]} * (*parsed)[t * got + d];
    if (!(std::fabs(norm - 1.0) < 1e-3)) std::abort();
  }
  return 0;
}
