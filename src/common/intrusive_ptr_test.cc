#include "common/intrusive_ptr.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace mytsdb {
namespace {

struct Counted {
  explicit Counted(int* deleted) : deleted(deleted) {}
  ~Counted() { ++*deleted; }
  void AddRef() const { refs.fetch_add(1, std::memory_order_relaxed); }
  bool Release() const { return refs.fetch_sub(1, std::memory_order_acq_rel) == 1; }
  int* deleted;
  mutable std::atomic<uint32_t> refs{0};
};

TEST(IntrusivePtrTest, TheLastOwnerDeletes) {
  int deleted = 0;
  {
    auto a = IntrusivePtr<Counted>::Make(&deleted);
    EXPECT_EQ(a->refs.load(), 1u);
    IntrusivePtr<Counted> b = a;  // copy
    EXPECT_EQ(a->refs.load(), 2u);
    IntrusivePtr<Counted> c = std::move(b);  // move: no new owner
    EXPECT_FALSE(b);                          // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(c->refs.load(), 2u);
    a = nullptr;
    EXPECT_EQ(deleted, 0);
    c = c;  // NOLINT(clang-diagnostic-self-assign-overloaded): self-assignment keeps it
    EXPECT_EQ(c->refs.load(), 1u);
    EXPECT_EQ(deleted, 0);
  }
  EXPECT_EQ(deleted, 1);

  // Reassigning drops the old object; a raw pointer with owners is shared.
  int deleted2 = 0;
  auto x = IntrusivePtr<Counted>::Make(&deleted);
  auto y = IntrusivePtr<Counted>::Make(&deleted2);
  IntrusivePtr<Counted> shared(y.get());
  EXPECT_EQ(y->refs.load(), 2u);
  x = y;
  EXPECT_EQ(deleted, 2);
  shared = IntrusivePtr<Counted>();
  y = nullptr;
  EXPECT_EQ(deleted2, 0);  // x still holds it
  x = nullptr;
  EXPECT_EQ(deleted2, 1);
  EXPECT_EQ(sizeof(IntrusivePtr<Counted>), sizeof(void*));
}

TEST(IntrusivePtrTest, CopiesAndDropsFromManyThreads) {
  int deleted = 0;
  {
    auto p = IntrusivePtr<Counted>::Make(&deleted);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([p] {
        for (int i = 0; i < 100'000; ++i) {
          IntrusivePtr<Counted> copy = p;
          IntrusivePtr<Counted> moved = std::move(copy);
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(p->refs.load(), 1u);
  }
  EXPECT_EQ(deleted, 1);
}

}  // namespace
}  // namespace mytsdb
