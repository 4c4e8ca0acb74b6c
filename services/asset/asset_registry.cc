#include "services/asset/asset_registry.h"

#include <google/protobuf/util/message_differencer.h>

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/api/etag.h"
#include "common/api/field_mask.h"
#include "common/api/page_token.h"
#include "common/audit/field_changes.h"
#include "common/outbox/outbox_relay.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/validate.h"
#include "services/asset/any_permission.h"
#include "services/asset/asset_validation.h"

namespace isms::asset {
namespace {

using isms::audit::v1::AuditEvent;
using v1::Asset;

constexpr char kServiceName[] = "isms.asset.v1.AssetService";

absl::Status AssetNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " not found"));
}

// The filters a page token is bound to: a token from one listing is refused
// by another.
std::string Fingerprint(const v1::ListAssetsRequest& request) {
  return absl::StrCat("assets|", request.classification(), "|", request.information_kind(), "|",
                      request.review_overdue() ? 1 : 0, "|", request.attestation_overdue() ? 1 : 0,
                      "|", request.owner(), "|", request.no_owner() ? 1 : 0);
}

// A valid asset for checking an update's masked fields before anything else:
// what the mask does not name stays valid, so an error names a masked field.
Asset ValidPlaceholder(absl::Time now) {
  Asset asset;
  asset.set_name("assets/placeholder");
  asset.set_title("placeholder");
  asset.set_classification(v1::CLASSIFICATION_INTERNAL);
  asset.add_information_kinds(v1::INFORMATION_KIND_OPERATIONAL);
  asset.set_location("placeholder");
  *asset.mutable_review_time() = ToProto(now);
  return asset;
}

// The coverage view's page tokens are its own.
constexpr char kCoverageFingerprint[] = "coverage";

// How many names a walk of the register reads at a time.
constexpr int kNameBatch = 10000;

// The stored asset `name` for a listing: nullopt if it is gone (deleted
// between reads), DataLoss if its record disagrees with the index that
// selected it.
absl::StatusOr<std::optional<Asset>> GetListed(AssetStore& store, const std::string& name,
                                               const AssetFilter& filter) {
  ISMS_ASSIGN_OR_RETURN(std::optional<Asset> asset, store.Get(name));
  if (asset.has_value() && !Matches(filter, *asset)) {
    return absl::DataLossError(
        absl::StrCat("assets record ", name, ": its filter columns disagree with the record"));
  }
  return asset;
}

// In force at `now`: started, not ended, not revoked.
bool InForce(const v1::AccessRecord& record, absl::Time now) {
  return !record.has_revoke_time() && FromProto(record.start_time()) <= now &&
         now < FromProto(record.end_time());
}

// Not revoked and not ended: in force, or yet to start. Such records keep an
// asset from being deleted.
bool Outstanding(const v1::AccessRecord& record, absl::Time now) {
  return !record.has_revoke_time() && now < FromProto(record.end_time());
}

// Fills the output-only fields computed at read time.
v1::AccessRecord Decorated(v1::AccessRecord record, absl::Time now, bool principal_left) {
  record.set_active(InForce(record, now));
  record.set_to_be_removed(record.active() && principal_left);
  return record;
}

absl::Status AccessNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " not found"));
}

