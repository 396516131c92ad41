// web/targets_api.h
//
// The scrape half of Prometheus 2.42's API, answered from a running ScrapeManager:
//   /api/v1/targets           activeTargets (discoveredLabels, labels, scrapePool,
//                             scrapeUrl, globalUrl, lastError, lastScrape (RFC 3339, UTC),
//                             lastScrapeDuration, health up/down/unknown, scrapeInterval,
//                             scrapeTimeout) and droppedTargets; `state` = active, dropped
//                             or any (default; any other value yields two empty lists).
//   /api/v1/targets/metadata  [{target, metric, type, help, unit}] for the metric families
//                             the targets exposed (TYPE/HELP/UNIT), filtered by
//                             `match_target` (a series selector over target labels) and
//                             `metric` (then "metric" is omitted); `limit` stops adding
//                             targets once that many entries were collected.
//   /api/v1/metadata          {metric: [{type, help, unit}, ...]} deduplicated over all
//                             targets; `metric` and `limit` (number of metrics).
// GET only, as in Prometheus 2.42. Thread-safe: handlers only take the manager's snapshots.
#pragma once

#include <string>

#include "scrape/scrape_manager.h"
#include "web/http_server.h"

namespace andon::web {

// How scrape URLs are rewritten into globalUrl, as Prometheus does: a target on localhost
// (127.0.0.1, localhost, ::1) gets the external host name; if its port is the server's own
// listen port, it is the server itself and gets the external scheme and host:port.
struct GlobalUrlOptions {
  std::string scheme = "http";
  std::string host;  // "host:port" under which the server is externally reachable
  std::string listen_port;
};

std::string GlobalUrl(const std::string& scrape_url, const GlobalUrlOptions& options);

void RegisterTargetsApi(HttpServer& server, const scrape::ScrapeManager& manager,
                        GlobalUrlOptions options);

}  // namespace andon::web
