// common/url_escape.h: percent-encoding as Go's net/url does it, for URLs Andon builds
// (scrape URLs, Kubernetes API queries, links back to an expression). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace andon {

// Percent-encodes `s` onto `out`: query=true as url.QueryEscape (space as '+'), else as a
// path (keeps '/' and the other path sub-delimiters).
void AppendUrlEscaped(std::string_view s, bool query, std::string* out);

}  // namespace andon