bool SameContent(const Asset& a, const Asset& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace

bool IsAuditedRefusal(absl::StatusCode code) {
  return code == absl::StatusCode::kPermissionDenied ||
         code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kAborted ||
         code == absl::StatusCode::kAlreadyExists;
}

void AssetRegistry::SetAuditRelay(OutboxRelay* relay) {
  absl::MutexLock lock(&relay_mu_);
  relay_ = relay;
}

std::string AssetRegistry::NewId(int words) {
  absl::MutexLock lock(&id_mu_);
  std::string id;
  for (int i = 0; i < words; ++i) {
    absl::StrAppend(&id, absl::StrFormat("%016x", absl::Uniform<uint64_t>(id_gen_)));
  }
  return id;
}

absl::Status AssetRegistry::Commit(const AssetChanges& changes) {
  ISMS_RETURN_IF_ERROR(store_.Commit(changes));
  absl::ReaderMutexLock lock(&relay_mu_);
  if (relay_ != nullptr) relay_->Wake();
  return absl::OkStatus();
}

AuditEvent AssetRegistry::MakeEvent(const CallInfo& call, absl::string_view resource,
                                    const Mutation& mutation, const absl::Status& status) {
  AuditEvent event;
  event.set_event_id(NewId(2));
  *event.mutable_occur_time() = ToProto(clock_.Now());
  event.set_service(kServiceName);
  event.set_method(std::string(call.method));
  event.set_actor(call.caller.actor);
  event.set_principal(call.caller.principal);
  event.set_request_id(call.request_id);
  event.set_resource(std::string(resource));
  for (const auto& [key, value] : mutation.attributes) (*event.mutable_attributes())[key] = value;
  for (const auto& change : mutation.field_changes) *event.add_changes() = change;
  if (status.ok()) {
    event.set_outcome(isms::audit::v1::OUTCOME_SUCCEEDED);
    event.set_description(mutation.description);
  } else {
    event.set_outcome(status.code() == absl::StatusCode::kPermissionDenied
                          ? isms::audit::v1::OUTCOME_DENIED
                          : isms::audit::v1::OUTCOME_REFUSED);
    event.set_status_code(StatusCodeName(status.code()));
    event.set_description(std::string(status.message()));
  }
  return event;
}

void AssetRegistry::AuditRefusal(const CallInfo& call, absl::string_view resource,
                                 const absl::Status& refusal,
                                 std::vector<isms::audit::v1::FieldChange> field_changes) {
  if (!call.ShouldAuditRefusal()) return;
  absl::MutexLock write(&write_mu_);
  Mutation mutation;
  mutation.field_changes = std::move(field_changes);
  AssetChanges changes;
  changes.events.push_back(MakeEvent(call, resource, mutation, refusal));
  // The refusal itself is the answer; a failed audit write does not change
  // it, but it must not pass silently: storage health reports it.
  Commit(changes).IgnoreError();
}

void AssetRegistry::RecordRefusal(const CallInfo& call, const absl::Status& refusal) {
  AuditRefusal(call, call.caller.actor, refusal, {});
}

void AssetRegistry::Authorize(const CallInfo& call, absl::string_view permission,
                              const std::string& resource, absl::string_view audited_as,
                              const google::protobuf::Message& asked, bool is_write,
                              PermissionClient::Answer then) {
  AuthorizeWith(
      call,
      [this, principal = call.caller.principal, permission = std::string(permission),
       resource](PermissionClient::Answer answer) {
        permissions_.Check(principal, permission, resource, std::move(answer));
      },
      resource, audited_as, asked, is_write, std::move(then));
}

void AssetRegistry::AuthorizeAny(const CallInfo& call, std::vector<std::string> permissions,
                                 const std::string& resource, absl::string_view audited_as,
                                 const google::protobuf::Message& asked, bool is_write,
                                 PermissionClient::Answer then) {
  AuthorizeWith(
      call,
      [this, principal = call.caller.principal, permissions = std::move(permissions),
       resource](PermissionClient::Answer answer) {
        CheckAny(permissions_, principal, permissions, resource, std::move(answer));
      },
      resource, audited_as, asked, is_write, std::move(then));
}

RoleHolders& AssetRegistry::UnconfiguredHolders() {
  static auto* holders = new UnconfiguredRoleHolders;
  return *holders;
}

void AssetRegistry::AuthorizeWith(const CallInfo& call,
                                  std::function<void(PermissionClient::Answer)> check,
                                  const std::string& resource, absl::string_view audited_as,
                                  const google::protobuf::Message& asked, bool is_write,
                                  PermissionClient::Answer then) {
  auto audit_then = [this, &call, &asked,
                     audited = resource.empty() ? std::string(audited_as) : resource,
                     then = std::move(then)](absl::StatusOr<PermissionClient::Grant> grant) {
    if (grant.status().code() == absl::StatusCode::kPermissionDenied) {
      std::unique_ptr<google::protobuf::Message> nothing(asked.New());
      AuditRefusal(call, audited, grant.status(), DiffFields(*nothing, asked));
    }
    then(std::move(grant));
  };
  const Caller& caller = call.caller;
  if (caller.is_service && caller.acts_for_itself()) {
    // A service has no appointments to ask the role service about: it reads
    // with its capability and changes nothing in its own name.
    if (!is_write && caller.Has(kCapabilityReadRegister)) {
      audit_then(PermissionClient::Grant{absl::StrCat(caller.actor, " acts for itself with the ",
                                                      kCapabilityReadRegister, " capability")});
    } else {
      audit_then(absl::PermissionDeniedError(absl::StrCat(
          caller.actor,
          is_write ? " may not change the register in its own name; a service acts on behalf of "
                     "a person"
                   : absl::StrCat(" lacks the ", kCapabilityReadRegister, " capability"))));
    }
    return;
  }
  check(std::move(audit_then));
}

absl::Status AssetRegistry::Mutate(const CallInfo& call, const std::string& resource,
                                   absl::string_view permission,
                                   const PermissionClient::Grant& grant, const MutationBody& body) {
  absl::MutexLock write(&write_mu_);
  Mutation mutation;
  mutation.attributes["permission"] = std::string(permission);
  mutation.attributes["permission_explanation"] = grant.explanation;
  absl::Status decided = body(mutation);
  if (!decided.ok()) {
    // Refusals beyond the caller's refusal budget are counted, not written.
    if (IsAuditedRefusal(decided.code()) && call.ShouldAuditRefusal()) {
      AssetChanges refusal;
      refusal.events.push_back(MakeEvent(call, resource, mutation, decided));
      ISMS_RETURN_IF_ERROR(Commit(refusal));
    }
    return decided;
  }
  AssetChanges& changes = mutation.changes;
  if (changes.created.empty() && changes.updated.empty() && changes.deleted.empty() &&
      changes.access_created.empty() && changes.access_updated.empty() &&
      changes.risks_created.empty() && changes.risks_updated.empty() &&
      changes.incidents_created.empty() && changes.incidents_updated.empty()) {
    return absl::OkStatus();  // Nothing changed: nothing to record.
  }
  changes.events.push_back(MakeEvent(call, resource, mutation, absl::OkStatus()));
  return Commit(changes);
}

void AssetRegistry::GetAsset(const CallInfo& call, const v1::GetAssetRequest& request,
                             Done<Asset> done) {
  absl::Status valid = ValidateResourceName("name", request.name(), "assets");
  if (!valid.ok()) return done(valid);
  Authorize(
      call, kReadAssets, request.name(), request.name(), request, false,
      [this, &request, done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
        if (!grant.ok()) return done(grant.status());
        absl::StatusOr<std::optional<Asset>> found = store_.Get(request.name());
        if (!found.ok()) return done(found.status());
        if (!found->has_value()) return done(AssetNotFound(request.name()));
        owners_.OwnerOf(request.name(),
                        [asset = **std::move(found), done = std::move(done)](
                            absl::StatusOr<std::optional<v1::AssetOwner>> owner) mutable {
                          if (!owner.ok()) return done(owner.status());
                          if (owner->has_value()) *asset.mutable_owner() = **std::move(owner);
                          done(std::move(asset));
                        });
      });
}

void AssetRegistry::ListAssets(const CallInfo& call, const v1::ListAssetsRequest& request,
                               Done<v1::ListAssetsResponse> done) {
  absl::Status valid = ValidateListAssetsRequest(request);
  if (!valid.ok()) return done(valid);
  const std::string fingerprint = Fingerprint(request);
  absl::StatusOr<std::string> after = DecodePageToken(request.page_token(), fingerprint);
  if (!after.ok()) return done(after.status());
  const int page_size = *EffectivePageSize(request.page_size());
  Authorize(call, kReadAssets, "", "assets", request, false,
            [this, &request, fingerprint, after = *std::move(after), page_size,
             done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
              if (!grant.ok()) return done(grant.status());
              AssetFilter filter;
              filter.classification = request.classification();
              filter.information_kind = request.information_kind();
              filter.review_overdue = request.review_overdue();
              filter.attestation_overdue = request.attestation_overdue();
              filter.now = clock_.Now();
              owners_.AllOwners([this, &request, fingerprint, after, page_size, filter,
                                 done = std::move(done)](absl::StatusOr<OwnerMap> owners) {
                if (!owners.ok()) return done(owners.status());
                // One more than a page: whether another page follows.
                absl::StatusOr<std::vector<Asset>> found =
                    ListWithOwners(request, filter, *owners, after, page_size);
                if (!found.ok()) return done(found.status());
                v1::ListAssetsResponse response;
                size_t bytes = 0;
                for (Asset& asset : *found) {
                  // A page ends at page_size assets or kMaxListReplyBytes,
                  // whichever comes first (at least one asset): a page of
                  // 1,000 large assets was 5 MB, over every client's default
                  // 4 MiB limit, and slow readers of such pages held a GB.
                  const size_t size = asset.ByteSizeLong();
                  if (response.assets_size() == page_size ||
                      (response.assets_size() > 0 && bytes + size > kMaxListReplyBytes)) {
                    response.set_next_page_token(EncodePageToken(
                        response.assets(response.assets_size() - 1).name(), fingerprint));
                    break;
                  }
                  bytes += size;
                  *response.add_assets() = std::move(asset);
                }
                done(std::move(response));
              });
            });
}

absl::StatusOr<std::vector<Asset>> AssetRegistry::ListWithOwners(
    const v1::ListAssetsRequest& request, const AssetFilter& filter, const OwnerMap& owners,
    const std::string& after, int page_size) {
  std::vector<Asset> found;
  auto add = [&](Asset asset) {
    auto owner = owners.find(asset.name());
    if (owner != owners.end()) *asset.mutable_owner() = owner->second;
    found.push_back(std::move(asset));
  };
  if (!request.owner().empty()) {
    // The owner's assets come from the role service's answer, in name order:
    // only they are read from the store (an IAO for an asset the register
    // does not hold is skipped).
    for (auto it = owners.upper_bound(after); it != owners.end(); ++it) {
      if (static_cast<int>(found.size()) > page_size) break;
      if (it->second.principal() != request.owner()) continue;
      ISMS_ASSIGN_OR_RETURN(std::optional<Asset> asset,
                            GetListed(store_, it->first, AssetFilter()));
      if (asset.has_value() && Matches(filter, *asset)) add(*std::move(asset));
    }
    return found;
  }
  if (request.no_owner()) {
    // Walks the register's names (no records read) past the owned ones until
    // a page is full: with most assets owned this reads up to every name.
    std::string cursor = after;
    while (static_cast<int>(found.size()) <= page_size) {
      ISMS_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            store_.ListNames(filter, cursor, kNameBatch));
      for (const std::string& name : names) {
        if (static_cast<int>(found.size()) > page_size) break;
        if (owners.count(name) > 0) continue;
        ISMS_ASSIGN_OR_RETURN(std::optional<Asset> asset, GetListed(store_, name, filter));
        if (asset.has_value()) add(*std::move(asset));
      }
      if (static_cast<int>(names.size()) < kNameBatch) break;
      cursor = names.back();
    }
    return found;
  }
  ISMS_ASSIGN_OR_RETURN(std::vector<Asset> page, store_.List(filter, after, page_size + 1));
  for (Asset& asset : page) add(std::move(asset));
  return found;
}

