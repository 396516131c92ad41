// common/flag_set.h
//
// FlagSet parses Prometheus-style long flags: `--name=value`, `--name value`, and for
// boolean flags `--name` / `--no-name`. Everything that is not a flag is positional.
// Flags keep their declaration order for --help and for /api/v1/status/flags, which
// shows every flag with its current value (as strings). Not thread-safe; parse once.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace andon {

class FlagSet {
 public:
  // Declares a string flag bound to *target, which holds the default on entry.
  void String(const std::string& name, std::string* target, const std::string& help);
  void Bool(const std::string& name, bool* target, const std::string& help);

  // Parses argv (without the program name). Unknown flags and missing values are errors
  // naming the flag.
  Status Parse(const std::vector<std::string>& args);

  const std::vector<std::string>& positional() const { return positional_; }
  // Flag name (without dashes) -> current value.
  std::map<std::string, std::string> Values() const;
  // One line per flag: "  --name=DEFAULT  help".
  std::string Usage() const;

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_value;
    std::string* str = nullptr;
    bool* boolean = nullptr;
  };
  Flag* Find(const std::string& name);

  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
};

}  // namespace andon
