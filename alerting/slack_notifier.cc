#include "alerting/slack_notifier.h"

#include <nlohmann/json.hpp>

#include "templating/template.h"

namespace andon::alerting {
namespace {

using json = nlohmann::ordered_json;
using templating::Template;
using templating::TemplateEnv;
using templating::TemplateList;
using templating::TemplateMap;
using templating::TemplateValue;

// Alertmanager's template data as a template value (maps, lists and label maps).
TemplateValue TemplateData(const NotificationData& d) {
  TemplateList alerts;
  for (const NotificationAlert& na : d.alerts) {
    const Alert& a = *na.alert;
    TemplateMap m;
    m.emplace("Status", TemplateValue::String(na.status));
    m.emplace("Labels", TemplateValue::LabelMap(a.labels));
    m.emplace("Annotations", TemplateValue::LabelMap(a.annotations));
    m.emplace("StartsAt", TemplateValue::Time(a.starts_at_ms * 1000000));
    m.emplace("EndsAt", TemplateValue::Time(a.ends_at_ms * 1000000));
    m.emplace("GeneratorURL", TemplateValue::String(a.generator_url));
    m.emplace("Fingerprint", TemplateValue::String(na.fingerprint));
    alerts.push_back(TemplateValue::Map(std::move(m)));
  }
  TemplateMap m;
  m.emplace("Receiver", TemplateValue::String(d.receiver));
  m.emplace("Status", TemplateValue::String(d.status));
  m.emplace("Alerts", TemplateValue::List(std::move(alerts)));
  m.emplace("GroupLabels", TemplateValue::LabelMap(d.group_labels));
  m.emplace("CommonLabels", TemplateValue::LabelMap(d.common_labels));
  m.emplace("CommonAnnotations", TemplateValue::LabelMap(d.common_annotations));
  m.emplace("ExternalURL", TemplateValue::String(d.external_url));
  return TemplateValue::Map(std::move(m));
}

// Expands configured strings: literal unless they contain "{{"; remembers the first error.
class Expander {
 public:
  explicit Expander(const NotificationData& d) : data_(TemplateData(d)) {
    env_.external_url = d.external_url;
  }
  std::string operator()(const std::string& text, std::string_view field) {
    if (!status_.ok() || text.find("{{") == std::string::npos) return text;
    auto t = Template::Parse(text, field);
    if (!t.ok()) {
      status_ =
          Status::InvalidArgument("slack " + std::string(field) + ": " + t.status().message());
      return "";
    }
    auto out = t->Execute(data_, env_);
    if (!out.ok()) {
      status_ =
          Status::InvalidArgument("slack " + std::string(field) + ": " + out.status().message());
      return "";
    }
    return std::move(out).value();
  }
  const Status& status() const { return status_; }