void AssetRegistry::GetAssetCoverage(const CallInfo& call,
                                     const v1::GetAssetCoverageRequest& request,
                                     Done<v1::AssetCoverage> done) {
  absl::Status valid = ValidateGetAssetCoverageRequest(request);
  if (!valid.ok()) return done(valid);
  absl::StatusOr<std::string> after = DecodePageToken(request.page_token(), kCoverageFingerprint);
  if (!after.ok()) return done(after.status());
  const int page_size = *EffectivePageSize(request.page_size());
  Authorize(
      call, kReadAssets, "", "assets", request, false,
      [this, after = *std::move(after), page_size,
       done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
        if (!grant.ok()) return done(grant.status());
        owners_.AllOwners([this, after, page_size,
                           done = std::move(done)](absl::StatusOr<OwnerMap> owners) {
          if (!owners.ok()) return done(owners.status());
          absl::StatusOr<v1::AssetCoverage> coverage = [&]() -> absl::StatusOr<v1::AssetCoverage> {
            v1::AssetCoverage coverage;
            AssetFilter filter;
            filter.now = clock_.Now();
            // Counts and the walk below are separate reads: a write between
            // them can make them differ by that write, never more.
            ISMS_ASSIGN_OR_RETURN(int64_t all, store_.Count(filter));
            coverage.set_asset_count(all);
            AssetFilter overdue = filter;
            overdue.attestation_overdue = true;
            ISMS_ASSIGN_OR_RETURN(int64_t attestation_overdue, store_.Count(overdue));
            coverage.set_attestation_overdue_count(attestation_overdue);
            overdue = filter;
            overdue.review_overdue = true;
            ISMS_ASSIGN_OR_RETURN(int64_t review_overdue, store_.Count(overdue));
            coverage.set_review_overdue_count(review_overdue);
            // One walk of every name: the count needs all of them, the page
            // those after the token.
            int64_t without_owner = 0;
            std::string cursor;
            while (true) {
              ISMS_ASSIGN_OR_RETURN(std::vector<std::string> names,
                                    store_.ListNames(filter, cursor, kNameBatch));
              for (const std::string& name : names) {
                if (owners->count(name) > 0) continue;
                ++without_owner;
                if (name <= after) continue;
                if (coverage.assets_without_owner_size() < page_size) {
                  coverage.add_assets_without_owner(name);
                } else if (coverage.next_page_token().empty()) {
                  coverage.set_next_page_token(EncodePageToken(
                      coverage.assets_without_owner(page_size - 1), kCoverageFingerprint));
                }
              }
              if (static_cast<int>(names.size()) < kNameBatch) break;
              cursor = names.back();
            }
            coverage.set_without_owner_count(without_owner);
            return coverage;
          }();
          done(std::move(coverage));
        });
      });
}

