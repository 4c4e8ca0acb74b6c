#ifndef ISMS_COMMON_API_PAGINATE_H_
#define ISMS_COMMON_API_PAGINATE_H_

#include <google/protobuf/repeated_field.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
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

// Over an index's candidates: pointers to resources, in any order.
template <typename Keep, typename Item>
absl::Status PaginateCandidates(std::vector<const Item*> candidates, int requested_page_size,
                                const std::string& page_token, const std::string& fingerprint,
                                Keep keep, google::protobuf::RepeatedPtrField<Item>* page,
                                std::string* next_page_token) {
  ISMS_ASSIGN_OR_RETURN(const int page_size, EffectivePageSize(requested_page_size));
  ISMS_ASSIGN_OR_RETURN(const std::string after, DecodePageToken(page_token, fingerprint));
  auto by_name = [](const Item* a, const Item* b) { return a->name() < b->name(); };
  std::sort(candidates.begin(), candidates.end(), by_name);
  auto start = std::upper_bound(
      candidates.begin(), candidates.end(), after,
      [](const std::string& name, const Item* item) { return name < item->name(); });
  internal::FillPage(
      start, candidates.end(), [](auto it) -> const Item& { return **it; }, keep, page_size,
      fingerprint, page, next_page_token);
  return absl::OkStatus();
}

}  // namespace isms

#endif  // ISMS_COMMON_API_PAGINATE_H_
