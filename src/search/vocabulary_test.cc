// The lexical side's canonical forms: a question and a metric that say the
// same thing in different words meet on the same terms, and common words
// are not taken over by a synonym group.
#include "search/vocabulary.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mytsdb::search {
namespace {

bool Has(const std::vector<std::string>& terms, const std::string& term) {
  return std::find(terms.begin(), terms.end(), term) != terms.end();
}

// Every canonical term of `document` is among the question's terms.
bool Meets(std::string_view question, std::string_view document) {
  const auto asked = QueryTerms(question);
  const auto stored = DocumentTerms(document);
  return !stored.empty() && std::all_of(stored.begin(), stored.end(), [&](const auto& t) { return Has(asked, t); });
}

TEST(VocabularyTest, StemsWithSnowball) {
  EXPECT_EQ(Stem("requests"), "request");
  EXPECT_EQ(Stem("replicating"), Stem("replication"));
  EXPECT_EQ(Stem("disconnected"), Stem("disconnect"));
  EXPECT_EQ(Stem("rx"), "rx");  // too short to stem
  EXPECT_EQ(Stem(""), "");
}

TEST(VocabularyTest, SynonymsAndAbbreviationsMeetOnOneHead) {
  EXPECT_EQ(CanonicalTerms("errs"), CanonicalTerms("failures"));
  EXPECT_EQ(CanonicalTerms("slave"), CanonicalTerms("replica"));
  EXPECT_EQ(CanonicalTerms("recv"), CanonicalTerms("received"));
  EXPECT_EQ(CanonicalTerms("postgresql"), CanonicalTerms("pg"));
  EXPECT_EQ(CanonicalTerms("octets"), CanonicalTerms("bytes"));
}

TEST(VocabularyTest, CompoundsSplitIntoCanonicalWords) {
  auto qcache = CanonicalTerms("qcache");
  auto words = DocumentTerms("query cache");
  EXPECT_EQ(qcache, words);
  EXPECT_EQ(DocumentTerms("namedprocess_namegroup_open_filedesc"), DocumentTerms("process name group open fd"));
}

TEST(VocabularyTest, CommonWordsKeepTheirMeaning) {
  // A group's word whose stem is another word would take that word over
  // ("timed" -> "time" made every "time" a timeout).
  for (const char* word : {"time", "run", "state", "open", "size", "cache", "disk", "write", "read"}) {
    EXPECT_EQ(CanonicalTerms(word), std::vector<std::string>{Stem(word)}) << word;
  }
}

TEST(VocabularyTest, QuestionsExpandToTheWordsMetricsUse) {
  EXPECT_TRUE(Meets("kernel version", "uname"));
  EXPECT_TRUE(Meets("which disks are almost full", "filesystem available"));
  EXPECT_TRUE(Meets("when did the server last reboot", "boot"));
  EXPECT_TRUE(Meets("p99", "quantile bucket"));
  EXPECT_TRUE(Meets("oom", "kill"));
  EXPECT_TRUE(Meets("did the service restart", "start"));
  EXPECT_TRUE(Meets("is the website reachable", "probe success"));
  EXPECT_FALSE(Meets("disk", "uname"));
}

TEST(VocabularyTest, QuestionsDropWordsThatSayNothingOfAMetric) {
  const auto terms = QueryTerms("which disks are almost full");
  EXPECT_FALSE(Has(terms, "which"));
  EXPECT_FALSE(Has(terms, "are"));
  EXPECT_TRUE(Has(terms, "disk"));
  // "if" opens a question's clause, but in SNMP's names it is the interface.
  EXPECT_TRUE(QueryTerms("if").empty());
  EXPECT_EQ(DocumentTerms("ifInErrors"), DocumentTerms("interface in errors"));
}

}  // namespace
}  // namespace mytsdb::search
