#include "http/relay.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace mytsdb::http {

Relay::Relay() : thread_([this] { Loop(); }) {}

Relay::~Relay() {
  stop_.store(true);
  // Wakes the thread: a stop node with no task.
  Post(nullptr);
  thread_.join();
}

void Relay::Post(std::function<void()> task) {
  Node* node = new Node{std::move(task)};
  Node* head = pending_.load(std::memory_order_relaxed);
  do {
    node->next = head;
  } while (!pending_.compare_exchange_weak(head, node, std::memory_order_release,
                                           std::memory_order_relaxed));
  // The relay thread sleeps only on an empty list: wake it on the first push.
  if (head == nullptr) pending_.notify_one();
}

void Relay::Loop() {
  for (;;) {
    Node* taken = pending_.exchange(nullptr, std::memory_order_acquire);
    if (taken == nullptr) {
      if (stop_.load()) return;
      pending_.wait(nullptr, std::memory_order_acquire);  // returns at once if a push came first
      continue;
    }
    Node* oldest_first = nullptr;
    while (taken != nullptr) {
      Node* next = taken->next;
      taken->next = oldest_first;
      oldest_first = taken;
      taken = next;
    }
    while (oldest_first != nullptr) {
      Node* node = oldest_first;
      oldest_first = node->next;
      if (node->task) {
        try {
          node->task();
        } catch (const std::exception& e) {
          spdlog::error("http: a relayed task threw: {}", e.what());
        }
      }
      delete node;
    }
  }
}

}  // namespace mytsdb::http
