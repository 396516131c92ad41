#include "web/query_json.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace andon::web {
namespace {

void AppendJsonString(std::string& out, std::string_view s) {
  out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AppendMetric(std::string& out, const Labels& metric) {
  out += '{';
  bool first = true;
  for (const Label& l : metric) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, l.name);
    out += ':';
    AppendJsonString(out, l.value);
  }
  out += '}';
}

void AppendPoint(std::string& out, int64_t t, double v) {
  out += '[';
  AppendTimestamp(out, t);
  out += ",\"";
  AppendSampleValue(out, v);
  out += "\"]";
}

}  // namespace

void AppendSampleValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[400];  // the longest fixed form of a double is ~330 chars
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    out.append(buf, ec == std::errc() ? end : buf);
  }
}

void AppendTimestamp(std::string& out, int64_t ms) {
  if (ms < 0) {
    out += '-';
    // Unsigned arithmetic keeps INT64_MIN well defined.
    uint64_t abs = uint64_t{0} - static_cast<uint64_t>(ms);
    out += std::to_string(abs / 1000);
    ms = -static_cast<int64_t>(abs % 1000);
  } else {
    out += std::to_string(ms / 1000);
  }
  int frac = static_cast<int>(std::llabs(ms % 1000));
  if (frac == 0) return;
  char digits[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                    static_cast<char>('0' + frac % 10), 0};
  int len = 3;
  while (digits[len - 1] == '0') --len;
  out += '.';
  out.append(digits, static_cast<size_t>(len));
}

void AppendQueryData(std::string& out, const query::Value& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, query::Scalar>) {
          out += R"({"resultType":"scalar","result":)";
          AppendPoint(out, v.t, v.v);
        } else if constexpr (std::is_same_v<T, query::String>) {
          out += R"({"resultType":"string","result":[)";
          AppendTimestamp(out, v.t);
          out += ',';
          AppendJsonString(out, v.v);
          out += ']';
        } else if constexpr (std::is_same_v<T, query::Vector>) {
          out += R"({"resultType":"vector","result":[)";
          for (size_t i = 0; i < v.size(); ++i) {
            if (i != 0) out += ',';
            out += R"({"metric":)";
            AppendMetric(out, v[i].metric);
            out += R"(,"value":)";
            AppendPoint(out, v[i].t, v[i].v);
            out += '}';
          }
          out += ']';
        } else {
          out += R"({"resultType":"matrix","result":[)";
          for (size_t i = 0; i < v.size(); ++i) {
            if (i != 0) out += ',';
            out += R"({"metric":)";
            AppendMetric(out, v[i].metric);
            out += R"(,"values":[)";
            for (size_t k = 0; k < v[i].points.size(); ++k) {
              if (k != 0) out += ',';
              AppendPoint(out, v[i].points[k].t, v[i].points[k].v);
            }
            out += "]}";
          }
          out += ']';
        }
      },
      value);
  out += '}';
}

}  // namespace andon::web
