#ifndef ISMS_SERVICES_ROLE_PAGINATE_H_
#define ISMS_SERVICES_ROLE_PAGINATE_H_

#include <google/protobuf/repeated_field.h>

#include <string>

#include "absl/status/status.h"
#include "common/api/page_token.h"
#include "common/status/status_macros.h"

namespace isms::role {

// One page of `items` (a map ordered by resource name) keeping those for
// which keep(item) is true, resuming after the name the page token carries.
// Sets `next_page_token` only when another kept item follows.
template <typename Map, typename Keep, typename Item>
absl::Status Paginate(const Map& items, int requested_page_size, const std::string& page_token,
                      const std::string& fingerprint, Keep keep,
                      google::protobuf::RepeatedPtrField<Item>* page,
                      std::string* next_page_token) {
  ISMS_ASSIGN_OR_RETURN(const int page_size, EffectivePageSize(requested_page_size));
  ISMS_ASSIGN_OR_RETURN(const std::string after, DecodePageToken(page_token, fingerprint));
  auto it = after.empty() ? items.begin() : items.upper_bound(after);
  for (; it != items.end(); ++it) {
    if (!keep(it->second)) continue;
    if (page->size() == page_size) {
      *next_page_token = EncodePageToken(page->Get(page->size() - 1).name(), fingerprint);
      break;
    }
    *page->Add() = it->second;
  }
  return absl::OkStatus();
}

}  // namespace isms::role

#endif  // ISMS_SERVICES_ROLE_PAGINATE_H_
