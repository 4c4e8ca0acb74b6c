// Force-included (-include) into sanitizer builds only; see scripts/sanitize.sh.
//
// grpc's port_platform.h defines GRPC_ASAN_ENABLED whenever the compiler
// sanitizes addresses, and sync_posix.h then adds a leak_checker field to
// gpr_mu and gpr_cv. Debian's libgrpc is built without ASan, so our
// instrumented code would disagree with the library about the size of every
// object holding one of them and corrupt memory. Including port_platform.h
// first and dropping the macro keeps our view of those types the library's.
#include <grpc/impl/codegen/port_platform.h>
#undef GRPC_ASAN_ENABLED
