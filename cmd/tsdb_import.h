// cmd/tsdb_import.h
//
// `andon tsdb import openmetrics FILE [DATA_DIR]`: loads an OpenMetrics text file with
// timestamped samples (the input `promtool tsdb create-blocks-from openmetrics` takes) into
// a data dir, then persists and compacts it. Samples must be in time order per series: an
// out-of-order or duplicate sample stops the import with an error naming the series and
// timestamp (what was committed before stays). The data dir is locked like a running
// server's, so importing into a directory a server is using is refused.
#pragma once

#include <string>

namespace andon {

// Exit status: 0 imported, 1 bad input or storage error (printed to stderr), 2 the file
// cannot be read.
int ImportOpenMetrics(const std::string& file, const std::string& data_dir);

}  // namespace andon
