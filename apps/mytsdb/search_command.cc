#include "search_command.h"

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "promconfig/http_client_config.h"
#include "config.h"
#include "http/search_api.h"
#include "io/file_system.h"

namespace mytsdb::app {

std::string DefaultModelDir() { return MYTSDB_DEFAULT_MODEL_DIR; }

void EmbeddedSearch::Attach(http::Server* server, telemetry::Registry* registry) {
  registry->AddCollector([this](telemetry::TextWriter* w) {
    search::SearchService* s = ptr_.load();
    if (s == nullptr) return;
    const search::SearchStats st = s->stats();
    auto metric = [w](const char* name, const char* type, const char* help, double v) {
      w->Family(name, type, help);
      w->Sample(name, {}, v);
    };
    metric("mytsdb_search_families", "gauge", "Metric families in the search catalog.", static_cast<double>(st.families));
    metric("mytsdb_search_indexed_families", "gauge", "Metric families embedded and searchable.",
           static_cast<double>(st.indexed));
    metric("mytsdb_search_embedded_total", "counter", "Metric families embedded since the start.",
           static_cast<double>(st.embedded_total));
    metric("mytsdb_search_embed_seconds_total", "counter", "Time spent embedding metric families.",
           st.embed_seconds_total);
    metric("mytsdb_search_refreshes_total", "counter", "Refreshes of the search catalog.",
           static_cast<double>(st.refreshes));
    metric("mytsdb_search_last_refresh_seconds", "gauge", "How long the last refresh took.", st.last_refresh_seconds);
    metric("mytsdb_search_table_version", "gauge", "Version of the search vectors' Delta table.",
           static_cast<double>(st.table_version));
  });
  http::AddSearchApi(server, [this](std::string* why_not) -> search::SearchService* {
    search::SearchService* s = ptr_.load();
    if (s == nullptr) {
      std::lock_guard lock(why_mu_);
      *why_not = why_not_;
    }
    return s;
  });
}

void EmbeddedSearch::SetWhyNot(std::string why) {
  std::lock_guard lock(why_mu_);
  why_not_ = std::move(why);
}

Status EmbeddedSearch::Start(const Config& config, const storage::Storage* storage) {
  search::SearchServiceOptions options;
  const bool explicit_model = !config.search_model_dir.empty();
  options.model_dir = explicit_model ? config.search_model_dir : DefaultModelDir();
  options.table_dir = io::JoinPath(io::JoinPath(config.data_dir, "search"), "vectors");
  options.refresh_interval = std::chrono::milliseconds(config.search_refresh_interval_ms);
  if (!config.search_embeddings_url.empty()) {
    options.embeddings.url = config.search_embeddings_url;
    options.embeddings.model = config.search_embeddings_model;
    if (!config.search_embeddings_api_key_file.empty()) {
      ASSIGN_OR_RETURN(std::string key, promconfig::ReadSecretFile(config.search_embeddings_api_key_file));
      if (key.empty()) return Status::InvalidArgument(config.search_embeddings_api_key_file + " is empty");
      options.embeddings.api_key = std::move(key);
    }
    opener_ = std::thread([this, options, storage] {
      std::string logged;  // the last reason logged: each new one is, once
      std::unique_lock lock(stop_mu_);
      while (!stopping_) {
        lock.unlock();
        auto opened = search::SearchService::Open(options, search::StorageCatalogSource(storage));
        lock.lock();
        if (opened.ok()) {
          if (stopping_) return;  // Stop() waits for this thread, then finds no service
          service_ = std::move(*opened);
          ptr_ = service_.get();
          spdlog::info("search: embeddings from {} ({})", options.embeddings.url, options.embeddings.model);
          return;
        }
        SetWhyNot("search is unavailable: " + opened.status().message());
        if (opened.status().message() != logged) {
          logged = opened.status().message();
          spdlog::warn("search is unavailable, asking again every refresh interval: {}", logged);
        }
        stop_cv_.wait_for(lock, options.refresh_interval, [this] { return stopping_; });
      }
    });
    return Status::OK();
  }
  if (!explicit_model && !std::filesystem::exists(options.model_dir + "/model.safetensors")) {
    const std::string why =
        "search is unavailable: no model at " + options.model_dir + " (run scripts/setup.sh, or give --search.model-dir)";
    spdlog::warn("{}", why);
    SetWhyNot(why);
    return Status::OK();
  }
  auto opened = search::SearchService::Open(options, search::StorageCatalogSource(storage));
  if (!opened.ok()) return opened.status().WithContext("search");
  service_ = std::move(*opened);
  ptr_ = service_.get();
  return Status::OK();
}

void EmbeddedSearch::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (opener_.joinable()) opener_.join();
  ptr_ = nullptr;
  if (service_ != nullptr) service_->Stop();
  service_.reset();
}

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "mytsdb search: error: %s\n", message.c_str());
  return 1;
}

