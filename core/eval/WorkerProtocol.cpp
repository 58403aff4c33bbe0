#include "eval/WorkerProtocol.h"

#include <unistd.h>
#include <cerrno>

namespace kevo::eval {

bool LineReader::hasBufferedLine() const {
  return buffer_.find('\n') != std::string::npos;
}

bool LineReader::fill() {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_.append(buf, size_t(n));
    return true;
  }
}

std::optional<std::string> LineReader::readLine() {
  while (!hasBufferedLine()) {
    if (buffer_.size() > (16u << 20)) return std::nullopt;  // not a protocol line
    if (!fill()) return std::nullopt;
  }
  size_t nl = buffer_.find('\n');
  std::string line = buffer_.substr(0, nl);
  buffer_.erase(0, nl + 1);
  return line;
}

bool writeLine(int fd, const std::string& line) {
  std::string data = line + "\n";
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

}  // namespace kevo::eval
