#include "common/storage/storage_health.h"

#include <gtest/gtest.h>

#include <vector>

namespace isms {
namespace {

class StorageHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    health_.SetListener([this](bool writable) { reported_.push_back(writable); });
  }
  StorageHealth health_;
  std::vector<bool> reported_;
};

TEST_F(StorageHealthTest, StartsWritableAndReportsItAtOnce) {
  EXPECT_TRUE(health_.writable());
  EXPECT_EQ(reported_, std::vector<bool>({true}));
}

TEST_F(StorageHealthTest, UnavailableWriteMakesItUnwritableUntilAWriteSucceeds) {
  health_.Record(absl::UnavailableError("storage full: step: database or disk is full"));
  EXPECT_FALSE(health_.writable());
  health_.Record(absl::UnavailableError("storage full: again"));
  health_.Record(absl::OkStatus());
  EXPECT_TRUE(health_.writable());
  EXPECT_EQ(reported_, std::vector<bool>({true, false, true}));
}

TEST_F(StorageHealthTest, CorruptStorageIsUnwritableUntilAWriteSucceeds) {
  health_.Record(absl::DataLossError("storage corrupt: step: database disk image is malformed"));
  EXPECT_FALSE(health_.writable());
  health_.Record(absl::OkStatus());
  EXPECT_EQ(reported_, std::vector<bool>({true, false, true}));
}

TEST_F(StorageHealthTest, OtherFailuresSayNothingAboutStorage) {
  health_.Record(absl::AlreadyExistsError("principals/x already exists in storage"));
  health_.Record(absl::InternalError("bug"));
  EXPECT_TRUE(health_.writable());
  health_.Record(absl::UnavailableError("storage read-only: step"));
  health_.Record(absl::AlreadyExistsError("principals/x already exists in storage"));
  EXPECT_FALSE(health_.writable());
  EXPECT_EQ(reported_, std::vector<bool>({true, false}));
}

}  // namespace
}  // namespace isms
