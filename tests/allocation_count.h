// tests/allocation_count.h
//
// The number of allocations made so far by any thread, counted by the global operator new
// that tests/counting_new.h installs (included by one source file of the binary).
#pragma once

namespace andon::testing {
long AllocationCount();  // NOLINT(google-runtime-int)
}  // namespace andon::testing