void AssetRegistry::CreateAsset(const CallInfo& call, const v1::CreateAssetRequest& request,
                                Done<Asset> done) {
  absl::Status valid = ValidateCreateAssetRequest(request, clock_.Now());
  if (!valid.ok()) return done(valid);
  const std::string name =
      absl::StrCat("assets/", request.asset_id().empty() ? NewId() : request.asset_id());
  Authorize(call, kManageAssets, name, name, request, true,
            [this, &call, &request, name,
             done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
              if (!grant.ok()) return done(grant.status());
              Asset asset = request.asset();
              asset.set_name(name);
              asset.clear_owner();
              asset.clear_last_attestation_time();
              absl::Status created = Mutate(call, name, kManageAssets, *grant, [&](Mutation& m) {
                m.field_changes = DiffFields(Asset(), asset);
                ISMS_ASSIGN_OR_RETURN(std::optional<Asset> current, store_.Get(name));
                if (current.has_value()) {
                  return absl::AlreadyExistsError(absl::StrCat(name, " already exists"));
                }
                *asset.mutable_create_time() = ToProto(clock_.Now());
                *asset.mutable_update_time() = asset.create_time();
                SetEtag(asset);
                m.field_changes = DiffFields(Asset(), asset);
                m.changes.created.push_back(asset);
                m.description = absl::StrCat("created ", name);
                return absl::OkStatus();
              });
              if (!created.ok()) return done(created);
              done(std::move(asset));
            });
}

