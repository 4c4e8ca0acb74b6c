#include "common/audit/field_changes.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/text_format.h>

#include "absl/strings/str_cat.h"

namespace isms {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr size_t kMaxValueLength = 1000;

// The field's value in text format: "" when unset, "[a, b]" for repeated.
std::string FieldText(const Message& message, const FieldDescriptor* field) {
  const Reflection* reflection = message.GetReflection();
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  std::string text;
  if (field->is_repeated()) {
    const int size = reflection->FieldSize(message, field);
    if (size == 0) return "";
    text = "[";
    for (int i = 0; i < size && text.size() <= kMaxValueLength; ++i) {
      std::string item;
      printer.PrintFieldValueToString(message, field, i, &item);
      absl::StrAppend(&text, i == 0 ? "" : ", ", item);
    }
    text += "]";
  } else {
    if (!reflection->HasField(message, field)) return "";
    printer.PrintFieldValueToString(message, field, -1, &text);
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (text.size() > kMaxValueLength) text = absl::StrCat(text.substr(0, kMaxValueLength), "...");
  return text;
}

}  // namespace

std::vector<isms::audit::v1::FieldChange> DiffFields(const Message& before, const Message& after) {
  std::vector<isms::audit::v1::FieldChange> changes;
  const google::protobuf::Descriptor* descriptor = after.GetDescriptor();
  if (before.GetDescriptor() != descriptor) return changes;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->name() == "etag") continue;
    std::string old_text = FieldText(before, field);
    std::string new_text = FieldText(after, field);
    if (old_text == new_text) continue;
    isms::audit::v1::FieldChange change;
    change.set_field(field->name());
    change.set_before(std::move(old_text));
    change.set_after(std::move(new_text));
    changes.push_back(std::move(change));
  }
  return changes;
}

}  // namespace isms
