// What operators type for what metrics say: abbreviations ("rps", "oom",
// "p99") and light stemming, used on both sides of the lexical score.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mytsdb::search {

// `term` without a plural or verb "s" ("requests" -> "request", but
// "bytes" stays: units are matched whole, and "status", "process" stay).
std::string Stem(std::string_view term);

// The words an abbreviation stands for ("rps" -> requests, per, second),
// empty for other terms.
const std::vector<std::string>& Expansion(std::string_view term);

// The question's terms, stemmed, with the abbreviations' expansions added.
std::vector<std::string> QueryTerms(std::string_view question);

}  // namespace mytsdb::search
