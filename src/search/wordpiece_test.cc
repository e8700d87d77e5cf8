// The tokenizer against Hugging Face's `tokenizers` (the oracle): the ids
// of every line of the corpus (metric names, their words and HELP texts of
// Prometheus and Alertmanager, and hard cases: accents, CJK, Cyrillic,
// Greek, Arabic, emoji, control and zero-width characters, full-width
// forms, ligatures, a word past 100 characters) equal the ids the oracle
// gave (testdata/tokenizer_golden.jsonl, scripts/search/tokenizer_golden.py).
#include "search/wordpiece.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

namespace mytsdb::search {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path << " is missing: run scripts/setup.sh (make does it)";
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

WordPiece Load() {
  auto wp = WordPiece::FromJson(ReadFile(std::string(MYTSDB_MODEL_DIR) + "/tokenizer.json"));
  EXPECT_TRUE(wp.ok()) << wp.status().ToString();
  return wp.ok() ? *std::move(wp) : WordPiece();
}

TEST(WordPieceTest, EqualsTheReferenceOnTheCorpus) {
  const WordPiece wp = Load();
  ASSERT_EQ(wp.vocab_size(), 30522u);
  std::istringstream golden(ReadFile(std::string(MYTSDB_SEARCH_TESTDATA) + "/tokenizer_golden.jsonl"));
  std::string line;
  size_t n = 0, with_unk = 0, non_trivial = 0;
  while (std::getline(golden, line)) {
    rapidjson::Document d;
    d.Parse(line.data(), line.size());
    ASSERT_FALSE(d.HasParseError()) << line;
    const std::string text(d["text"].GetString(), d["text"].GetStringLength());
    std::vector<int32_t> want;
    for (const auto& id : d["ids"].GetArray()) want.push_back(id.GetInt());
    EXPECT_EQ(wp.Encode(text), want) << text;
    ++n;
    non_trivial += want.size() > 3;
    for (int32_t id : want) with_unk += id == wp.unk_id();
  }
  // The corpus is what it claims: hundreds of texts, most of several
  // tokens, a few with unknown words.
  EXPECT_GE(n, 500u);
  EXPECT_GE(non_trivial, n * 3 / 4);
  EXPECT_GE(with_unk, 1u);
}

TEST(WordPieceTest, SplitsAndTruncates) {
  const WordPiece wp = Load();
  EXPECT_EQ(wp.PreTokenize("HTTP_Requests{code=\"5xx\"} Café"),
            (std::vector<std::string>{"http", "_", "requests", "{", "code", "=", "\"", "5xx", "\"", "}", "cafe"}));
  const auto ids = wp.Encode("one two three four five six", 4);
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids.front(), wp.cls_id());
  EXPECT_EQ(ids.back(), wp.sep_id());
  EXPECT_EQ(wp.Encode(""), (std::vector<int32_t>{wp.cls_id(), wp.sep_id()}));
  EXPECT_FALSE(WordPiece::FromJson("{}").ok());
  EXPECT_FALSE(WordPiece::FromJson("{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}").ok());
}

}  // namespace
}  // namespace mytsdb::search
