// scrape/kubernetes_discovery.h
//
// `kubernetes_sd_configs`: targets from the Kubernetes API, kept in sync by list + watch, with
// the target groups and `__meta_kubernetes_*` labels of Prometheus 2.42 for the roles `pod`,
// `service`, `endpoints` and `node` (docs/configuration.md lists them).
//
// Groups: one per object, source "pod/<namespace>/<name>", "svc/<namespace>/<name>",
// "endpoints/<namespace>/<name>" or "node/<name>"; a deleted object (or a pod without an IP
// yet) is reported as its source with no targets. The `endpoints` role also watches the pods
// and services of the same namespaces and joins them in as Prometheus does: the service's
// labels on the group, the referenced pod's labels and matching container port on each
// endpoint target, and one extra target per container port of a seen pod that no endpoint
// port covers. A pod or service change re-reports the endpoints that refer to it.
//
// API access: `api_server` with the config's authorization / bearer_token(_file) /
// basic_auth and tls_config (credential files are re-read on every request), or, without
// `api_server`, the in-cluster configuration: https://$KUBERNETES_SERVICE_HOST:
// $KUBERNETES_SERVICE_PORT with the service account's token and ca.crt. `kubeconfig_file`
// and `proxy_url` are not supported (logged). Each (resource, namespace) pair is listed
// (paged with `limit`/`continue`, selectors passed as labelSelector/fieldSelector) and then
// watched from the list's resourceVersion with allowWatchBookmarks; a watch that ends or
// drops is resumed from the last resourceVersion seen (events and bookmarks), a 410 Gone
// (HTTP status or ERROR event) relists, and other failures are logged (component
// "kubernetes_sd") and retried with capped exponential backoff, keeping the last known
// targets meanwhile.
//
// Threading as the Discoverer contract (scrape/target_group.h): all work runs on one strand
// of the given executor; the first update is sent once every initial list has either
// completed or failed once. Stop() closes open connections and needs the executor to keep
// running until it returns.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "common/config.h"
#include "scrape/target_group.h"

namespace andon::scrape {

struct KubernetesDiscoveryOptions {
  // In-cluster configuration: directory holding `token`, `ca.crt` and `namespace`.
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  // Retry delay after a failure: doubles per consecutive failure up to max_backoff.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
  // Limit for connecting, the TLS handshake and each list response.
  std::chrono::milliseconds request_timeout{30000};
  // `timeoutSeconds` asked of the server for a watch; the client gives up on a watch that
  // stays silent for this long plus request_timeout.
  std::chrono::seconds watch_timeout{300};
  size_t max_response_bytes = 256 << 20;  // one list page
};

// The discoverer for one kubernetes_sd_config. Configuration problems (no in-cluster
// environment, unreadable CA file) are logged and retried with backoff; they never throw.
std::unique_ptr<Discoverer> MakeKubernetesDiscoverer(
    boost::asio::any_io_executor executor, const config::KubernetesSdConfig& config,
    KubernetesDiscoveryOptions options = KubernetesDiscoveryOptions());

}  // namespace andon::scrape