void AssetRegistry::UpdateAsset(const CallInfo& call, const v1::UpdateAssetRequest& request,
                                Done<Asset> done) {
  absl::Status valid = ValidateUpdateAssetRequest(request);
  if (valid.ok()) {
    Asset checked = ValidPlaceholder(clock_.Now());
    ApplyUpdateMask(request.asset(), request.update_mask(), &checked);
    checked.set_name(request.asset().name());
    valid = ValidateAsset(checked, "asset", clock_.Now());
  }
  if (!valid.ok()) return done(valid);
  const std::string& name = request.asset().name();
  Authorize(call, kUpdateAssets, name, name, request, true,
            [this, &call, &request, &name,
             done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
              if (!grant.ok()) return done(grant.status());
              Asset updated;
              absl::Status changed = Mutate(call, name, kUpdateAssets, *grant, [&](Mutation& m) {
                m.attributes["update_mask"] = MaskPaths(request.update_mask());
                ISMS_ASSIGN_OR_RETURN(std::optional<Asset> current, store_.Get(name));
                {
                  Asset asked = current.value_or(Asset());
                  ApplyUpdateMask(request.asset(), request.update_mask(), &asked);
                  m.field_changes = DiffFields(current.value_or(Asset()), asked);
                }
                if (!current.has_value()) return AssetNotFound(name);
                ISMS_RETURN_IF_ERROR(CheckEtag(name, request.asset().etag(), current->etag()));
                updated = *current;
                ApplyUpdateMask(request.asset(), request.update_mask(), &updated);
                ISMS_RETURN_IF_ERROR(ValidateAsset(updated, "asset", clock_.Now()));
                updated.set_etag(current->etag());
                if (SameContent(updated, *current)) return absl::OkStatus();  // Nothing to write.
                *updated.mutable_update_time() = ToProto(clock_.Now());
                SetEtag(updated);
                m.field_changes = DiffFields(*current, updated);
                m.changes.updated.push_back(updated);
                m.description =
                    absl::StrCat("updated ", name, " (", MaskPaths(request.update_mask()), ")");
                return absl::OkStatus();
              });
              if (!changed.ok()) return done(changed);
              done(std::move(updated));
            });
}

void AssetRegistry::DeleteAsset(const CallInfo& call, const v1::DeleteAssetRequest& request,
                                Done<google::protobuf::Empty> done) {
  absl::Status valid = ValidateResourceName("name", request.name(), "assets");
  if (!valid.ok()) return done(valid);
  Authorize(
      call, kManageAssets, request.name(), request.name(), request, true,
      [this, &call, &request,
       done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
        if (!grant.ok()) return done(grant.status());
        const std::string& name = request.name();
        absl::Status deleted = Mutate(call, name, kManageAssets, *grant, [&](Mutation& m) {
          ISMS_ASSIGN_OR_RETURN(std::optional<Asset> current, store_.Get(name));
          if (!current.has_value()) return AssetNotFound(name);
          ISMS_RETURN_IF_ERROR(CheckEtag(name, request.etag(), current->etag()));
          // Access still recorded must be revoked (or run out) first:
          // deleting the asset must not silently end it. Every record is
          // looked at, however many there are; the message names the first
          // few.
          constexpr size_t kNamed = 20;
          std::vector<std::string> outstanding;
          size_t outstanding_count = 0;
          std::string cursor;
          while (true) {
            ISMS_ASSIGN_OR_RETURN(std::vector<v1::AccessRecord> records,
                                  store_.ListAccessRecords(name, "", cursor, kMaxPageSize));
            for (const v1::AccessRecord& record : records) {
              if (!Outstanding(record, clock_.Now())) continue;
              ++outstanding_count;
              if (outstanding.size() < kNamed) outstanding.push_back(record.name());
            }
            if (records.size() < static_cast<size_t>(kMaxPageSize)) break;
            cursor = records.back().name();
          }
          if (outstanding_count > 0) {
            return absl::FailedPreconditionError(absl::StrCat(
                name, " has access recorded; revoke it first: ", absl::StrJoin(outstanding, ", "),
                outstanding_count > outstanding.size()
                    ? absl::StrCat(" and ", outstanding_count - outstanding.size(), " more")
                    : ""));
          }
          // A risk naming the asset must be moved off it first, or it would
          // be assessed against nothing. (Incidents are history: they keep
          // naming a retired asset.)
          RiskFilter naming;
          naming.asset = name;
          ISMS_ASSIGN_OR_RETURN(std::vector<v1::Risk> risks,
                                store_.ListRisks(naming, RiskCursor(), static_cast<int>(kNamed)));
          if (!risks.empty()) {
            std::vector<std::string> names;
            for (const v1::Risk& risk : risks) names.push_back(risk.name());
            return absl::FailedPreconditionError(absl::StrCat(
                name, " is named by risks; take it off them first: ", absl::StrJoin(names, ", "),
                risks.size() == kNamed ? " and maybe more" : ""));
          }
          m.field_changes = DiffFields(*current, Asset());
          m.changes.deleted.push_back(name);
          m.description = absl::StrCat("deleted ", name);
          return absl::OkStatus();
        });
        if (!deleted.ok()) return done(deleted);
        done(google::protobuf::Empty());
      });
}

