// tests/scrape/allocation_count.h
//
// scrape_test replaces the global operator new (in exposition_parser_alloc_test.cc) with
// one that counts calls, so allocation-free hot paths can be proven. AllocationCount()
// returns the number of allocations made so far by any thread.
#pragma once

namespace andon::testing {
long AllocationCount();  // NOLINT(google-runtime-int)
}  // namespace andon::testing
