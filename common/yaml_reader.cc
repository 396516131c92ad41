#include "common/yaml_reader.h"

#include <array>
#include <cassert>
#include <charconv>
#include <exception>
#include <limits>
#include <utility>

#include "common/duration.h"

namespace andon::yaml {
namespace {

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

[[noreturn]] void FailType(const Source& src, const YAML::Node& node, std::string_view field,
                           std::string_view expected) {
  src.Fail(node, "field " + Quoted(field) + ": expected " + std::string(expected) + ", got " +
                     std::string(KindName(node)));
}

const std::string& Scalar(const Source& src, const YAML::Node& node, std::string_view field,
                          std::string_view expected) {
  if (!node.IsScalar()) FailType(src, node, field, expected);
  return node.Scalar();
}

struct SizeUnit {
  std::string_view name;
  int64_t bytes;
};
constexpr std::array<SizeUnit, 13> kSizeUnits = {{{"EiB", 1LL << 60},
                                                  {"EB", 1LL << 60},
                                                  {"PiB", 1LL << 50},
                                                  {"PB", 1LL << 50},
                                                  {"TiB", 1LL << 40},
                                                  {"TB", 1LL << 40},
                                                  {"GiB", 1LL << 30},
                                                  {"GB", 1LL << 30},
                                                  {"MiB", 1LL << 20},
                                                  {"MB", 1LL << 20},
                                                  {"KiB", 1LL << 10},
                                                  {"KB", 1LL << 10},
                                                  {"B", 1}}};

}  // namespace

std::string Source::Position(const YAML::Mark& mark) const {
  if (mark.is_null()) return filename_;
  return filename_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string Source::Position(const YAML::Node& node) const {
  if (!node.IsDefined()) return filename_;
  return Position(node.Mark());
}

void Source::Fail(const YAML::Mark& at, std::string_view message) const {
  throw ParseError(Position(at) + ": " + std::string(message));
}

void Source::Fail(const YAML::Node& at, std::string_view message) const {
  throw ParseError(Position(at) + ": " + std::string(message));
}

Result<YAML::Node> LoadYaml(std::string_view text, std::string_view filename) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    Source src{std::string(filename)};
    return Status::InvalidArgument(src.Position(e.mark) + ": yaml: " + e.msg);
  }
}

std::string_view KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "null";
  }
}

Result<int64_t> ParseByteSize(std::string_view text) {
  auto invalid = [&] { return Status::InvalidArgument("not a valid byte size: " + Quoted(text)); };
  if (text == "0") return int64_t{0};
  if (text.empty()) return invalid();
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return invalid();
    int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data() + start, text.data() + i, n);
    if (ec != std::errc() || p != text.data() + i) return invalid();
    const SizeUnit* unit = nullptr;
    for (const SizeUnit& u : kSizeUnits) {
      if (text.substr(i, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return invalid();
    i += unit->name.size();
    if (n > (std::numeric_limits<int64_t>::max() - total) / unit->bytes) return invalid();
    total += n * unit->bytes;
  }
  return total;
}

std::string ReadString(const Source& src, const YAML::Node& node, std::string_view field) {
  return Scalar(src, node, field, "a string");
}

bool ReadBool(const Source& src, const YAML::Node& node, std::string_view field) {
  const std::string& s = Scalar(src, node, field, "a boolean");
  bool b = false;
  if (!YAML::convert<bool>::decode(node, b)) {
    src.Fail(node, "field " + Quoted(field) + ": not a boolean: " + Quoted(s));
  }
  return b;
}

uint64_t ReadUint(const Source& src, const YAML::Node& node, std::string_view field) {
  const std::string& s = Scalar(src, node, field, "an unsigned integer");
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    src.Fail(node, "field " + Quoted(field) + ": not an unsigned integer: " + Quoted(s));
  }
  return v;
}

int64_t ReadDurationMs(const Source& src, const YAML::Node& node, std::string_view field) {
  const std::string& s = Scalar(src, node, field, "a duration");
  Result<int64_t> d = ParseDurationMs(s);
  if (!d.ok()) src.Fail(node, "field " + Quoted(field) + ": " + d.status().message());
  return *d;
}

int64_t ReadByteSize(const Source& src, const YAML::Node& node, std::string_view field) {
  const std::string& s = Scalar(src, node, field, "a byte size");
  Result<int64_t> d = ParseByteSize(s);
  if (!d.ok()) src.Fail(node, "field " + Quoted(field) + ": " + d.status().message());
  return *d;
}

std::vector<std::string> ReadStringList(const Source& src, const YAML::Node& node,
                                        std::string_view field) {
  std::vector<std::string> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) FailType(src, node, field, "a sequence of strings");
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) FailType(src, item, field, "a sequence of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

std::map<std::string, std::string> ReadStringMap(const Source& src, const YAML::Node& node,
                                                 std::string_view field) {
  std::map<std::string, std::string> out;
  if (node.IsNull()) return out;
  if (!node.IsMap()) FailType(src, node, field, "a mapping of strings");
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) FailType(src, kv.first, field, "a mapping of strings");
    std::string value;
    if (!kv.second.IsNull()) {
      if (!kv.second.IsScalar()) FailType(src, kv.second, field, "a mapping of strings");
      value = kv.second.Scalar();
    }
    if (!out.emplace(kv.first.Scalar(), std::move(value)).second) {
      src.Fail(kv.first, "field " + Quoted(field) + ": key " + Quoted(kv.first.Scalar()) +
                             " already set in map");
    }
  }
  return out;
}

