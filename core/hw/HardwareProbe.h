// HardwareProbe: fills in HardwareInfo for this machine. describeHardware reads static facts
// (fast); probeHardware also measures the ceilings (about a second); loadOrProbeHardware keeps
// the measured result in a per-machine cache file so that the CLI, the GUI and the evaluator
// measure once and then share it. Used by the session setup (roofline, diagnosis, the
// evaluator's physical-floor check) and by `kevo-cli hw`.
#pragma once

#include <filesystem>
#include <string>

#include "hw/HardwareInfo.h"

namespace kevo::hw {

// Static facts only: /proc/cpuinfo, sysfs topology and caches. No measurement; milliseconds.
HardwareInfo describeHardware();

// describeHardware plus the measured ceilings. Takes about 1 s on a 2-core machine. Threads are
// pinned to the CPUs of this process's affinity mask; run it on an otherwise idle machine.
HardwareInfo probeHardware();

// $KEVO_CACHE_DIR if set, else $XDG_CACHE_HOME/kevo, else ~/.cache/kevo.
std::filesystem::path defaultHardwareCacheDir();

// The cache file for a machine key: <cacheDir>/hw-<sanitized machineKey>.json.
std::filesystem::path hardwareCacheFile(const std::filesystem::path& cacheDir,
                                        const std::string& machineKey);

// Returns the cached probe of this machine when the cache file exists, parses, has the current
// format, is for this machine (same machineKey and ISA) and holds positive ceilings. Otherwise
// probes and writes the file atomically (temp file + rename). reprobe=true always probes. A
// corrupt or foreign cache file is replaced; an unwritable cache directory only means the result
// is not kept. Concurrent callers serialize on a lock file, so only one of them measures.
HardwareInfo loadOrProbeHardware(const std::filesystem::path& cacheDir, bool reprobe);

// Now as ISO-8601 UTC ("2025-01-31T12:00:00Z"): when a probe ran.
std::string isoUtcNow();

}  // namespace kevo::hw
