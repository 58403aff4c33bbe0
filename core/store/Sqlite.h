// Thin RAII wrappers over the SQLite C API for the session store: a connection, a prepared
// statement and a write transaction. Every failure becomes a SessionError whose message starts
// with the connection's label (the session file's name). Internal to core/store.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace kevo::store::sqlite {

// One open connection. Move-only; closes on destruction.
class Database {
 public:
  Database() = default;
  // Opens `file` with sqlite3_open_v2 `flags`; `label` starts every error message.
  static Database open(const std::filesystem::path& file, int flags, std::string label);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  void close() noexcept;
  bool isOpen() const { return db_ != nullptr; }
  sqlite3* handle() const { return db_; }
  const std::string& label() const { return label_; }

  // Runs one or more SQL statements that return no rows we need.
  void exec(const std::string& sql, const std::string& what);
  int64_t lastInsertRowId() const;

  // Throws the SessionError for result code `rc`, raised while doing `what`.
  [[noreturn]] void fail(int rc, const std::string& what) const;
  void check(int rc, const std::string& what) const {
    if (rc != SQLITE_OK) fail(rc, what);
  }

 private:
  sqlite3* db_ = nullptr;
  std::string label_;
};

// One prepared statement. Bind indexes are 1-based, column indexes 0-based (as in SQLite).
class Statement {
 public:
  Statement(const Database& db, std::string_view sql, std::string what);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, int64_t value);
  // Advances: true when a row is available, false when done.
  bool step();
  // Steps to the end (for statements that return no rows).
  void run();
  // Makes the statement ready to run again with new bindings.
  void reset();

  bool isNull(int column) const;
  std::string text(int column) const;
  int64_t int64(int column) const;

 private:
  const Database* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string what_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() was called.
class Transaction {
 public:
  Transaction(Database& db, std::string what);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Database& db_;
  std::string what_;
  bool active_ = false;
};

}  // namespace kevo::store::sqlite
