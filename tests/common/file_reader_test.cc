// ReadFileUpTo: whole files come back byte for byte; a file over the limit, a device that
// never ends, a directory or a missing path fail with the reason and return nothing.
#include "common/file_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace andon {
namespace {

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(FileReaderTest, ReadsAFileUpToAndIncludingTheLimitByteForByte) {
  std::string content("a\0b\nc", 5);
  std::string path = WriteTemp("andon-file-reader-exact", content);
  Result<std::string> got = ReadFileUpTo(path, content.size());
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, content);
  Result<std::string> over = ReadFileUpTo(path, content.size() - 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().message(), "larger than 4 bytes");
  std::filesystem::remove(path);
}

TEST(FileReaderTest, AnEndlessDeviceStopsAtTheLimit) {
  Result<std::string> zero = ReadFileUpTo("/dev/zero", 1 << 20);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), Status::Code::kIOError);
  EXPECT_EQ(zero.status().message(), "larger than 1048576 bytes");
}

TEST(FileReaderTest, MissingPathsAndDirectoriesSayWhy) {
  EXPECT_EQ(ReadFileUpTo("/nonexistent/andon", 10).status().message(), "No such file or directory");
  EXPECT_EQ(ReadFileUpTo(std::filesystem::temp_directory_path().string(), 10).status().message(),
            "is a directory");
}

TEST(FileReaderTest, AnEmptyFileIsAnEmptyString) {
  std::string path = WriteTemp("andon-file-reader-empty", "");
  Result<std::string> got = ReadFileUpTo(path, 0);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace andon
