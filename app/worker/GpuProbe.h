// kevo-worker --gpu-probe CUBIN BLOCKS: measures the GPU ceilings (trusted code only: Kevo's own
// FMA kernel and cuBLAS) and prints one JSON line. See hw/GpuHardware.h.
#pragma once

namespace kevo::worker {

int runGpuProbe(const char* cubinPath, int blocks);

}  // namespace kevo::worker
