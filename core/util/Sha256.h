// SHA-256 of a byte string, as lower-case hex. The build cache keys candidate libraries by it:
// a collision would run one candidate's library for another's source, so a weak hash won't do.
#pragma once

#include <string>
#include <string_view>

namespace kevo::util {

std::string sha256Hex(std::string_view data);

}  // namespace kevo::util