void AssetRegistry::CreateAccessRecord(const CallInfo& call,
                                       const v1::CreateAccessRecordRequest& request,
                                       Done<v1::AccessRecord> done) {
  absl::Status valid = ValidateCreateAccessRecordRequest(request, clock_.Now());
  if (!valid.ok()) return done(valid);
  const std::string& parent = request.parent();
  Authorize(call, kManageAccess, parent, parent, request, true,
            [this, &call, &request, &parent,
             done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) mutable {
              if (!grant.ok()) return done(grant.status());
              const std::string& principal = request.access_record().principal();
              owners_.StandingOf(principal, [this, &call, &request, &parent, &principal,
                                             grant = *std::move(grant), done = std::move(done)](
                                                absl::StatusOr<OwnerDirectory::Standing> standing) {
                if (!standing.ok()) return done(standing.status());
                v1::AccessRecord record;
                const std::string name = absl::StrCat(parent, "/accessRecords/", NewId());
                absl::Status created = Mutate(call, name, kManageAccess, grant, [&](Mutation& m) {
                  m.field_changes = DiffFields(v1::AccessRecord(), request.access_record());
                  // Holding the permission does not let anyone raise themselves.
                  if (principal == call.caller.principal) {
                    return absl::PermissionDeniedError(absl::StrCat(
                        call.caller.principal, " may not record access to ", parent,
                        " for themselves; another holder of ", kManageAccess, " must"));
                  }
                  ISMS_ASSIGN_OR_RETURN(std::optional<Asset> asset, store_.Get(parent));
                  if (!asset.has_value()) return AssetNotFound(parent);
                  if (*standing == OwnerDirectory::Standing::kUnknown) {
                    return absl::FailedPreconditionError(absl::StrCat(
                        "access_record.principal: ", principal, " is not in the role register"));
                  }
                  if (*standing == OwnerDirectory::Standing::kLeft) {
                    return absl::FailedPreconditionError(absl::StrCat(
                        "access_record.principal: ", principal, " has left the organisation"));
                  }
                  const absl::Time now = clock_.Now();
                  record.set_name(name);
                  record.set_principal(principal);
                  record.set_level(request.access_record().level());
                  record.set_justification(request.access_record().justification());
                  *record.mutable_start_time() = request.access_record().has_start_time()
                                                     ? request.access_record().start_time()
                                                     : ToProto(now);
                  *record.mutable_end_time() = request.access_record().end_time();
                  record.set_granted_by(call.caller.principal);
                  record.set_grant_explanation(grant.explanation);
                  *record.mutable_create_time() = ToProto(now);
                  SetEtag(record);
                  m.field_changes = DiffFields(v1::AccessRecord(), record);
                  m.changes.access_created.push_back(record);
                  m.description = absl::StrCat("recorded ", v1::AccessLevel_Name(record.level()),
                                               " access to ", parent, " for ", principal);
                  return absl::OkStatus();
                });
                if (!created.ok()) return done(created);
                done(Decorated(std::move(record), clock_.Now(), false));
              });
            });
}

void AssetRegistry::GetAccessRecord(const CallInfo& call, const v1::GetAccessRecordRequest& request,
                                    Done<v1::AccessRecord> done) {
  std::string asset;
  absl::Status valid = ValidateAccessRecordName("name", request.name(), &asset);
  if (!valid.ok()) return done(valid);
  Authorize(call, kReadAssets, asset, asset, request, false,
            [this, &request,
             done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) mutable {
              if (!grant.ok()) return done(grant.status());
              absl::StatusOr<std::optional<v1::AccessRecord>> found =
                  store_.GetAccessRecord(request.name());
              if (!found.ok()) return done(found.status());
              if (!found->has_value()) return done(AccessNotFound(request.name()));
              v1::AccessRecord record = **std::move(found);
              const std::string principal = record.principal();
              owners_.StandingOf(principal,
                                 [this, record = std::move(record), done = std::move(done)](
                                     absl::StatusOr<OwnerDirectory::Standing> standing) mutable {
                                   if (!standing.ok()) return done(standing.status());
                                   done(Decorated(std::move(record), clock_.Now(),
                                                  *standing == OwnerDirectory::Standing::kLeft));
                                 });
            });
}

