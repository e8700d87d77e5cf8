// What operators type for what metrics say. Both sides of the lexical
// score go through the same canonical forms: synonyms and the abbreviations
// metric names use mapped to one head word ("errs", "failures" -> "error";
// "slave" -> "replica"; "rx", "recv", "input" -> "receive"), compounds split
// ("qcache" -> "query", "cache"), other words stemmed by Snowball's English
// stemmer ("replicating", "replication" -> "replic"). Questions drop words
// that say nothing of a metric ("which", "how many") and expand what only
// people say ("rps", "oom", "p99", "disk" -> also "filesystem", "reboot" ->
// "boot"). The model reads names with their abbreviations spelled out
// ("errs" -> "errors").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mytsdb::search {

// `term`'s Snowball English stem ("requests" -> "request", "queries" ->
// "queri"); words shorter than three letters stay as they are.
std::string Stem(std::string_view term);

// The canonical terms of one lower-case word (usually one).
std::vector<std::string> CanonicalTerms(std::string_view word);

// The canonical terms of free text or a name (split as NameWords does).
std::vector<std::string> DocumentTerms(std::string_view text);

// The question's canonical terms, with the expansions of what people
// abbreviate in questions added.
std::vector<std::string> QueryTerms(std::string_view question);

// A name's word as the model should read it: abbreviations spelled out
// ("errs" -> "errors", "qcache" -> "query cache"); others unchanged.
std::string_view ReadableWord(std::string_view word);

}  // namespace mytsdb::search