std::string Str(const rapidjson::Value& v, const char* key) {
  return v.HasMember(key) && v[key].IsString() ? std::string(v[key].GetString(), v[key].GetStringLength()) : "";
}

}  // namespace

int RunSearchCommand(const SearchCommandOptions& options) {
  httplib::Client client(options.url);
  if (!client.is_valid()) return Fail("cannot use the URL " + options.url);
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(60, 0);
  if (!options.user.empty()) {
    const char* password = std::getenv("MYTSDB_PASSWORD");
    client.set_basic_auth(options.user, password != nullptr ? password : "");
  }
  httplib::Params params = {{"q", options.question}, {"limit", std::to_string(options.limit)}};
  if (!options.type.empty()) params.emplace("type", options.type);
  if (!options.mode.empty()) params.emplace("mode", options.mode);
  for (const std::string& m : options.match) params.emplace("match[]", m);
  auto response = client.Post("/api/v1/search", params);
  if (!response) return Fail("cannot reach " + options.url + ": " + httplib::to_string(response.error()));
  rapidjson::Document doc;
  doc.Parse(response->body.c_str());
  if (response->status != 200) {
    if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("error")) return Fail(Str(doc, "error"));
    return Fail("HTTP " + std::to_string(response->status) + ": " + response->body);
  }
  if (options.format == "json") {
    std::fwrite(response->body.data(), 1, response->body.size(), stdout);
    std::fputc('\n', stdout);
    return 0;
  }
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("data") || !doc["data"].IsArray()) {
    return Fail("the server's answer is not the search API's JSON");
  }
  if (doc.HasMember("warnings") && doc["warnings"].IsArray()) {
    for (const auto& w : doc["warnings"].GetArray()) {
      if (w.IsString()) std::fprintf(stderr, "warning: %s\n", w.GetString());
    }
  }
  int rank = 0;
  for (const auto& hit : doc["data"].GetArray()) {
    const std::string unit = Str(hit, "unit");
    std::printf("%2d. %s  (%s%s%s, %llu series, score %.3f)\n", ++rank, Str(hit, "metric").c_str(),
                Str(hit, "type").c_str(), unit.empty() ? "" : ", ", unit.c_str(),
                static_cast<unsigned long long>(hit["series"].GetUint64()), hit["score"].GetDouble());
    const std::string help = Str(hit, "help");
    if (!help.empty()) std::printf("    %s\n", help.c_str());
    std::string labels;
    for (const auto& label : hit["labels"].GetArray()) {
      labels += (labels.empty() ? "" : ", ") + Str(label, "name");
      const auto& top = label["top_values"].GetArray();
      if (!top.Empty()) labels += "=" + Str(top[0], "value") + (top.Size() > 1 ? "|…" : "");
    }
    if (!labels.empty()) std::printf("    labels: %s\n", labels.c_str());
    std::printf("    query:  %s\n", Str(hit, "query").c_str());
  }
  if (rank == 0) std::printf("no metric matches\n");
  return 0;
}

}  // namespace mytsdb::app
