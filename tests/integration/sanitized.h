#ifndef ISMS_TESTS_INTEGRATION_SANITIZED_H_
#define ISMS_TESTS_INTEGRATION_SANITIZED_H_

// True when built with AddressSanitizer (scripts/sanitize.sh), which then
// also instruments the service binary the integration tests start: its
// memory use is about doubled (shadow memory, quarantine) and its calls are
// several times slower, so memory bounds are scaled and latency ratios, which
// would measure the sanitizer, are printed but not asserted.
#if defined(__SANITIZE_ADDRESS__)
#define ISMS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ISMS_SANITIZED 1
#endif
#endif
#ifndef ISMS_SANITIZED
#define ISMS_SANITIZED 0
#endif

namespace isms::testing {
inline constexpr bool kSanitized = ISMS_SANITIZED;
}  // namespace isms::testing

#endif  // ISMS_TESTS_INTEGRATION_SANITIZED_H_
