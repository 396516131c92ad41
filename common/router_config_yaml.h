// common/router_config_yaml.h
//
// The router configuration as alertmanager.yml-shaped YAML (global, route, receivers,
// inhibit_rules, time_intervals, templates), defaults filled in and every credential
// replaced by "<secret>": what the API v2's /api/v2/status shows as config.original and
// `amtool config show` prints. Written by common/config_dump.cc with Config::ToRedactedYaml.
#pragma once

#include <string>

#include "common/config.h"

namespace andon::config {

std::string RouterConfigToRedactedYaml(const RouterConfig& router);

}  // namespace andon::config
