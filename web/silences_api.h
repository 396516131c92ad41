// web/silences_api.h
//
// The silences part of Alertmanager's API v2 (0.25), over alerting::Silences:
//
//   GET    /api/v2/silences[?filter=<matcher>...]  all silences (active by end, pending by
//                                                  start, expired latest first); a silence is
//                                                  listed when every filter matcher equals one
//                                                  of its matchers
//   POST   /api/v2/silences                        create, or update when "id" is set;
//                                                  200 {"silenceID":"..."}
//   GET    /api/v2/silence/{silenceID}             one silence; 404 with an empty body
//   DELETE /api/v2/silence/{silenceID}             expire it; 200 with an empty body
//
// Silences are shown as GettableSilence: id, status.state, updatedAt, comment, createdBy,
// endsAt, matchers [{isEqual,isRegex,name,value}], startsAt; times are RFC 3339 UTC with
// milliseconds. Errors use Alertmanager's shapes and codes, so amtool and other clients
// read them as they read Alertmanager's: a JSON string for 400/404/500 from the handlers
// ("silence invalid: ...", "Failed to create silence: ...", "silence not found"), and
// go-openapi's {"code":N,"message":"..."} for request-level failures: 400 undecodable body,
// 415 a body that is not application/json, 422 a missing required field, too few matchers
// or a silence id that is not a UUID. Deleting an unknown id answers 500 "silence not found",
// as Alertmanager 0.25 does.
//
// With `read_only`, POST /api/v2/silences and DELETE /api/v2/silence/{id} answer 403
// {"code":403,"message":"the Alertmanager API is read-only: ... refused"} and change nothing.
//
// The handlers run on the server's threads; Silences is thread-safe and must outlive the
// server.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "alerting/silences.h"
#include "common/status.h"
#include "web/http_server.h"

namespace andon::web {

struct SilencesApiOptions {
  bool read_only = false;  // refuse POST and DELETE with 403
};

void RegisterSilencesApi(HttpServer& server, alerting::Silences& silences,
                         SilencesApiOptions options = {});

// RFC 3339 date-time (fractional seconds optional, Z or a numeric offset; a missing zone is
// UTC; "T" or a space between date and time), to Unix milliseconds (fractions truncated).
Result<int64_t> ParseApiTime(std::string_view text);

}  // namespace andon::web
