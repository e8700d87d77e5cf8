// Any bytes as a search question or a metric's name and HELP through the
// lexical side (word splitting, canonical terms, abbreviations) and the
// text the model reads: no crash, and no empty term.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "search/metric_text.h"
#include "search/vocabulary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  for (const auto& terms : {mytsdb::search::QueryTerms(text), mytsdb::search::DocumentTerms(text),
                            mytsdb::search::NameWords(text)}) {
    for (const std::string& t : terms) {
      if (t.empty()) std::abort();
    }
  }
  mytsdb::search::MetricEntry entry;
  entry.name = std::string(text.substr(0, size / 2));
  entry.help = std::string(text.substr(size / 2));
  entry.metric_names = {entry.name};
  if (mytsdb::search::EmbeddingText(entry).empty()) std::abort();
  (void)mytsdb::search::SuggestedQuery(entry);
  return 0;
}
