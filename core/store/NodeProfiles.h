// The Nsight Compute profiles a session holds: `kevo-cli profile FILE --node N` (or the one a
// CUDA search runs on its best node) appends an evaluation with role "profile" and label
// "node N" whose result holds the parsed kernels (profile/NcuReport.h). Append-only, so a
// search still writing the session cannot lose one.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>

#include "store/SessionStore.h"

namespace kevo::store {

inline constexpr const char* kProfileRole = "profile";

// The "node N" label a node's profile is stored under.
std::string profileLabel(int64_t nodeId);

// Node id -> the latest profile's result (with "created_at" added).
using NodeProfiles = std::map<int64_t, nlohmann::json>;
NodeProfiles latestNodeProfiles(const SessionStore& store);

}  // namespace kevo::store
