// common/yaml_reader.h
//
// Strict reading of YAML documents with yaml-cpp, for configuration and rule files. Every
// error names the file position ("andon.yml:12:5: ...", 1-based line and column) and the
// field involved. A MapReader reads one mapping: each getter consumes a key, and Finish()
// rejects the first key nobody consumed, so a typo such as "scrape_intervall" is an error
// rather than a silently ignored setting.
//
// The helpers throw yaml::ParseError; callers catch it at their boundary and return a
// Status (see ParseConfig in common/config.h). Nothing here is shared between threads.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace andon::yaml {

// The message already carries "file:line:column: ".
class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The file a document came from; turns node positions into message prefixes.
class Source {
 public:
  explicit Source(std::string filename) : filename_(std::move(filename)) {}
  const std::string& filename() const { return filename_; }
  // "file:line:column" (1-based), or just "file" for a node without a position.
  std::string Position(const YAML::Mark& mark) const;
  std::string Position(const YAML::Node& node) const;
  [[noreturn]] void Fail(const YAML::Mark& at, std::string_view message) const;
  [[noreturn]] void Fail(const YAML::Node& at, std::string_view message) const;

 private:
  std::string filename_;
};

// Parses YAML text into its first document (an empty text gives a null node). Syntax
// errors become InvalidArgument "file:line:column: yaml: <problem>".
Result<YAML::Node> LoadYaml(std::string_view text, std::string_view filename);

// "a sequence", "a mapping", "a scalar" or "null": for "expected X, got Y" messages.
std::string_view KindName(const YAML::Node& node);

// Byte sizes as Prometheus writes them: "<integer><unit>" with units B, KB, MB, GB, TB, PB,
// EB (powers of 1024; "KiB" style also accepted), several parts allowed ("1GB512MB"), or
// "0". Errors quote the input.
Result<int64_t> ParseByteSize(std::string_view text);

// Scalar readers. `field` names the key in error messages. The node must not be null.
std::string ReadString(const Source& src, const YAML::Node& node, std::string_view field);
bool ReadBool(const Source& src, const YAML::Node& node, std::string_view field);
uint64_t ReadUint(const Source& src, const YAML::Node& node, std::string_view field);
int64_t ReadDurationMs(const Source& src, const YAML::Node& node, std::string_view field);
int64_t ReadByteSize(const Source& src, const YAML::Node& node, std::string_view field);
// A sequence of scalars; null reads as empty.
std::vector<std::string> ReadStringList(const Source& src, const YAML::Node& node,
                                        std::string_view field);
// A mapping of scalar to scalar; null reads as empty. Duplicate keys are errors.
std::map<std::string, std::string> ReadStringMap(const Source& src, const YAML::Node& node,
                                                 std::string_view field);

// Reads one YAML mapping into a typed struct. `type_name` ("config.ScrapeConfig") appears
// in unknown-key errors. A null node reads as an empty mapping; any other non-mapping node
// is an error. Duplicate keys are errors; merge keys ("<<: *anchor") are expanded, explicit
// keys winning over merged ones.
//
// The getters leave *out untouched when the key is absent or null, so callers initialise
// fields with their defaults first. They return whether a value was read. Call Finish()
// after the last getter.
class MapReader {
 public:
  MapReader(const Source& src, const YAML::Node& node, std::string type_name);
  ~MapReader();
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  // The value node for `key` (marking the key as read), or nullptr when absent or null.
  const YAML::Node* Get(std::string_view key);
  // The position of `key` itself (the node's position when the key is absent).
  YAML::Mark KeyMark(std::string_view key) const;
  bool Has(std::string_view key) const;

  bool String(std::string_view key, std::string* out);
  bool Bool(std::string_view key, bool* out);
  bool Uint(std::string_view key, uint64_t* out);
  bool DurationMs(std::string_view key, int64_t* out);
  bool DurationMs(std::string_view key, std::optional<int64_t>* out);
  bool ByteSize(std::string_view key, int64_t* out);
  bool StringList(std::string_view key, std::vector<std::string>* out);
  bool StringMap(std::string_view key, std::map<std::string, std::string>* out);
  // Calls read(item_node) for each element of the sequence under `key`.
  template <typename F>
  bool Sequence(std::string_view key, F read) {
    const YAML::Node* n = Get(key);
    if (n == nullptr) return false;
    if (!n->IsSequence()) {
      Fail(*n, "field \"" + std::string(key) + "\": expected a sequence, got " +
                   std::string(KindName(*n)));
    }
    for (const YAML::Node& item : *n) read(item);
    return true;
  }

  // Fails when any of `keys` is present: options of the upstream schema Andon does not
  // implement get a message saying so instead of "not found".
  void Unsupported(std::initializer_list<std::string_view> keys);
  // Fails at the first key not consumed by a getter.
  void Finish();

  const Source& source() const { return src_; }
  const YAML::Node& node() const { return node_; }
  const std::string& type_name() const { return type_name_; }
  [[noreturn]] void Fail(const YAML::Node& at, std::string_view message) const {
    src_.Fail(at, message);
  }
  [[noreturn]] void Fail(const YAML::Mark& at, std::string_view message) const {
    src_.Fail(at, message);
  }

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
    bool used = false;
  };
  void Collect(const YAML::Node& map, bool merged);
  Entry* FindEntry(std::string_view key);
  const Entry* FindEntry(std::string_view key) const;

  const Source& src_;
  YAML::Node node_;
  std::string type_name_;
  std::vector<Entry> entries_;
  bool finished_ = false;
};

}  // namespace andon::yaml
