// A fresh temporary directory for tests that write files, removed (with its contents) at scope
// exit.
#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace test {

struct TempDir {
  std::filesystem::path path;
  /// Creates <system temp>/<prefix><random number>.
  explicit TempDir(const std::string& prefix) {
    path =
        std::filesystem::temp_directory_path() / (prefix + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// The path of `name` inside the directory.
  std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace test
