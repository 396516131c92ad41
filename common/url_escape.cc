#include "common/url_escape.h"

namespace andon {

void AppendUrlEscaped(std::string_view s, bool query, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.' || c == '~';
    if (!query && !keep)
      keep = std::string_view("/!$&'()*+,;=:@").find(ch) != std::string_view::npos;
    if (keep) {
      out->push_back(ch);
    } else if (query && c == ' ') {
      out->push_back('+');
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
    }
  }
}

}  // namespace andon
