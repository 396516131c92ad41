// tests/web/api_error_case.h: a table row for the Alertmanager API v2 error tests (a request
// body, its content type, the expected status and body) and the check of one answer.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tests/integration/andon_process.h"

namespace andon::testing {

struct ApiErrorCase {
  const char* name;
  std::string body;
  std::string content_type;
  int status;
  std::string response;  // exact body, or a prefix when it ends in "..."
};

inline void ExpectApiError(const HttpResult& r, const ApiErrorCase& c) {
  EXPECT_EQ(r.status, c.status) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  if (c.response.size() > 3 && c.response.ends_with("...")) {
    EXPECT_EQ(r.body.rfind(c.response.substr(0, c.response.size() - 3), 0), 0u) << r.body;
  } else {
    EXPECT_EQ(r.body, c.response);
  }
}

}  // namespace andon::testing
