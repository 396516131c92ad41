#include "common/text_exposition_writer.h"

#include <charconv>
#include <cmath>

namespace andon {

void AppendExpositionFloat(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (v == 0) {
    out->append(std::signbit(v) ? "-0" : "0");
    return;
  }
  // Shortest round-trip digits in the form [-]d[.ddd]e(+|-)XX.
  char buf[40];
  char* end = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific).ptr;
  std::string_view sci(buf, end - buf);
  size_t e = sci.find('e');
  int exp = 0;
  for (char c : sci.substr(e + 2)) exp = exp * 10 + (c - '0');
  if (sci[e + 1] == '-') exp = -exp;
  if (exp < -4 || exp >= 6) {
    out->append(sci);
    return;
  }
  std::string_view mantissa = sci.substr(0, e);
  if (mantissa[0] == '-') {
    out->push_back('-');
    mantissa.remove_prefix(1);
  }
  char digits[24];
  size_t nd = 0;
  for (char c : mantissa) {
    if (c != '.') digits[nd++] = c;
  }
  std::string_view d(digits, nd);
  if (exp < 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-exp - 1), '0');
    out->append(d);
    return;
  }
  size_t int_digits = static_cast<size_t>(exp) + 1;
  if (nd <= int_digits) {
    out->append(d);
    out->append(int_digits - nd, '0');
  } else {
    out->append(d.substr(0, int_digits));
    out->push_back('.');
    out->append(d.substr(int_digits));
  }
}

std::string FormatExpositionFloat(double v) {
  std::string out;
  AppendExpositionFloat(v, &out);
  return out;
}

namespace {

void AppendEscaped(std::string_view s, bool escape_quote, std::string* out) {
  for (char c : s) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '"':
        if (escape_quote) {
          out->append("\\\"");
        } else {
          out->push_back(c);
        }
        break;
      default:
        out->push_back(c);
    }
  }
}

}  // namespace

void AppendExpositionLabelValue(std::string_view value, std::string* out) {
  AppendEscaped(value, /*escape_quote=*/true, out);
}

namespace {

// Writes `name{labels[,le="bound"]} value\n`.
void AppendSample(std::string_view name, std::string_view suffix, const FamilySnapshot& family,
                  const MetricSnapshot& metric, const std::string* le, double value,
                  std::string* out) {
  out->append(name);
  out->append(suffix);
  if (!family.label_names.empty() || le != nullptr) {
    out->push_back('{');
    bool first = true;
    for (size_t i = 0; i < family.label_names.size(); ++i) {
      if (!first) out->push_back(',');
      first = false;
      out->append(family.label_names[i]);
      out->append("=\"");
      AppendEscaped(metric.label_values[i], /*escape_quote=*/true, out);
      out->push_back('"');
    }
    if (le != nullptr) {
      if (!first) out->push_back(',');
      out->append("le=\"");
      out->append(*le);
      out->push_back('"');
    }
    out->push_back('}');
  }
  out->push_back(' ');
  AppendExpositionFloat(value, out);
  out->push_back('\n');
}

}  // namespace

void AppendTextExposition(std::span<const FamilySnapshot> families, std::string* out) {
  std::string le;
  for (const FamilySnapshot& family : families) {
    out->append("# HELP ");
    out->append(family.name);
    out->push_back(' ');
    AppendEscaped(family.help, /*escape_quote=*/false, out);
    out->append("\n# TYPE ");
    out->append(family.name);
    out->push_back(' ');
    out->append(MetricTypeName(family.type));
    out->push_back('\n');
    for (const MetricSnapshot& metric : family.metrics) {
      if (family.type != MetricType::kHistogram) {
        AppendSample(family.name, "", family, metric, nullptr, metric.value, out);
        continue;
      }
      for (size_t i = 0; i < metric.cumulative_counts.size(); ++i) {
        le.clear();
        if (i < family.upper_bounds.size()) {
          AppendExpositionFloat(family.upper_bounds[i], &le);
        } else {
          le = "+Inf";
        }
        AppendSample(family.name, "_bucket", family, metric, &le,
                     static_cast<double>(metric.cumulative_counts[i]), out);
      }
      AppendSample(family.name, "_sum", family, metric, nullptr, metric.sum, out);
      uint64_t count = metric.cumulative_counts.empty() ? 0 : metric.cumulative_counts.back();
      AppendSample(family.name, "_count", family, metric, nullptr, static_cast<double>(count), out);
    }
  }
}

std::string TextExposition(std::span<const FamilySnapshot> families) {
  std::string out;
  AppendTextExposition(families, &out);
  return out;
}

}  // namespace andon