void AssetRegistry::ListAccessRecords(const CallInfo& call,
                                      const v1::ListAccessRecordsRequest& request,
                                      Done<v1::ListAccessRecordsResponse> done) {
  absl::Status valid = ValidateListAccessRecordsRequest(request);
  if (!valid.ok()) return done(valid);
  const std::string fingerprint = absl::StrCat(
      "access|", request.parent(), "|", request.principal(), "|", request.show_inactive() ? 1 : 0);
  absl::StatusOr<std::string> after = DecodePageToken(request.page_token(), fingerprint);
  if (!after.ok()) return done(after.status());
  const int page_size = *EffectivePageSize(request.page_size());
  const bool every_asset = request.parent() == "assets/-";
  // Across assets is a read of the whole register.
  const std::string resource = every_asset ? "" : request.parent();
  Authorize(
      call, kReadAssets, resource, "assets", request, false,
      [this, &request, fingerprint, after = *std::move(after), page_size, every_asset,
       done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) mutable {
        if (!grant.ok()) return done(grant.status());
        owners_.LeftPrincipals(
            [this, &request, fingerprint, after, page_size, every_asset,
             done = std::move(done)](absl::StatusOr<std::set<std::string>> left) mutable {
              if (!left.ok()) return done(left.status());
              const absl::Time now = clock_.Now();
              v1::ListAccessRecordsResponse response;
              std::string cursor = after;
              // Reads batches until a page is full; inactive records are
              // skipped unless asked for.
              while (true) {
                absl::StatusOr<std::vector<v1::AccessRecord>> batch = store_.ListAccessRecords(
                    every_asset ? "" : request.parent(), request.principal(), cursor, kMaxPageSize);
                if (!batch.ok()) return done(batch.status());
                for (v1::AccessRecord& record : *batch) {
                  cursor = record.name();
                  const bool principal_left = left->count(record.principal()) > 0;
                  v1::AccessRecord shown = Decorated(std::move(record), now, principal_left);
                  if (!request.show_inactive() && !shown.active() && !Outstanding(shown, now)) {
                    continue;
                  }
                  if (response.access_records_size() == page_size) {
                    response.set_next_page_token(EncodePageToken(
                        response.access_records(page_size - 1).name(), fingerprint));
                    return done(std::move(response));
                  }
                  *response.add_access_records() = std::move(shown);
                }
                if (static_cast<int>(batch->size()) < kMaxPageSize) break;
              }
              done(std::move(response));
            });
      });
}

void AssetRegistry::RevokeAccessRecord(const CallInfo& call,
                                       const v1::RevokeAccessRecordRequest& request,
                                       Done<v1::AccessRecord> done) {
  std::string asset;
  absl::Status valid = ValidateRevokeAccessRecordRequest(request);
  if (valid.ok()) valid = ValidateAccessRecordName("name", request.name(), &asset);
  if (!valid.ok()) return done(valid);
  Authorize(call, kManageAccess, asset, asset, request, true,
            [this, &call, &request,
             done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) mutable {
              if (!grant.ok()) return done(grant.status());
              const std::string& name = request.name();
              v1::AccessRecord revoked;
              absl::Status changed = Mutate(call, name, kManageAccess, *grant, [&](Mutation& m) {
                m.attributes["reason"] = request.reason();
                ISMS_ASSIGN_OR_RETURN(std::optional<v1::AccessRecord> current,
                                      store_.GetAccessRecord(name));
                if (!current.has_value()) return AccessNotFound(name);
                ISMS_RETURN_IF_ERROR(CheckEtag(name, request.etag(), current->etag()));
                const absl::Time now = clock_.Now();
                if (current->has_revoke_time()) {
                  return absl::FailedPreconditionError(absl::StrCat(name, " is already revoked"));
                }
                if (FromProto(current->end_time()) <= now) {
                  return absl::FailedPreconditionError(absl::StrCat(name, " has already ended"));
                }
                revoked = *current;
                *revoked.mutable_revoke_time() = ToProto(now);
                revoked.set_revoked_by(call.caller.principal);
                revoked.set_revoke_reason(request.reason());
                SetEtag(revoked);
                m.field_changes = DiffFields(*current, revoked);
                m.changes.access_updated.push_back(revoked);
                m.description = absl::StrCat("revoked ", name, " (", current->principal(), ")");
                return absl::OkStatus();
              });
              if (!changed.ok()) return done(changed);
              done(Decorated(std::move(revoked), clock_.Now(), false));
            });
}

