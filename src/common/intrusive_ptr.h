// IntrusivePtr<T>: shared ownership through a count that T carries itself.
//
// For objects held by the hundred thousand, where std::shared_ptr's count
// block (16 bytes beside the object with std::make_shared, enough to move
// the head's series into the allocator's next size class) and 16-byte
// handle are worth saving, or whose allocation is larger than the object
// (the head's series carry their labels after them). T provides
//
//   void AddRef() const;   // one owner more
//   bool Release() const;  // one owner less; true if it was the last
//
// with the atomicity its sharing needs; the last owner deletes it. An
// IntrusivePtr is 8 bytes; copies and moves follow std::shared_ptr's rules
// (a moved-from pointer is null). Thread-safe as std::shared_ptr: distinct
// pointers to one object may be used from different threads.
#pragma once

#include <cstddef>
#include <utility>

namespace mytsdb {

template <typename T>
class IntrusivePtr {
 public:
  IntrusivePtr() = default;
  IntrusivePtr(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): as shared_ptr
  // Shares `p` (which may already have owners).
  explicit IntrusivePtr(T* p) : p_(p) {
    if (p_ != nullptr) p_->AddRef();
  }
  IntrusivePtr(const IntrusivePtr& other) : IntrusivePtr(other.p_) {}
  IntrusivePtr(IntrusivePtr&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  IntrusivePtr& operator=(const IntrusivePtr& other) {
    IntrusivePtr(other).swap(*this);
    return *this;
  }
  IntrusivePtr& operator=(IntrusivePtr&& other) noexcept {
    IntrusivePtr(std::move(other)).swap(*this);
    return *this;
  }
  ~IntrusivePtr() {
    if (p_ != nullptr && p_->Release()) delete p_;
  }

  template <typename... Args>
  static IntrusivePtr Make(Args&&... args) {
    return IntrusivePtr(new T(std::forward<Args>(args)...));
  }

  T* get() const { return p_; }
  T& operator*() const { return *p_; }
  T* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }
  friend bool operator==(const IntrusivePtr& a, std::nullptr_t) { return a.p_ == nullptr; }

  void swap(IntrusivePtr& other) noexcept { std::swap(p_, other.p_); }

 private:
  T* p_ = nullptr;
};

}  // namespace mytsdb
