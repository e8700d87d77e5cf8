// An OpenAI-compatible embeddings endpoint as the search's model
// (--search.embeddings-url): POST {"model", "input": [texts]} to the URL,
// read data[i].embedding. OpenAI, and the servers that copy its API
// (llama.cpp's server, vLLM, Ollama, text-embeddings-inference), answer
// it, so that a larger model than the server runs itself can rank.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "search/embedder.h"

namespace mytsdb::search {

struct RemoteEmbedderOptions {
  std::string url;      // the endpoint, e.g. http://127.0.0.1:8080/v1/embeddings
  std::string model;    // sent as "model"; also names the vectors in the table
  std::string api_key;  // sent as "Authorization: Bearer ..." when not empty
  // Of each request (the first, which learns the dimension, and a
  // question's, 5 s at most); stopping the server waits for one in flight.
  std::chrono::milliseconds timeout{10'000};
  size_t max_batch = 64;  // texts per request
  int attempts = 3;       // for a batch of families: 5xx, 429 and no answer are tried again
};

// Asks the endpoint once to learn the vectors' dimension: an error names
// the URL and what went wrong (no answer, an HTTP error with the
// endpoint's message, a reply that is not an embeddings list).
Result<std::unique_ptr<Embedder>> OpenRemoteEmbedder(const RemoteEmbedderOptions& options);

// The vectors of an endpoint's reply to `texts` texts, in input order
// (by each item's "index"), each scaled to unit length: an error for
// anything else (another count, a repeated index, a non-number, a zero
// vector, another dimension than `dimension` when that is not 0). Sets
// *got_dimension.
Result<std::vector<float>> ParseEmbeddingsReply(std::string_view body, size_t texts, size_t dimension,
                                                size_t* got_dimension);

}  // namespace mytsdb::search
