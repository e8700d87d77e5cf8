#include "io/lock_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace mytsdb::io {
namespace {

TEST(LockFileTest, SecondHolderIsRefusedWithThePid) {
  auto dir = std::filesystem::temp_directory_path() / ("lock_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto first = LockFile::Acquire(dir.string());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // flock locks belong to the open file description, so a second open in
  // another process conflicts; check from a child process.
  pid_t child = fork();
  if (child == 0) {
    auto second = LockFile::Acquire(dir.string());
    bool ok = !second.ok() && second.status().code() == StatusCode::kUnavailable &&
              second.status().message().find("pid " + std::to_string(getppid())) !=
                  std::string::npos;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  first->reset();
  // Released: can be taken again.
  EXPECT_TRUE(LockFile::Acquire(dir.string()).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mytsdb::io
