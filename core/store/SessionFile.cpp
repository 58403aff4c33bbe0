#include "store/SessionFile.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "store/SessionError.h"

namespace kevo::store {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kHeaderSize = 100;      // the SQLite database header
constexpr char kMagic[] = "SQLite format 3";  // 16 bytes with its terminating NUL

uint32_t bigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

uintmax_t sizeOrZero(const fs::path& file) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(file, ec);
  return ec ? 0 : size;
}

}  // namespace

fs::path siblingFile(const fs::path& file, const char* suffix) {
  fs::path sibling = file;
  sibling += suffix;
  return sibling;
}

void checkSessionFileHeader(const fs::path& file, const std::string& label) {
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (status.type() == fs::file_type::not_found) throw SessionError(label + ": no such file");
  if (ec) throw SessionError(label + ": cannot read it: " + ec.message());
  if (fs::is_directory(status)) throw SessionError(label + ": is a directory, not a session file");
  if (!fs::is_regular_file(status)) throw SessionError(label + ": not a regular file");

  unsigned char header[kHeaderSize] = {};
  std::FILE* in = std::fopen(file.c_str(), "rb");
  if (in == nullptr) throw SessionError(label + ": cannot read it: " + std::strerror(errno));
  const std::size_t read = std::fread(header, 1, sizeof header, in);
  std::fclose(in);

  const uintmax_t size = sizeOrZero(file);
  // Pages not yet checkpointed live in the -wal file; then the main file may legitimately be
  // shorter than its header says, and SQLite (plus quick_check) is the judge.
  const bool walHasFrames = sizeOrZero(siblingFile(file, "-wal")) > 0;
  if (read == 0 && !walHasFrames) throw SessionError(label + ": not a Kevo session (empty file)");
  if (read < sizeof kMagic || std::memcmp(header, kMagic, sizeof kMagic) != 0) {
    throw SessionError(label +
                       ": not a Kevo session (not an SQLite database: file is truncated or of "
                       "another kind)");
  }
  if (read < kHeaderSize) {
    throw SessionError(label + ": truncated SQLite database (" + std::to_string(read) +
                       " bytes, shorter than its 100-byte header)");
  }
  uint32_t pageSize = (uint32_t{header[16]} << 8) | header[17];
  if (pageSize == 1) pageSize = 65536;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) != 0) {
    throw SessionError(label + ": damaged SQLite database (its header gives a page size of " +
                       std::to_string(pageSize) + ")");
  }
  if (walHasFrames) return;
  if (size < pageSize) {
    throw SessionError(label + ": truncated SQLite database (" + std::to_string(size) +
                       " bytes, less than one of its " + std::to_string(pageSize) + "-byte pages)");
  }
  if (size % pageSize != 0) {
    throw SessionError(label + ": truncated SQLite database (" + std::to_string(size) +
                       " bytes, not a whole number of its " + std::to_string(pageSize) +
                       "-byte pages)");
  }
  // The in-header page count is valid when the change counter equals "version-valid-for".
  const uint32_t pages = bigEndian32(header + 28);
  if (pages != 0 && bigEndian32(header + 24) == bigEndian32(header + 92) &&
      size < uintmax_t{pages} * pageSize) {
    throw SessionError(label + ": truncated SQLite database (" + std::to_string(size) +
                       " bytes; its header says " + std::to_string(pages) + " pages of " +
                       std::to_string(pageSize) + " bytes)");
  }
}

}  // namespace kevo::store
