// The memory the parent shares with a worker (memfd): inputs go in, outputs come back, and the
// parent checks them in place. The expected outputs never enter it.
#pragma once

#include <cstdint>

namespace kevo::eval {

class SharedArena {
 public:
  explicit SharedArena(int64_t bytes);  // throws std::runtime_error
  ~SharedArena();
  SharedArena(const SharedArena&) = delete;
  SharedArena& operator=(const SharedArena&) = delete;

  int fd() const { return fd_; }
  uint8_t* data() const { return data_; }
  int64_t size() const { return size_; }

 private:
  int fd_ = -1;
  uint8_t* data_ = nullptr;
  int64_t size_ = 0;
};

}  // namespace kevo::eval