 private:
  TemplateValue data_;
  TemplateEnv env_;
  Status status_;
};

// The group's name for titles: its alertname, else the group labels' values.
std::string GroupName(const NotificationData& d) {
  if (auto n = d.group_labels.Get("alertname"); !n.empty()) return std::string(n);
  if (auto n = d.common_labels.Get("alertname"); !n.empty()) return std::string(n);
  std::string out;
  for (const Label& l : d.group_labels) {
    if (!out.empty()) out += ' ';
    out += l.value;
  }
  return out;
}

std::string DefaultTitle(const NotificationData& d) {
  std::string name = GroupName(d);
  std::string title = d.status == "firing" ? "[FIRING:" + std::to_string(d.firing()) + "]"
                                           : std::string("[RESOLVED]");
  return name.empty() ? title : title + " " + name;
}

// Firing alerts first, then resolved, each in the notification's order.
std::vector<const NotificationAlert*> FiringFirst(const NotificationData& d) {
  std::vector<const NotificationAlert*> out;
  for (const auto& a : d.alerts) {
    if (a.status == "firing") out.push_back(&a);
  }
  for (const auto& a : d.alerts) {
    if (a.status != "firing") out.push_back(&a);
  }
  return out;
}

std::string DefaultText(const NotificationData& d) {
  std::string out;
  for (const NotificationAlert* na : FiringFirst(d)) {
    const Alert& a = *na->alert;
    if (!out.empty()) out += "\n";
    if (d.alerts.size() > 1 || na->status != d.status) {
      out += "*" + std::string(a.labels.Get("alertname")) + "*";
      if (na->status == "resolved") out += " (resolved)";
      out += "\n";
    }
    if (auto s = a.labels.Get("severity"); !s.empty())
      out += "*Severity:* " + std::string(s) + "\n";
    if (auto s = a.annotations.Get("summary"); !s.empty()) {
      out += "*Summary:* " + std::string(s) + "\n";
    }
    if (auto s = a.annotations.Get("description"); !s.empty()) {
      out += "*Description:* " + std::string(s) + "\n";
    }
    std::string labels;
    for (const Label& l : a.labels) {
      if (l.name == "alertname") continue;
      labels += " `" + std::string(l.name) + "=" + std::string(l.value) + "`";
    }
    if (!labels.empty()) out += "*Labels:*" + labels + "\n";
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string RunbookUrl(const NotificationData& d, const SlackNotifierOptions& o) {
  for (const NotificationAlert* na : FiringFirst(d)) {
    if (auto u = na->alert->annotations.Get("runbook_url"); !u.empty()) return std::string(u);
  }
  std::string name(d.common_labels.Get("alertname"));
  if (o.runbook_base_url.empty() || name.empty()) return "";
  std::string base = o.runbook_base_url;
  if (base.back() != '/') base += '/';
  return base + name;
}

std::string QueryUrl(const NotificationData& d) {
  for (const NotificationAlert* na : FiringFirst(d)) {
    if (!na->alert->generator_url.empty()) return na->alert->generator_url;
  }
  return "";
}

void SetIf(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

}  // namespace

Result<std::string> SlackPayload(const config::SlackConfig& c, const SlackNotifierOptions& o,
                                 const NotificationData& d) {
  Expander x(d);
  std::string title = c.title.empty() ? DefaultTitle(d) : x(c.title, "title");
  std::string title_link = c.title_link.empty() ? QueryUrl(d) : x(c.title_link, "title_link");
  std::string text = c.text.empty() ? DefaultText(d) : x(c.text, "text");
  std::string fallback = c.fallback.empty() ? title + (title_link.empty() ? "" : " | " + title_link)
                                            : x(c.fallback, "fallback");
  std::string color =
      c.color.empty() ? (d.status == "firing" ? "danger" : "good") : x(c.color, "color");

  json att = json::object();
  SetIf(att, "title", title);
  SetIf(att, "title_link", title_link);
  SetIf(att, "pretext", x(c.pretext, "pretext"));
  SetIf(att, "text", text);
  SetIf(att, "fallback", fallback);
  SetIf(att, "callback_id", x(c.callback_id, "callback_id"));
  if (!c.fields.empty()) {
    json fields = json::array();
    for (const config::SlackField& f : c.fields) {
      json jf = json::object();
      jf["title"] = x(f.title, "field title");
      jf["value"] = x(f.value, "field value");
      jf["short"] = f.short_field.value_or(c.short_fields);
      fields.push_back(std::move(jf));
    }
    att["fields"] = std::move(fields);
  }
  json actions = json::array();
  if (c.actions.empty()) {
    std::string runbook = RunbookUrl(d, o);
    if (!runbook.empty()) {
      actions.push_back({{"type", "button"}, {"text", "Runbook"}, {"url", runbook}});
    }
    std::string query = QueryUrl(d);
    if (!query.empty()) {
      actions.push_back({{"type", "button"}, {"text", "Query"}, {"url", query}});
    }
  }
  for (const config::SlackAction& a : c.actions) {
    json ja = json::object();
    ja["type"] = x(a.type, "action type");
    ja["text"] = x(a.text, "action text");
    SetIf(ja, "url", x(a.url, "action url"));
    SetIf(ja, "style", x(a.style, "action style"));
    SetIf(ja, "name", x(a.name, "action name"));
    SetIf(ja, "value", x(a.value, "action value"));
    if (a.confirm) {
      json jc = json::object();
      SetIf(jc, "title", x(a.confirm->title, "confirm title"));
      jc["text"] = x(a.confirm->text, "confirm text");
      SetIf(jc, "ok_text", x(a.confirm->ok_text, "confirm ok_text"));
      SetIf(jc, "dismiss_text", x(a.confirm->dismiss_text, "confirm dismiss_text"));
      ja["confirm"] = std::move(jc);
    }
    actions.push_back(std::move(ja));
  }
  if (!actions.empty()) att["actions"] = std::move(actions);
  SetIf(att, "image_url", x(c.image_url, "image_url"));
  SetIf(att, "thumb_url", x(c.thumb_url, "thumb_url"));
  SetIf(att, "footer", x(c.footer, "footer"));
  att["color"] = color;
  att["mrkdwn_in"] =
      c.mrkdwn_in.empty() ? json::array({"fallback", "pretext", "text"}) : json(c.mrkdwn_in);

  json msg = json::object();
  SetIf(msg, "channel", x(c.channel, "channel"));
  std::string username = c.username.empty() ? o.default_username : x(c.username, "username");
  SetIf(msg, "username", username);
  SetIf(msg, "icon_emoji", x(c.icon_emoji, "icon_emoji"));
  SetIf(msg, "icon_url", x(c.icon_url, "icon_url"));
  if (c.link_names) msg["link_names"] = true;
  msg["attachments"] = json::array({std::move(att)});
  if (!x.status().ok()) return x.status();
  return msg.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::unique_ptr<SlackNotifier>> SlackNotifier::Create(
    boost::asio::any_io_executor executor, const config::SlackConfig& config,
    SlackNotifierOptions options, NotificationSenderOptions sender_options) {
  if (config.api_url.empty()) return Status::InvalidArgument("slack_config: api_url is required");
  sender_options.integration = "slack";
  auto sender = NotificationSender::Create(std::move(executor), config.http_config, sender_options);
  if (!sender.ok()) return sender.status().WithContext("slack_config");
  return std::unique_ptr<SlackNotifier>(
      new SlackNotifier(config, std::move(options), std::move(sender).value()));
}

void SlackNotifier::Notify(Notification notification, std::function<void(Status)> done) {
  NotificationData data = MakeNotificationData(notification);
  auto payload = SlackPayload(config_, options_, data);
  if (!payload.ok()) {
    // A template error is the configuration's fault: retrying cannot help.
    sender_->Reject(notification.receiver, payload.status(), std::move(done));
    return;
  }
  HttpRequest req;
  req.method = "POST";
  req.url = config_.api_url.Reveal();
  req.headers = {{"Content-Type", "application/json"}};
  req.body = std::move(payload).value();
  sender_->Enqueue(std::move(req), notification.receiver, std::move(done));
}

}  // namespace andon::alerting
