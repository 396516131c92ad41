#include "alerting/alert_router.h"

#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <utility>

#include "alerting/slack_notifier.h"
#include "alerting/webhook_notifier.h"
#include "common/logger.h"

namespace andon::alerting {

namespace {
constexpr char kBlackhole[] = "blackhole";
constexpr char kTeamReceiverPrefix[] = "team-";  // the receivers config::ExpandTeams adds
}  // namespace

class AlertRouter::Prepared {
 public:
  ~Prepared() {
    for (const auto& stop : stops) stop();
  }

  config::RouterConfig config;
  Integrations integrations;
  std::vector<std::function<void()>> stops;  // one per notifier
};

config::RouterConfig BlackholeRouterConfig() {
  config::RouterConfig c;
  c.route.receiver = kBlackhole;
  c.route.group_by = std::vector<std::string>{};
  config::Receiver blackhole;
  blackhole.name = kBlackhole;
  c.receivers.push_back(std::move(blackhole));
  return c;
}

Result<config::RouterConfig> EffectiveRouterConfig(const config::Config& config,
                                                   const std::string& alertmanager_file) {
  if (alertmanager_file.empty()) {
    return config.alerting.router ? *config.alerting.router : BlackholeRouterConfig();
  }
  Result<config::RouterConfig> r = config::LoadAlertmanagerConfig(alertmanager_file);
  if (!r.ok()) return r.status();
  if (Status s = config::ExpandTeams(config.teams, &*r); !s.ok()) {
    return s.WithContext(alertmanager_file + ": teams of " +
                         (config.source_file.empty() ? "the config" : config.source_file));
  }
  return r;
}

AlertRouter::AlertRouter(AlertRouterOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<AlertRouter>> AlertRouter::Open(AlertRouterOptions options) {
  std::unique_ptr<AlertRouter> r(new AlertRouter(std::move(options)));
  const std::filesystem::path dir(r->options_.data_dir);
  SilencesOptions so;
  so.dir = (dir / "silences").string();
  so.registry = r->options_.registry;
  auto silences = Silences::Open(so);
  if (!silences.ok()) return silences.status().WithContext("alert router: " + so.dir);
  r->silences_ = std::move(silences).value();
  const std::string nflog_dir = (dir / "nflog").string();
  auto nflog = NotificationLog::Open(nflog_dir);
  if (!nflog.ok()) return nflog.status().WithContext("alert router: " + nflog_dir);
  r->nflog_ = std::move(nflog).value();

  DispatcherOptions dopts;
  dopts.external_url = r->options_.external_url;
  dopts.registry = r->options_.registry;
  auto dispatcher =
      Dispatcher::Create(BlackholeRouterConfig(), {}, r->silences_.get(), r->nflog_.get(), dopts);
  if (!dispatcher.ok()) return dispatcher.status().WithContext("alert router");
  r->dispatcher_ = std::move(dispatcher).value();

  r->work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          r->ioc_.get_executor());
  r->gc_timer_ = std::make_unique<boost::asio::steady_timer>(r->ioc_);
  r->io_thread_ = std::thread([router = r.get()] { router->ioc_.run(); });
  boost::asio::post(r->ioc_, [router = r.get()] { router->ScheduleSilencesGc(); });
  r->dispatcher_->Start();
  return r;
}

AlertRouter::~AlertRouter() { Stop(); }

void AlertRouter::ScheduleSilencesGc() {
  gc_timer_->expires_after(std::chrono::milliseconds(options_.silences_gc_interval_ms));
  gc_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || gc_stopped_) return;
    Result<size_t> n = silences_->GC();
    if (!n.ok()) {
      LogError("alerting", "silences garbage collection failed", {{"err", n.status().message()}});
    } else if (*n > 0) {
      LogDebug("alerting", "silences garbage-collected", {{"count", std::to_string(*n)}});
    }
    ScheduleSilencesGc();
  });
}

Result<std::shared_ptr<AlertRouter::Prepared>> AlertRouter::Prepare(
    const config::RouterConfig& config, const std::vector<config::TeamConfig>& teams) {
  auto p = std::make_shared<Prepared>();
  p->config = config;
  NotificationSenderOptions sender_options;
  sender_options.registry = options_.registry;
  for (const config::Receiver& receiver : config.receivers) {
    std::vector<std::shared_ptr<Notifier>>& list = p->integrations[receiver.name];
    SlackNotifierOptions slack_options;
    for (const config::TeamConfig& team : teams) {
      if (receiver.name == kTeamReceiverPrefix + team.name) {
        slack_options.runbook_base_url = team.runbook_base_url;
      }
    }
    // Adds one created notifier (either kind) to the receiver's integrations.
    auto add = [&](auto created, const char* key, size_t i) -> Status {
      if (!created.ok()) {
        return created.status().WithContext("receiver \"" + receiver.name + "\": " + key + "[" +
                                            std::to_string(i) + "]");
      }
      std::shared_ptr notifier = std::move(created).value();
      p->stops.push_back([notifier] { notifier->Stop(); });
      list.push_back(std::move(notifier));
      return Status::Ok();
    };
    for (size_t i = 0; i < receiver.slack_configs.size(); ++i) {
      Status s = add(SlackNotifier::Create(ioc_.get_executor(), receiver.slack_configs[i],
                                           slack_options, sender_options),
                     "slack_configs", i);
      if (!s.ok()) return s;
    }
    for (size_t i = 0; i < receiver.webhook_configs.size(); ++i) {
      Status s = add(
          WebhookNotifier::Create(ioc_.get_executor(), receiver.webhook_configs[i], sender_options),
          "webhook_configs", i);
      if (!s.ok()) return s;
    }
  }
  // The routes, inhibit rules and time intervals compile exactly as Reload will compile them.
  auto check = Dispatcher::Create(config, p->integrations, nullptr, nullptr, {});
  if (!check.ok()) return check.status();
  return p;
}

Status AlertRouter::Commit(std::shared_ptr<Prepared> prepared) {
  std::lock_guard lock(mu_);
  if (stopped_) return Status::Ok();
  if (Status s = dispatcher_->Reload(prepared->config, prepared->integrations); !s.ok()) {
    return s.WithContext("alert router");
  }
  current_ = std::move(prepared);  // the previous Prepared stops its notifiers
  return Status::Ok();
}

std::shared_ptr<const config::RouterConfig> AlertRouter::config() const {
  std::lock_guard lock(mu_);
  if (current_) return std::shared_ptr<const config::RouterConfig>(current_, &current_->config);
  static const config::RouterConfig* const kBlackholeConfig =
      new config::RouterConfig(BlackholeRouterConfig());
  return std::shared_ptr<const config::RouterConfig>(std::shared_ptr<void>(), kBlackholeConfig);
}

void AlertRouter::Send(std::vector<Alert> alerts) { dispatcher_->Send(std::move(alerts)); }

void AlertRouter::Stop() {
  std::shared_ptr<Prepared> last;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    last = std::move(current_);
  }
  if (dispatcher_) dispatcher_->Stop();
  last.reset();
  if (!io_thread_.joinable()) return;  // Open() failed before starting it
  boost::asio::post(ioc_, [this] {
    gc_stopped_ = true;
    gc_timer_->cancel();
  });
  work_.reset();
  io_thread_.join();
}

}  // namespace andon::alerting
