// scrape/target_labels.h
//
// Turns one discovered target into the labels and scrape parameters of a scrape target, as
// Prometheus 2.42 does for `relabel_configs`:
//   1. the group's labels, then the target's own labels on top (the target wins);
//   2. `job`, `__scheme__`, `__metrics_path__`, `__scrape_interval__`, `__scrape_timeout__`
//      from the scrape config, and `__param_<name>` for the first value of each configured
//      param, each only where the label is not already set — this is the "discovered" label
//      set that /api/v1/targets shows;
//   3. relabel_configs; a dropped target is reported as dropped, not as an error;
//   4. checks: `__address__` present and a valid host[:port] ("no address" /
//      "invalid address ..."), `__scheme__` http or https, `__scrape_interval__` and
//      `__scrape_timeout__` parse, are non-zero and timeout <= interval; an address without
//      a port gets the scheme's default (:80 or :443), as Prometheus 2.42 does;
//   5. `instance` defaults to `__address__`, every label whose
//      name starts with "__" is removed, and the remaining names and values are validated.
// Pure functions of their inputs; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/labels.h"
#include "common/status.h"
#include "scrape/target_group.h"

namespace andon::scrape {

struct TargetLabels {
  bool dropped = false;  // relabeling dropped it; only `discovered` is set then
  Labels discovered;     // before relabeling (step 2 above)
  Labels labels;         // the target's labels: no "__" names, `instance` set
  // Scrape parameters, from the internal labels after relabeling.
  std::string address;       // __address__
  std::string scheme;        // __scheme__
  std::string metrics_path;  // __metrics_path__
  std::string url;           // scheme://address/path?params (params sorted, query-escaped)
  int64_t interval_ms = 0;   // __scrape_interval__
  int64_t timeout_ms = 0;    // __scrape_timeout__
};

// Builds the scrape target for `target` (its labels, with `__address__`) in a group with
// `group_labels`. Errors (InvalidArgument) say what is wrong in Prometheus's words.
Result<TargetLabels> PopulateTargetLabels(const Labels& target, const Labels& group_labels,
                                          const config::ScrapeConfig& cfg);

// Every target of a group, in order: kept and dropped ones in `targets`; failures in
// `errors`, each prefixed "instance <i> in group <source>: ".
struct GroupTargets {
  std::vector<TargetLabels> targets;
  std::vector<Status> errors;
};
GroupTargets TargetsFromGroup(const TargetGroup& group, const config::ScrapeConfig& cfg);

}  // namespace andon::scrape
