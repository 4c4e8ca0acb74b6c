#include "common/api/field_mask.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "isms/role/v1/role.pb.h"

namespace isms {
namespace {

using ::testing::ElementsAre;

TEST(FieldMaskTest, CopiesOnlyTheNamedFieldsAndReplacesLists) {
  isms::role::v1::Role target;
  target.set_title("Old title");
  target.set_description("Kept");
  target.add_permissions("isms.a");
  target.add_permissions("isms.b");

  isms::role::v1::Role patch;
  patch.set_title("New title");
  patch.set_description("Ignored: not in the mask");
  patch.add_permissions("isms.c");
  google::protobuf::FieldMask mask;
  mask.add_paths("title");
  mask.add_paths("permissions");

  ApplyUpdateMask(patch, mask, &target);
  EXPECT_EQ(target.title(), "New title");
  EXPECT_EQ(target.description(), "Kept");
  EXPECT_THAT(target.permissions(), ElementsAre("isms.c"));
  EXPECT_EQ(MaskPaths(mask), "title,permissions");
}

TEST(FieldMaskTest, ReplacesANamedMessageFieldWhole) {
  isms::role::v1::Role target;
  target.mutable_create_time()->set_seconds(100);
  target.mutable_create_time()->set_nanos(7);

  isms::role::v1::Role patch;
  patch.mutable_create_time()->set_seconds(200);
  google::protobuf::FieldMask mask;
  mask.add_paths("create_time");

  ApplyUpdateMask(patch, mask, &target);
  EXPECT_EQ(target.create_time().seconds(), 200);
  EXPECT_EQ(target.create_time().nanos(), 0);
}

TEST(FieldMaskTest, APathIntoAMessageChangesThatFieldAlone) {
  isms::role::v1::Role target;
  target.mutable_create_time()->set_seconds(100);
  target.mutable_create_time()->set_nanos(7);

  isms::role::v1::Role patch;
  patch.mutable_create_time()->set_nanos(9);
  google::protobuf::FieldMask mask;
  mask.add_paths("create_time.nanos");

  ApplyUpdateMask(patch, mask, &target);
  EXPECT_EQ(target.create_time().seconds(), 100);
  EXPECT_EQ(target.create_time().nanos(), 9);
}

}  // namespace
}  // namespace isms