void AssetRegistry::CreateAttestation(const CallInfo& call,
                                      const v1::CreateAttestationRequest& request,
                                      Done<v1::Attestation> done) {
  absl::Status valid = ValidateCreateAttestationRequest(request);
  if (!valid.ok()) return done(valid);
  const std::string& parent = request.parent();
  Authorize(
      call, kSubmitAttestations, parent, parent, request, true,
      [this, &call, &request, &parent,
       done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) mutable {
        if (!grant.ok()) return done(grant.status());
        owners_.OwnerOf(parent, [this, &call, &request, &parent, grant = *std::move(grant),
                                 done = std::move(done)](
                                    absl::StatusOr<std::optional<v1::AssetOwner>> owner) {
          if (!owner.ok()) return done(owner.status());
          const absl::Time now = clock_.Now();
          // Names sort by attest time, so a listing is oldest first.
          const std::string name = absl::StrCat(
              parent, "/attestations/", absl::StrFormat("%016x", absl::ToUnixMicros(now)), NewId());
          v1::Attestation attestation;
          absl::Status created = Mutate(call, name, kSubmitAttestations, grant, [&](Mutation& m) {
            m.field_changes = DiffFields(v1::Attestation(), request.attestation());
            // The permission can be delegated; the judgement cannot: it is
            // the IAO's own, by their own appointment.
            if (!owner->has_value() || (*owner)->principal() != call.caller.principal ||
                (*owner)->via() != v1::OWNER_VIA_APPOINTMENT) {
              return absl::PermissionDeniedError(
                  absl::StrCat("only the IAO of ", parent, " attests it; ", call.caller.principal,
                               owner->has_value() ? absl::StrCat(" is not ", (*owner)->principal())
                                                  : std::string(": it has no IAO in force")));
            }
            ISMS_ASSIGN_OR_RETURN(std::optional<Asset> asset, store_.Get(parent));
            if (!asset.has_value()) return AssetNotFound(parent);
            attestation.set_name(name);
            attestation.set_attester(call.caller.principal);
            attestation.set_security_judgement(request.attestation().security_judgement());
            attestation.set_use_judgement(request.attestation().use_judgement());
            attestation.set_still_required(request.attestation().still_required());
            *attestation.mutable_attest_time() = ToProto(now);
            attestation.set_explanation(grant.explanation);
            Asset attested = *asset;
            *attested.mutable_last_attestation_time() = ToProto(now);
            SetEtag(attested);
            m.field_changes = DiffFields(v1::Attestation(), attestation);
            m.changes.attestations_created.push_back(attestation);
            m.changes.updated.push_back(attested);
            m.description = absl::StrCat("attested ", parent);
            return absl::OkStatus();
          });
          if (!created.ok()) return done(created);
          done(std::move(attestation));
        });
      });
}

void AssetRegistry::ListAttestations(const CallInfo& call,
                                     const v1::ListAttestationsRequest& request,
                                     Done<v1::ListAttestationsResponse> done) {
  absl::Status valid = ValidateListAttestationsRequest(request);
  if (!valid.ok()) return done(valid);
  const std::string fingerprint = absl::StrCat("attestations|", request.parent());
  absl::StatusOr<std::string> after = DecodePageToken(request.page_token(), fingerprint);
  if (!after.ok()) return done(after.status());
  const int page_size = *EffectivePageSize(request.page_size());
  Authorize(call, kReadAssets, request.parent(), request.parent(), request, false,
            [this, &request, fingerprint, after = *std::move(after), page_size,
             done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
              if (!grant.ok()) return done(grant.status());
              absl::StatusOr<std::vector<v1::Attestation>> found =
                  store_.ListAttestations(request.parent(), after, page_size + 1);
              if (!found.ok()) return done(found.status());
              v1::ListAttestationsResponse response;
              for (v1::Attestation& attestation : *found) {
                if (response.attestations_size() == page_size) {
                  response.set_next_page_token(
                      EncodePageToken(response.attestations(page_size - 1).name(), fingerprint));
                  break;
                }
                *response.add_attestations() = std::move(attestation);
              }
              done(std::move(response));
            });
}

void AssetRegistry::GetAuditDelivery(const CallInfo& call,
                                     const v1::GetAuditDeliveryRequest& request,
                                     Done<isms::audit::v1::DeliveryStatus> done) {
  Authorize(call, kReadAudit, "", "audit-delivery", request, false,
            [this, done = std::move(done)](absl::StatusOr<PermissionClient::Grant> grant) {
              if (!grant.ok()) return done(grant.status());
              absl::ReaderMutexLock lock(&relay_mu_);
              if (relay_ == nullptr) return done(UndeliveredStatus(store_));
              done(relay_->Status());
            });
}

}  // namespace isms::asset
