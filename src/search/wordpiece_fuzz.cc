// Any bytes as a search query through the tokenizer (invalid UTF-8,
// control characters, huge words): it ends with ids between [CLS] and
// [SEP], each in the vocabulary, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "search/wordpiece.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  static const mytsdb::search::WordPiece* wp = [] {
    std::ifstream in(std::string(MYTSDB_MODEL_DIR) + "/tokenizer.json", std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    auto loaded = mytsdb::search::WordPiece::FromJson(s.str());
    if (!loaded.ok()) std::abort();  // run scripts/setup.sh first
    return new mytsdb::search::WordPiece(*std::move(loaded));
  }();
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  const auto ids = wp->Encode(text, size % 2 == 0 ? 0 : 64);
  if (ids.size() < 2 || ids.front() != wp->cls_id() || ids.back() != wp->sep_id()) std::abort();
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= wp->vocab_size()) std::abort();
  }
  return 0;
}
