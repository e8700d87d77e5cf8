#include "io/file_system.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "io/fault_injection_fs.h"

namespace mytsdb::io {
namespace {

namespace stdfs = std::filesystem;
using Op = FaultInjectionFileSystem::Op;

class FileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (stdfs::temp_directory_path() /
            ("fs_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    stdfs::remove_all(dir_);
    ASSERT_TRUE(PosixFileSystem()->CreateDirs(dir_).ok());
  }
  void TearDown() override { stdfs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return JoinPath(dir_, name); }
  static std::string Contents(const std::string& path) {
    auto r = PosixFileSystem()->ReadFile(path);
    return r.ok() ? *r : "<" + r.status().ToString() + ">";
  }
  static Status Write(FileSystem* fs, const std::string& path, std::string_view data, bool sync) {
    ASSIGN_OR_RETURN(auto f, fs->NewWritableFile(path));
    RETURN_NOT_OK(f->Append(data));
    if (sync) RETURN_NOT_OK(f->Sync());
    return f->Close();
  }

  std::string dir_;
};

TEST_F(FileSystemTest, PosixBasics) {
  FileSystem* fs = PosixFileSystem();
  ASSERT_TRUE(Write(fs, Path("a"), "hello", true).ok());
  EXPECT_EQ(Contents(Path("a")), "hello");
  EXPECT_EQ(fs->ReadFile(Path("missing")).status().code(), StatusCode::kNotFound);
  auto st = fs->Stat(Path("a"));
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->exists);
  EXPECT_EQ(st->size, 5u);
  EXPECT_FALSE(fs->Stat(Path("missing"))->exists);

  ASSERT_TRUE(fs->CreateDirs(Path("x/y/z")).ok());
  ASSERT_TRUE(fs->CreateDirs(Path("x/y/z")).ok());  // exists: fine
  auto list = fs->ListDir(Path("x"));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "y");
  EXPECT_TRUE((*list)[0].is_directory);

  ASSERT_TRUE(fs->WriteFileAtomically(Path("b"), "one").ok());
  ASSERT_TRUE(fs->WriteFileAtomically(Path("b"), "two").ok());
  EXPECT_EQ(Contents(Path("b")), "two");
  // No temporary file is left behind.
  EXPECT_EQ(fs->ListDir(dir_)->size(), 3u);
  ASSERT_TRUE(fs->TruncateFile(Path("b"), 1).ok());
  EXPECT_EQ(Contents(Path("b")), "t");
}

TEST_F(FileSystemTest, CreateFileIfAbsentClaimsANameOnce) {
  FileSystem* fs = PosixFileSystem();
  bool created = false;
  ASSERT_TRUE(fs->CreateFileIfAbsent(Path("v1"), "first", &created).ok());
  EXPECT_TRUE(created);
  Status st = fs->CreateFileIfAbsent(Path("v1"), "second", &created);
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists) << st.ToString();
  EXPECT_FALSE(created);
  EXPECT_EQ(Contents(Path("v1")), "first");
  EXPECT_EQ(fs->ListDir(dir_)->size(), 1u);
}

TEST_F(FileSystemTest, InjectedFailuresHitTheNthCallOnly) {
  FaultInjectionFileSystem fs(PosixFileSystem());
  fs.FailNth(Op::kSync, 2, EIO);
  ASSERT_TRUE(Write(&fs, Path("a"), "x", true).ok());
  Status st = Write(&fs, Path("b"), "y", true);
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_NE(st.message().find("injected"), std::string::npos);
  EXPECT_TRUE(Write(&fs, Path("c"), "z", true).ok());
  EXPECT_EQ(fs.faults_injected(), 1);
  EXPECT_EQ(fs.calls(Op::kSync), 3);

  // A failing append writes half of its bytes first.
  fs.FailNth(Op::kAppend, 1, ENOSPC);
  st = Write(&fs, Path("d"), "abcdef", false);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(Contents(Path("d")), "abc");

  // The link step of CreateFileIfAbsent fails: nothing is created.
  fs.FailNth(Op::kLink, 1, EIO);
  bool created = true;
  EXPECT_FALSE(fs.CreateFileIfAbsent(Path("v"), "data", &created).ok());
  EXPECT_FALSE(created);
  EXPECT_FALSE(fs.Stat(Path("v"))->exists);
  // Its directory sync fails: the file is there, with unknown durability.
  fs.FailNth(Op::kSyncDir, 1, EIO);
  EXPECT_FALSE(fs.CreateFileIfAbsent(Path("v"), "data", &created).ok());
  EXPECT_TRUE(created);
  EXPECT_EQ(Contents(Path("v")), "data");
}

TEST_F(FileSystemTest, DiskFullRefusesWritesUntilSpaceReturns) {
  FaultInjectionFileSystem fs(PosixFileSystem());
  fs.SetDiskFull(true);
  EXPECT_EQ(Write(&fs, Path("a"), "x", true).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(fs.CreateFileIfAbsent(Path("b"), "y", nullptr).code(), StatusCode::kResourceExhausted);
  fs.SetDiskFull(false);
  EXPECT_TRUE(Write(&fs, Path("a"), "x", true).ok());
}

TEST_F(FileSystemTest, PowerLossDropsWhatWasNotSynced) {
  FileSystem* posix = PosixFileSystem();
  ASSERT_TRUE(Write(posix, Path("old"), "before", true).ok());
  ASSERT_TRUE(posix->SyncDir(dir_).ok());
  FaultInjectionFileSystem fs(posix);

  // Synced data in a file whose directory entry is durable survives.
  {
    auto f = fs.NewWritableFile(Path("log"));
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("durable").ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE(fs.SyncDir(dir_).ok());
    ASSERT_TRUE((*f)->Append("+lost").ok());
  }
  // A synced file without a directory sync vanishes.
  ASSERT_TRUE(Write(&fs, Path("new"), "data", true).ok());
  // A rename without a directory sync is undone, the replaced file restored.
  ASSERT_TRUE(Write(&fs, Path("tmp"), "replacement", true).ok());
  ASSERT_TRUE(fs.Rename(Path("tmp"), Path("old")).ok());
  // A directory created without syncing its parent goes, with its files.
  ASSERT_TRUE(fs.CreateDirs(Path("sub")).ok());
  ASSERT_TRUE(Write(&fs, Path("sub/f"), "x", true).ok());
  ASSERT_TRUE(fs.SyncDir(Path("sub")).ok());

  ASSERT_TRUE(fs.DropUnsyncedData().ok());
  EXPECT_EQ(Contents(Path("log")), "durable");
  EXPECT_FALSE(posix->Stat(Path("new"))->exists);
  EXPECT_EQ(Contents(Path("old")), "before");
  EXPECT_FALSE(posix->Stat(Path("tmp"))->exists);  // its creation was not durable either
  EXPECT_FALSE(posix->Stat(Path("sub"))->exists);
}

TEST_F(FileSystemTest, SyncedRenameSurvivesPowerLoss) {
  FaultInjectionFileSystem fs(PosixFileSystem());
  ASSERT_TRUE(fs.WriteFileAtomically(Path("cfg"), "v2").ok());
  ASSERT_TRUE(fs.DropUnsyncedData().ok());
  EXPECT_EQ(Contents(Path("cfg")), "v2");
}

}  // namespace
}  // namespace mytsdb::io
