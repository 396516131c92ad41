// bench/openmetrics_series.h
//
// Reads the OpenMetrics file written by `shared/bench/targets.py backfill` into per-series
// sample vectors, for the chunk benchmark and the chunk tests. The file is series-major
// (every sample of one series, in time order, before the next series), each line
// `<name>{<labels>} <value> <unix seconds with 3 decimals>`; comment lines are skipped.
// Values are parsed with std::from_chars, i.e. to the double nearest to the decimal text,
// which is what a scrape parser stores.
#pragma once

#include <charconv>
#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace andon::bench {

struct SeriesSamples {
  std::string name;  // metric name and labels, as in the file
  std::vector<int64_t> t_ms;
  std::vector<double> v;
};

inline Result<std::vector<SeriesSamples>> ReadOpenMetricsSeries(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("read " + path + ": cannot open");
  std::vector<SeriesSamples> out;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::string_view l(line);
    size_t ts_sp = l.rfind(' ');
    size_t v_sp = ts_sp == std::string_view::npos ? ts_sp : l.rfind(' ', ts_sp - 1);
    if (v_sp == std::string_view::npos) {
      return Status::Corruption(path + ":" + std::to_string(line_no) + ": expected 3 fields");
    }
    std::string_view name = l.substr(0, v_sp);
    std::string_view val = l.substr(v_sp + 1, ts_sp - v_sp - 1);
    std::string_view ts = l.substr(ts_sp + 1);
    double v = 0;
    std::errc vec = std::errc();
    if (val == "+Inf" || val == "Inf") {
      v = std::numeric_limits<double>::infinity();
    } else if (val == "-Inf") {
      v = -std::numeric_limits<double>::infinity();
    } else if (val == "NaN") {
      v = std::numeric_limits<double>::quiet_NaN();
    } else {
      auto res = std::from_chars(val.data(), val.data() + val.size(), v);
      if (res.ec == std::errc() && res.ptr != val.data() + val.size())
        vec = std::errc::invalid_argument;
      else
        vec = res.ec;
    }
    size_t dot = ts.find('.');
    int64_t sec = 0, frac = 0;
    auto [sp, sec_ec] =
        std::from_chars(ts.data(), ts.data() + (dot == ts.npos ? ts.size() : dot), sec);
    if (dot != ts.npos) {
      std::string_view f = ts.substr(dot + 1);
      std::string ms(f.substr(0, 3));
      ms.resize(3, '0');
      std::from_chars(ms.data(), ms.data() + 3, frac);
    }
    if (vec != std::errc() || sec_ec != std::errc()) {
      return Status::Corruption(path + ":" + std::to_string(line_no) + ": bad number");
    }
    if (out.empty() || out.back().name != name) out.push_back({std::string(name), {}, {}});
    out.back().t_ms.push_back(sec * 1000 + frac);
    out.back().v.push_back(v);
  }
  return out;
}

}  // namespace andon::bench
