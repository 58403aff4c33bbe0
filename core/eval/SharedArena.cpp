#include "eval/SharedArena.h"

#include <sys/mman.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace kevo::eval {

SharedArena::SharedArena(int64_t bytes) : size_(bytes) {
  fd_ = memfd_create("kevo-arena", MFD_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
  if (ftruncate(fd_, bytes) != 0) {
    int e = errno;
    close(fd_);
    throw std::runtime_error("cannot size the shared arena to " + std::to_string(bytes >> 20) +
                             " MiB: " + std::strerror(e));
  }
  void* p = mmap(nullptr, size_t(bytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) {
    int e = errno;
    close(fd_);
    throw std::runtime_error(std::string("mmap of the shared arena: ") + std::strerror(e));
  }
  data_ = static_cast<uint8_t*>(p);
}

SharedArena::~SharedArena() {
  if (data_) munmap(data_, size_t(size_));
  if (fd_ >= 0) close(fd_);
}

}  // namespace kevo::eval
