#ifndef ISMS_COMMON_API_PAGINATE_H_
#define ISMS_COMMON_API_PAGINATE_H_

#include <google/protobuf/repeated_field.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/api/page_token.h"
#include "common/status/status_macros.h"

namespace isms {

// List pagination over resources in name order (AIP-158): one page of the
// resources for which keep(resource) is true, resuming after the name the
// page token carries; `next_page_token` is set only when another kept
// resource follows.

namespace internal {

// Walks resources in name order from `it` to `end`; `get(it)` yields the
// resource at `it`.
template <typename It, typename Get, typename Keep, typename Item>
void FillPage(It it, It end, Get get, Keep keep, int page_size, const std::string& fingerprint,
              google::protobuf::RepeatedPtrField<Item>* page, std::string* next_page_token) {
  for (; it != end; ++it) {
    const Item& item = get(it);
    if (!keep(item)) continue;
    if (page->size() == page_size) {
      *next_page_token = EncodePageToken(page->Get(page->size() - 1).name(), fingerprint);
      return;
    }
    *page->Add() = item;
  }
}

}  // namespace internal

// Over a map from name to resource.
template <typename Map, typename Keep, typename Item>
absl::Status Paginate(const Map& items, int requested_page_size, const std::string& page_token,
                      const std::string& fingerprint, Keep keep,
                      google::protobuf::RepeatedPtrField<Item>* page,
                      std::string* next_page_token) {
  ISMS_ASSIGN_OR_RETURN(const int page_size, EffectivePageSize(requested_page_size));
  ISMS_ASSIGN_OR_RETURN(const std::string after, DecodePageToken(page_token, fingerprint));
  internal::FillPage(
      after.empty() ? items.begin() : items.upper_bound(after), items.end(),
      [](auto it) -> const Item& { return it->second; }, keep, page_size, fingerprint, page,
      next_page_token);
  return absl::OkStatus();
}

// Over an index: pointers to resources in name order, in a container with
// a transparent upper_bound by name (e.g. a btree_set ordered by name), so a
// page seeks to its token's position.
template <typename Index, typename Keep, typename Item>
absl::Status PaginateIndex(const Index& index, int requested_page_size,
                           const std::string& page_token, const std::string& fingerprint, Keep keep,
                           google::protobuf::RepeatedPtrField<Item>* page,
                           std::string* next_page_token) {
  ISMS_ASSIGN_OR_RETURN(const int page_size, EffectivePageSize(requested_page_size));
  ISMS_ASSIGN_OR_RETURN(const std::string after, DecodePageToken(page_token, fingerprint));
  internal::FillPage(
      after.empty() ? index.begin() : index.upper_bound(absl::string_view(after)), index.end(),
      [](auto it) -> const Item& { return **it; }, keep, page_size, fingerprint, page,
      next_page_token);
  return absl::OkStatus();
}

}  // namespace isms

#endif  // ISMS_COMMON_API_PAGINATE_H_
