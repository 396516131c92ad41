// scrape/relabel.h
//
// Prometheus 2.42 relabeling: applies `relabel_configs` / `metric_relabel_configs` in order
// to a label set. Every action is supported (replace, keep, drop, hashmod, labelmap,
// labeldrop, labelkeep, lowercase, uppercase, keepequal, dropequal). Regexes are the
// configs' compiled, fully anchored re2 patterns. Thread-safe: configs are read-only.
#pragma once

#include <span>

#include "common/config.h"
#include "common/labels.h"

namespace andon::scrape {

// Relabels the labels held in `builder` in place. Returns false when an action dropped the
// label set (the builder's contents are then unspecified).
bool Relabel(std::span<const config::RelabelConfig> configs, LabelsBuilder& builder);

}  // namespace andon::scrape
