#include "search/wordpiece.h"

#include <rapidjson/document.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace mytsdb::search {

namespace {

// Rust's char::is_whitespace (Unicode White_Space), as tokenizers uses it.
bool IsWhitespace(UChar32 c) { return c == '\t' || c == '\n' || c == '\r' || u_isUWhiteSpace(c); }

// tokenizers' is_control: the "Other" categories, but \t \n \r.
bool IsControl(UChar32 c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (u_charType(c)) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_SURROGATE:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED: return true;
    default: return false;
  }
}

bool IsPunctuation(UChar32 c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  switch (u_charType(c)) {
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION: return true;
    default: return false;
  }
}

bool IsChinese(UChar32 c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void AppendUtf8(std::string* out, UChar32 c) {
  char buf[U8_MAX_LENGTH];
  int32_t n = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, U8_MAX_LENGTH, c, error);
  if (!error) out->append(buf, n);
}

// BertNormalizer: clean text, CJK padding, strip accents, lowercase.
icu::UnicodeString Normalize(std::string_view text) {
  icu::UnicodeString cleaned;
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  for (int32_t i = 0; i < in.length();) {
    const UChar32 c = in.char32At(i);
    i += U16_LENGTH(c);
    if (c == 0 || c == 0xFFFD || IsControl(c)) continue;
    if (IsWhitespace(c)) {
      cleaned.append(static_cast<UChar>(' '));
    } else if (IsChinese(c)) {
      cleaned.append(static_cast<UChar>(' ')).append(c).append(static_cast<UChar>(' '));
    } else {
      cleaned.append(c);
    }
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  icu::UnicodeString decomposed = U_SUCCESS(status) ? nfd->normalize(cleaned, status) : cleaned;
  if (U_FAILURE(status)) decomposed = cleaned;
  icu::UnicodeString stripped;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) != U_NON_SPACING_MARK) stripped.append(c);
  }
  return stripped.toLower(icu::Locale::getRoot());
}

}  // namespace

Result<WordPiece> WordPiece::FromJson(std::string_view tokenizer_json) {
  rapidjson::Document doc;
  doc.Parse(tokenizer_json.data(), tokenizer_json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("model") || !doc["model"].IsObject()) {
    return Status::InvalidArgument("tokenizer.json: not a tokenizers JSON document");
  }
  const rapidjson::Value& model = doc["model"];
  if (!model.HasMember("type") || !model["type"].IsString() || std::string_view(model["type"].GetString()) != "WordPiece") {
    return Status::InvalidArgument("tokenizer.json: the model is not WordPiece");
  }
  if (!model.HasMember("vocab") || !model["vocab"].IsObject()) {
    return Status::InvalidArgument("tokenizer.json: the model has no vocab");
  }
  WordPiece wp;
  for (const auto& m : model["vocab"].GetObject()) {
    if (!m.value.IsInt()) return Status::InvalidArgument("tokenizer.json: a vocab id is not an integer");
    wp.vocab_.emplace(std::string(m.name.GetString(), m.name.GetStringLength()), m.value.GetInt());
  }
  if (model.HasMember("continuing_subword_prefix") && model["continuing_subword_prefix"].IsString()) {
    wp.prefix_ = model["continuing_subword_prefix"].GetString();
  }
  if (model.HasMember("max_input_chars_per_word") && model["max_input_chars_per_word"].IsUint()) {
    wp.max_chars_per_word_ = model["max_input_chars_per_word"].GetUint();
  }
  auto id = [&wp](const char* token) {
    auto it = wp.vocab_.find(token);
    return it == wp.vocab_.end() ? -1 : it->second;
  };
  // Added tokens ([CLS], [SEP], ...) are matched in the raw text first, as
  // tokenizers' AddedVocabulary does.
  if (doc.HasMember("added_tokens") && doc["added_tokens"].IsArray()) {
    for (const auto& t : doc["added_tokens"].GetArray()) {
      if (!t.IsObject() || !t.HasMember("content") || !t["content"].IsString() || !t.HasMember("id") || !t["id"].IsInt()) {
        return Status::InvalidArgument("tokenizer.json: a malformed added token");
      }
      wp.added_.emplace_back(t["content"].GetString(), t["id"].GetInt());
    }
  }
  wp.cls_ = id("[CLS]");
  wp.sep_ = id("[SEP]");
  wp.unk_ = id("[UNK]");
  if (wp.cls_ < 0 || wp.sep_ < 0 || wp.unk_ < 0) {
    return Status::InvalidArgument("tokenizer.json: the vocab lacks [CLS], [SEP] or [UNK]");
  }
  return wp;
}

std::vector<std::string> WordPiece::PreTokenize(std::string_view text) const {
  const icu::UnicodeString normalized = Normalize(text);
  std::vector<std::string> words;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) words.push_back(std::move(current));
    current.clear();
  };
  for (int32_t i = 0; i < normalized.length();) {
    const UChar32 c = normalized.char32At(i);
    i += U16_LENGTH(c);
    if (IsWhitespace(c)) {
      flush();
    } else if (IsPunctuation(c)) {
      flush();
      AppendUtf8(&current, c);
      flush();
    } else {
      AppendUtf8(&current, c);
    }
  }
  flush();
  return words;
}

void WordPiece::WordIds(const std::string& word, std::vector<int32_t>* out) const {
  // Character boundaries of the word (UTF-8).
  std::vector<size_t> bounds;
  for (int32_t i = 0; i < static_cast<int32_t>(word.size());) {
    bounds.push_back(static_cast<size_t>(i));
    UChar32 c;
    U8_NEXT(word.data(), i, static_cast<int32_t>(word.size()), c);
  }
  bounds.push_back(word.size());
  const size_t chars = bounds.size() - 1;
  if (chars > max_chars_per_word_) {
    out->push_back(unk_);
    return;
  }
  std::vector<int32_t> pieces;
  size_t start = 0;
  while (start < chars) {
    size_t end = chars;
    int32_t found = -1;
    while (end > start) {
      std::string piece = word.substr(bounds[start], bounds[end] - bounds[start]);
      if (start > 0) piece = prefix_ + piece;
      if (auto it = vocab_.find(piece); it != vocab_.end()) {
        found = it->second;
        break;
      }
      --end;
    }
    if (found < 0) {
      out->push_back(unk_);  // the whole word, as WordPiece does
      return;
    }
    pieces.push_back(found);
    start = end;
  }
  out->insert(out->end(), pieces.begin(), pieces.end());
}

std::vector<int32_t> WordPiece::Encode(std::string_view text, size_t max_length) const {
  std::vector<int32_t> ids = {cls_};
  // The raw text is cut at added tokens (the longest at each place); what
  // lies between goes through normalization and WordPiece.
  size_t start = 0, at = 0;
  while (at < text.size()) {
    const std::pair<std::string, int32_t>* match = nullptr;
    for (const auto& added : added_) {
      if (text.compare(at, added.first.size(), added.first) == 0 &&
          (match == nullptr || added.first.size() > match->first.size())) {
        match = &added;
      }
    }
    if (match == nullptr || match->first.empty()) {
      ++at;
      continue;
    }
    for (const std::string& word : PreTokenize(text.substr(start, at - start))) WordIds(word, &ids);
    ids.push_back(match->second);
    at += match->first.size();
    start = at;
  }
  for (const std::string& word : PreTokenize(text.substr(start))) WordIds(word, &ids);
  if (max_length >= 2 && ids.size() + 1 > max_length) ids.resize(max_length - 1);
  ids.push_back(sep_);
  return ids;
}

}  // namespace mytsdb::search