MapReader::MapReader(const Source& src, const YAML::Node& node, std::string type_name)
    : src_(src), node_(node), type_name_(std::move(type_name)) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    src.Fail(node, "expected a mapping for " + type_name_ + ", got " + std::string(KindName(node)));
  }
  Collect(node, /*merged=*/false);
}

MapReader::~MapReader() {
  // A reader abandoned without Finish() would let unknown keys through silently.
  assert(finished_ || std::uncaught_exceptions() > 0);
}

void MapReader::Collect(const YAML::Node& map, bool merged) {
  std::vector<YAML::Node> merges;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      src_.Fail(kv.first, "expected a string key in " + type_name_ + ", got " +
                              std::string(KindName(kv.first)));
    }
    const std::string& key = kv.first.Scalar();
    if (key == "<<" && kv.first.Tag() != "!") {
      merges.push_back(kv.second);
      continue;
    }
    if (FindEntry(key) != nullptr) {
      if (merged) continue;  // an explicit key overrides a merged one
      src_.Fail(kv.first, "key " + Quoted(key) + " already set in " + type_name_);
    }
    entries_.push_back(Entry{key, kv.first, kv.second});
  }
  for (const YAML::Node& m : merges) {
    if (m.IsMap()) {
      Collect(m, /*merged=*/true);
    } else if (m.IsSequence()) {
      for (const YAML::Node& item : m) {
        if (!item.IsMap()) src_.Fail(item, "merge key \"<<\" expects mappings");
        Collect(item, /*merged=*/true);
      }
    } else {
      src_.Fail(m, "merge key \"<<\" expects a mapping or a sequence of mappings");
    }
  }
}

MapReader::Entry* MapReader::FindEntry(std::string_view key) {
  for (Entry& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

const MapReader::Entry* MapReader::FindEntry(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

const YAML::Node* MapReader::Get(std::string_view key) {
  Entry* e = FindEntry(key);
  if (e == nullptr) return nullptr;
  e->used = true;
  if (e->value.IsNull()) return nullptr;
  return &e->value;
}

YAML::Mark MapReader::KeyMark(std::string_view key) const {
  const Entry* e = FindEntry(key);
  if (e != nullptr) return e->key_node.Mark();
  return node_.IsDefined() ? node_.Mark() : YAML::Mark::null_mark();
}

bool MapReader::Has(std::string_view key) const {
  const Entry* e = FindEntry(key);
  return e != nullptr && !e->value.IsNull();
}

bool MapReader::String(std::string_view key, std::string* out) {
  const YAML::Node* n = Get(key);
  if (n == nullptr) return false;
  *out = ReadString(src_, *n, key);
  return true;
}

bool MapReader::Bool(std::string_view key, bool* out) {
  const YAML::Node* n = Get(key);
  if (n == nullptr) return false;
  *out = ReadBool(src_, *n, key);
  return true;
}

bool MapReader::Uint(std::string_view key, uint64_t* out) {
  const YAML::Node* n = Get(key);
  if (n == nullptr) return false;
  *out = ReadUint(src_, *n, key);
  return true;
}

bool MapReader::DurationMs(std::string_view key, int64_t* out) {
  const YAML::Node* n = Get(key);
  if (n == nullptr) return false;
  *out = ReadDurationMs(src_, *n, key);
  return true;
}

bool MapReader::DurationMs(std::string_view key, std::optional<int64_t>* out) {
  const YAML::Node* n = Get(key);
  if (n == nullptr) return false;
  *out = ReadDurationMs(src_, *n, key);
  return true;
}

bool MapReader::ByteSize(std::string_view key, int64_t* out) {
  const YAML::Node* n = Get(key);
  if (n == nullptr) return false;
  *out = ReadByteSize(src_, *n, key);
  return true;
}

bool MapReader::StringList(std::string_view key, std::vector<std::string>* out) {
  const YAML::Node* n = Get(key);
  if (n == nullptr) return false;
  *out = ReadStringList(src_, *n, key);
  return true;
}

bool MapReader::StringMap(std::string_view key, std::map<std::string, std::string>* out) {
  const YAML::Node* n = Get(key);
  if (n == nullptr) return false;
  *out = ReadStringMap(src_, *n, key);
  return true;
}

void MapReader::Unsupported(std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    const Entry* e = FindEntry(key);
    if (e != nullptr) {
      src_.Fail(e->key_node,
                "field " + Quoted(key) + " in type " + type_name_ + " is not supported by Andon");
    }
  }
}

void MapReader::Finish() {
  finished_ = true;
  for (const Entry& e : entries_) {
    if (!e.used) {
      src_.Fail(e.key_node, "field " + Quoted(e.key) + " not found in type " + type_name_);
    }
  }
}

}  // namespace andon::yaml
