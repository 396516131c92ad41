// remote/write_request_codec.cc: see write_request_codec.h.
#include "remote/write_request_codec.h"

#include <snappy.h>

#include <string>

namespace andon::remote {

Status DecodeWriteRequest(std::string_view body, size_t max_decoded_bytes, std::string& scratch,
                          prompb::WriteRequest& out) {
  out.Clear();
  size_t decoded_size = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &decoded_size)) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  if (decoded_size > max_decoded_bytes) {
    return Status::InvalidArgument("snappy: decoded body of " + std::to_string(decoded_size) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(max_decoded_bytes) + " bytes");
  }
  scratch.resize(decoded_size);
  if (!snappy::RawUncompress(body.data(), body.size(), scratch.data())) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  if (decoded_size > static_cast<size_t>(INT32_MAX) ||
      !out.ParseFromArray(scratch.data(), static_cast<int>(decoded_size))) {
    return Status::InvalidArgument("protobuf: cannot parse WriteRequest from " +
                                   std::to_string(decoded_size) + " decoded bytes");
  }
  return Status::Ok();
}

std::string EncodeWriteRequest(const prompb::WriteRequest& request) {
  std::string raw = request.SerializeAsString();
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

}  // namespace andon::remote
