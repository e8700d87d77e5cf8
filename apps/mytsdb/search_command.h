// Semantic search in the app (issue 15; docs/SEARCH.md): the service inside
// `mytsdb serve` (its vectors in DATA/search/vectors, /api/v1/search), and
// `mytsdb search "QUESTION"`, which asks a running server and prints the
// ranked metrics.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "http/server.h"
#include "search/search_service.h"
#include "telemetry/metrics.h"

namespace mytsdb::storage {
class Storage;
}

namespace mytsdb::app {

struct Config;

class EmbeddedSearch {
 public:
  ~EmbeddedSearch() { Stop(); }
  // Adds /api/v1/search (503 until Start) and the mytsdb_search_* metrics.
  // Call before the server runs.
  void Attach(http::Server* server, telemetry::Registry* registry);
  // Opens the service over `storage`. A model directory given explicitly
  // that cannot be loaded is an error; without one, a missing default
  // model leaves search unavailable with the reason logged and answered.
  // An embeddings endpoint that does not answer leaves search unavailable
  // too, and is asked again every refresh interval until it does: the
  // server does not stop for it.
  Status Start(const Config& config, const storage::Storage* storage);
  void Stop();

 private:
  void SetWhyNot(std::string why);

  std::unique_ptr<search::SearchService> service_;
  std::atomic<search::SearchService*> ptr_{nullptr};
  std::mutex why_mu_;
  std::string why_not_ = "search is starting";
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread opener_;  // retries an embeddings endpoint
};

// Where `serve` looks for the model when --search.model-dir is not given.
std::string DefaultModelDir();

struct SearchCommandOptions {
  std::string question;
  std::string url = "http://127.0.0.1:9663";
  size_t limit = 10;
  std::string type;
  std::vector<std::string> match;
  std::string mode;
  std::string format = "table";  // table or json
  std::string user;              // basic auth; password from MYTSDB_PASSWORD
};

// Prints the result on stdout; returns the exit code (an error goes to
// stderr as one line).
int RunSearchCommand(const SearchCommandOptions& options);

}  // namespace mytsdb::app
