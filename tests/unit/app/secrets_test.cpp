// LoadOrCreateSecret: the generated secret of a data directory (jwt_secret),
// including two processes starting at once on a fresh directory.
#include "app/secrets.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <latch>
#include <thread>
#include <vector>

#include "core/ids.hpp"

namespace meterline::app {
namespace {

namespace fs = std::filesystem;

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mtl-secrets-" + RandomHex(6));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SecretsTest, CreatesA64HexSecretReadableOnlyByTheOwnerAndKeepsIt) {
  auto first = LoadOrCreateSecret(dir_.string(), "jwt_secret");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->size(), 64u);
  EXPECT_EQ(first->find_first_not_of("0123456789abcdef"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "jwt_secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = LoadOrCreateSecret(dir_.string(), "jwt_secret");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
}

TEST_F(SecretsTest, ManyStartingAtOnceAllGetTheSameCompleteSecret) {
  // Each round a fresh directory and 16 callers released together: none may
  // read a file another is still writing, and all must agree.
  for (int round = 0; round < 200; ++round) {
    fs::path dir = dir_ / std::to_string(round);
    fs::create_directories(dir);
    constexpr int kCallers = 16;
    std::latch start(kCallers);
    std::vector<Result<std::string>> results(kCallers, Result<std::string>(Internal("not run")));
    std::vector<std::thread> threads;
    for (int i = 0; i < kCallers; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i] = LoadOrCreateSecret(dir.string(), "jwt_secret");
      });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < kCallers; ++i) {
      ASSERT_TRUE(results[i].ok()) << "round " << round << ": " << results[i].error().message;
      EXPECT_EQ(*results[i], *results[0]) << "round " << round;
    }
    EXPECT_EQ(results[0]->size(), 64u);
    int files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++files;
    EXPECT_EQ(files, 1) << "round " << round << ": only jwt_secret stays, no drafts";
  }
}

TEST_F(SecretsTest, AShortSecretFileIsRefusedNamingTheFile) {
  std::ofstream(dir_ / "jwt_secret") << "too-short\n";
  auto loaded = LoadOrCreateSecret(dir_.string(), "jwt_secret");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("jwt_secret"), std::string::npos);
  EXPECT_NE(loaded.error().message.find("shorter than 32 bytes"), std::string::npos);
}

}  // namespace
}  // namespace meterline::app
