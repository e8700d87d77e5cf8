#include "common/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

namespace mytsdb {

Status LowerThisThreadPriority(int nice) {
  if (nice <= 0) return Status::OK();
  pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
  errno = 0;
  int current = ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
  if (errno != 0 || ::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), current + nice) != 0) {
    return Status::Unavailable(std::string("cannot lower the thread's priority: ") + std::strerror(errno));
  }
  return Status::OK();
}

Status RunAtLowerPriority(int nice, const std::function<void()>& fn) {
  Status lowered;
  std::thread worker([&] {
    lowered = LowerThisThreadPriority(nice);
    fn();
  });
  worker.join();
  return lowered;
}

}  // namespace mytsdb
