// Failpoints for the crash tests of the real binary
// (test/integration/test_cold_crash.py): MYTSDB_FAILPOINT=<name> kills the
// process with SIGKILL when it reaches that point, as a power cut would. In
// unit tests, faults come through io::FaultInjectionFileSystem instead.
#pragma once

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace mytsdb::cold {

inline void MaybeFail(const char* name) {
  static const char* armed = std::getenv("MYTSDB_FAILPOINT");
  if (armed != nullptr && std::strcmp(armed, name) == 0) {
    spdlog::warn("failpoint {} reached: killing the process", name);
    spdlog::default_logger()->flush();
    std::raise(SIGKILL);
  }
}

}  // namespace mytsdb::cold
