// The tokenizer of the sentence-embedding model (issue 15): BERT's
// uncased WordPiece as Hugging Face's `tokenizers` runs it from a
// tokenizer.json (BertNormalizer: control characters removed, whitespace
// made spaces, CJK characters set apart, accents stripped through NFD,
// lower-cased; BertPreTokenizer: split at whitespace and around each
// punctuation character; WordPiece: greedy longest match, "##" for
// continuations, [UNK] for a word it cannot cover or longer than 100
// characters), then [CLS] ... [SEP]; the added tokens ([CLS], [MASK], ...)
// are recognized in the raw text first. Unicode properties and
// normalization come from ICU. Its ids equal the `tokenizers` package's on
// the test corpus (src/search/testdata, scripts/search/tokenizer_golden.py).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"

namespace mytsdb::search {

class WordPiece {
 public:
  // From the text of a tokenizer.json (its model's vocab and settings).
  static Result<WordPiece> FromJson(std::string_view tokenizer_json);

  // The ids of `text`, [CLS] first and [SEP] last; at most `max_length`
  // ids when it is > 0 (the text's tokens cut, [SEP] kept).
  std::vector<int32_t> Encode(std::string_view text, size_t max_length = 0) const;

  // The normalized words, before WordPiece (tests, debugging).
  std::vector<std::string> PreTokenize(std::string_view text) const;

  size_t vocab_size() const { return vocab_.size(); }
  int32_t cls_id() const { return cls_; }
  int32_t sep_id() const { return sep_; }
  int32_t unk_id() const { return unk_; }

 private:
  void WordIds(const std::string& word, std::vector<int32_t>* out) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::pair<std::string, int32_t>> added_;  // matched in the raw text
  std::string prefix_ = "##";
  size_t max_chars_per_word_ = 100;
  int32_t cls_ = -1, sep_ = -1, unk_ = -1;
};

}  // namespace mytsdb::search
