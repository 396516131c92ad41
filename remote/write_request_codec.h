// remote/write_request_codec.h
//
// The body of a Prometheus remote-write 1.0 request: a prompb::WriteRequest serialized as
// protobuf and compressed with snappy's block format (not the framed stream format), sent
// with Content-Encoding: snappy and X-Prometheus-Remote-Write-Version: 0.1.0.
//
// DecodeWriteRequest checks the uncompressed length that snappy's header announces against
// a cap before allocating, so a small body cannot make the receiver allocate gigabytes.
// Errors name the step that failed ("snappy: corrupt input", "protobuf: ...") and are
// meant for a 400 answer. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"
#include "remote/prompb/remote.pb.h"

namespace andon::remote {

inline constexpr std::string_view kRemoteWriteVersion = "0.1.0";
// Prometheus's default max_samples_per_send (500) needs well under 1 MiB; 32 MiB leaves
// room for large batches from other senders.
inline constexpr size_t kDefaultMaxDecodedBytes = 32u << 20;

// Uncompresses `body` into `scratch` (reused between calls) and parses it into `out`
// (typically allocated on a google::protobuf::Arena). `out` is cleared first.
Status DecodeWriteRequest(std::string_view body, size_t max_decoded_bytes, std::string& scratch,
                          prompb::WriteRequest& out);

// Serializes and snappy-compresses a request (the sender's side; used by tests and benches).
std::string EncodeWriteRequest(const prompb::WriteRequest& request);

}  // namespace andon::remote
