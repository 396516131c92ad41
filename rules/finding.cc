#include "rules/finding.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "common/labels.h"

namespace andon::rules {
namespace {

// Escapes for a workflow command's message (`data`) and, additionally, its property values.
std::string EscapeGithub(std::string_view s, bool property) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += property ? "%3A" : ":";
        break;
      case ',':
        out += property ? "%2C" : ",";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Reads a positive decimal integer ending at `stop` from the front of *s.
bool TakeNumber(std::string_view* s, char stop, int* out) {
  size_t end = s->find(stop);
  if (end == 0 || end == std::string_view::npos) return false;
  auto [p, ec] = std::from_chars(s->data(), s->data() + end, *out);
  if (ec != std::errc() || p != s->data() + end || *out <= 0) return false;
  s->remove_prefix(end + 1);
  return true;
}

}  // namespace

std::string Finding::RuleContext() const {
  if (rule_index == 0) return "";
  return "group " + QuoteLabelValue(group) + ", rule " + std::to_string(rule_index) + ", " +
         QuoteLabelValue(rule) + ": ";
}

std::string FormatFindingText(const Finding& f) {
  std::string out = f.file;
  if (f.pos.line > 0) {
    out += ":" + std::to_string(f.pos.line) + ":" + std::to_string(f.pos.column);
  }
  return out + ": " + f.RuleContext() + f.message + " (" + f.check + ")";
}

std::string FormatFindingGithub(const Finding& f) {
  std::string out = f.warning ? "::warning file=" : "::error file=";
  out += EscapeGithub(f.file, true);
  if (f.pos.line > 0) {
    out += ",line=" + std::to_string(f.pos.line);
    if (f.pos.column > 0) out += ",col=" + std::to_string(f.pos.column);
  }
  out += ",title=" + EscapeGithub("andon " + f.check, true);
  return out + "::" + EscapeGithub(f.RuleContext() + f.message, false);
}

std::string FindingsToJson(const std::vector<Finding>& findings) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const Finding& f : findings) {
    nlohmann::ordered_json j;
    j["file"] = f.file;
    j["line"] = f.pos.line > 0 ? nlohmann::ordered_json(f.pos.line) : nullptr;
    j["column"] = f.pos.column > 0 ? nlohmann::ordered_json(f.pos.column) : nullptr;
    const bool about_rule = f.rule_index > 0;
    j["group"] = about_rule ? nlohmann::ordered_json(f.group) : nullptr;
    j["rule_index"] = about_rule ? nlohmann::ordered_json(f.rule_index) : nullptr;
    j["rule"] = about_rule ? nlohmann::ordered_json(f.rule) : nullptr;
    j["check"] = f.check;
    j["level"] = f.warning ? "warning" : "error";
    j["message"] = f.message;
    arr.push_back(std::move(j));
  }
  return arr.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::vector<Finding> FindingsFromStatus(const Status& status, std::string_view file,
                                        std::string_view invalid_check) {
  std::vector<Finding> out;
  const std::string check =
      status.code() == Status::Code::kIOError ? "unreadable-file" : std::string(invalid_check);
  const std::string& msg = status.message();
  const std::string prefix = std::string(file) + ":";
  for (size_t start = 0; start <= msg.size();) {
    size_t nl = msg.find('\n', start);
    if (nl == std::string::npos) nl = msg.size();
    std::string_view line = std::string_view(msg).substr(start, nl - start);
    start = nl + 1;
    if (line.empty()) continue;
    Finding f;
    f.file = std::string(file);
    f.check = check;
    if (line.substr(0, prefix.size()) == prefix) {
      std::string_view rest = line.substr(prefix.size());
      std::string_view numbered = rest;
      FilePos pos;
      if (TakeNumber(&numbered, ':', &pos.line) && TakeNumber(&numbered, ':', &pos.column) &&
          numbered.substr(0, 1) == " ") {
        f.pos = pos;
        rest = numbered.substr(1);
      } else if (rest.substr(0, 1) == " ") {
        rest.remove_prefix(1);
      }
      line = rest;
    }
    f.message = std::string(line);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace andon::rules
