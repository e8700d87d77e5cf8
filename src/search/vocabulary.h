// What operators type for what metrics say. Both sides of the lexical
// score go through the same canonical forms: light stemming ("requests" ->
// "request"), then synonyms and the abbreviations metric names use mapped
// to one head word ("errs", "failures" -> "error"; "slave" -> "replica";
// "rx", "recv", "input" -> "receive"; "qcache" -> "query", "cache").
// Questions also expand what only people type ("rps", "oom", "p99"). The
// model reads names with their abbreviations spelled out ("errs" ->
// "errors").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mytsdb::search {

// `term` without a plural "s" ("requests" -> "request", "fds" -> "fd",
// "queries" -> "query"; "status" and "process" stay).
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
