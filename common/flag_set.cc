#include "common/flag_set.h"

#include <fmt/format.h>

namespace andon {

void FlagSet::String(const std::string& name, std::string* target, const std::string& help) {
  flags_.push_back({name, help, *target, target, nullptr});
}

void FlagSet::Bool(const std::string& name, bool* target, const std::string& help) {
  flags_.push_back({name, help, *target ? "true" : "false", nullptr, target});
}

FlagSet::Flag* FlagSet::Find(const std::string& name) {
  for (auto& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Status FlagSet::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.rfind("--", 0) != 0) {
      positional_.push_back(arg);
      continue;
    }
    std::string body = arg.substr(2);
    size_t eq = body.find('=');
    std::string name = body.substr(0, eq);
    Flag* f = Find(name);
    if (f == nullptr && eq == std::string::npos && name.rfind("no-", 0) == 0) {
      Flag* neg = Find(name.substr(3));
      if (neg != nullptr && neg->boolean != nullptr) {
        *neg->boolean = false;
        continue;
      }
    }
    if (f == nullptr) return Status::InvalidArgument("unknown long flag '--" + name + "'");
    if (f->boolean != nullptr) {
      std::string v = eq == std::string::npos ? "true" : body.substr(eq + 1);
      if (v != "true" && v != "false") {
        return Status::InvalidArgument("flag '--" + name + "': expected true or false, got '" + v +
                                       "'");
      }
      *f->boolean = v == "true";
      continue;
    }
    if (eq != std::string::npos) {
      *f->str = body.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      *f->str = args[++i];
    } else {
      return Status::InvalidArgument("expected argument for flag '--" + name + "'");
    }
  }
  return Status::Ok();
}

std::map<std::string, std::string> FlagSet::Values() const {
  std::map<std::string, std::string> out;
  for (const auto& f : flags_) {
    out[f.name] = f.boolean != nullptr ? (*f.boolean ? "true" : "false") : *f.str;
  }
  return out;
}

std::string FlagSet::Usage() const {
  std::string out;
  for (const auto& f : flags_) {
    std::string left =
        f.boolean != nullptr ? "--[no-]" + f.name : "--" + f.name + "=\"" + f.default_value + "\"";
    out += fmt::format("  {:<44} {}\n", left, f.help);
  }
  return out;
}

}  // namespace andon
