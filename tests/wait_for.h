// tests/wait_for.h: polls a condition until it holds or a deadline passes, for tests that
// watch background work (scrape loops, rule evaluation, a server process). Returns the
// condition's last value, so `ASSERT_TRUE(WaitFor(...))` fails with the state at the end.
#pragma once

#include <chrono>
#include <thread>

namespace andon::testing {

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds max = std::chrono::seconds(10),
             std::chrono::milliseconds poll = std::chrono::milliseconds(20)) {
  const auto until = std::chrono::steady_clock::now() + max;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(poll);
  }
  return pred();
}

}  // namespace andon::testing
