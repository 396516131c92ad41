// libFuzzer target for the remote-write request decoder (remote/write_request_codec.h).
// Build and run: fuzz/run.sh.
// An input whose first byte is even is a request body as sent (snappy block format); an odd
// first byte means the rest is a serialized WriteRequest, compressed here, so that most
// inputs reach the protobuf parser instead of stopping at snappy's checks.
// Properties: decoding never crashes or allocates beyond the cap; a decoded request
// re-encodes to a body that decodes to the same request; its series build label sets as
// the receiver builds them (web/remote_write_api.cc) without crashing.
#include <snappy.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/labels.h"
#include "remote/write_request_codec.h"

namespace {

constexpr size_t kMaxDecodedBytes = 1 << 20;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string body;
  if (data[0] % 2 == 0) {
    body.assign(rest);  // an exact copy, so ASan catches any read past the end
  } else {
    snappy::Compress(rest.data(), rest.size(), &body);
  }
  std::string scratch;
  andon::remote::prompb::WriteRequest request;
  if (!andon::remote::DecodeWriteRequest(body, kMaxDecodedBytes, scratch, request).ok()) return 0;
  Check(scratch.size() <= kMaxDecodedBytes);

  std::string again = andon::remote::EncodeWriteRequest(request);
  andon::remote::prompb::WriteRequest decoded;
  Check(andon::remote::DecodeWriteRequest(again, kMaxDecodedBytes * 2, scratch, decoded).ok());
  Check(decoded.SerializeAsString() == request.SerializeAsString());

  andon::LabelsBuilder builder;
  for (const auto& ts : request.timeseries()) {
    builder.Clear();
    for (const auto& l : ts.labels()) builder.Set(l.name(), l.value());
    andon::Labels labels = builder.Build();
    (void)labels.Validate();
    (void)labels.ToString();
  }
  return 0;
}
