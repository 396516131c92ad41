// web/admin_api.h
//
// AdminApi serves Prometheus's TSDB admin endpoints, each on POST and PUT:
//   /api/v1/admin/tsdb/delete_series   match[] (required), start, end (default: all time);
//                                      204. Deleted samples vanish from every later query.
//   /api/v1/admin/tsdb/clean_tombstones  204 once persisted chunks under tombstones are
//                                      rewritten without the deleted samples.
//   /api/v1/admin/tsdb/snapshot        skip_head; 200 {"name": "<UTC time>-<16 hex>"}, a copy of
//                                      the TSDB under <data dir>/snapshots/<name> that
//                                      --storage.tsdb.path can open.
// They change or copy every team's data, so they answer only with --web.enable-admin-api;
// without it each answers 403 {"status":"error","errorType":"unavailable","error":"admin APIs
// disabled"}. Storage failures are 500 (errorType internal) with the storage's message.
#pragma once

#include <string>

#include "tsdb/db.h"
#include "web/http_server.h"

namespace andon::web {

struct AdminApiOptions {
  bool enabled = false;       // --web.enable-admin-api
  Db* db = nullptr;           // not owned; must outlive the server
  std::string snapshots_dir;  // <data dir>/snapshots
};

void RegisterAdminApi(HttpServer& server, AdminApiOptions options);

}  // namespace andon::web
