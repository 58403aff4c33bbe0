#include "store/Sqlite.h"

#include <utility>

#include "store/SessionError.h"

namespace kevo::store::sqlite {

namespace {

// The message SQLite gives for `rc`: the connection's own text when it is about this error.
std::string messageFor(sqlite3* db, int rc) {
  if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff)) {
    return sqlite3_errmsg(db);
  }
  return sqlite3_errstr(rc);
}

}  // namespace

Database Database::open(const std::filesystem::path& file, int flags, std::string label) {
  Database result;
  result.label_ = std::move(label);
  const int rc = sqlite3_open_v2(file.c_str(), &result.db_, flags, nullptr);
  if (result.db_ != nullptr) sqlite3_extended_result_codes(result.db_, 1);
  if (rc != SQLITE_OK) result.fail(rc, "opening the file");  // ~Database closes the handle
  return result;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), label_(std::move(other.label_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    label_ = std::move(other.label_);
  }
  return *this;
}

Database::~Database() {
  close();
}

void Database::close() noexcept {
  if (db_ != nullptr) {
    // Statements are scoped to the calls that use them, so none is left to finalize here.
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

void Database::exec(const std::string& sql, const std::string& what) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    const std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) fail(rc, what);
    throw SessionError(label_ + ": SQLite error while " + what + ": " + message);
  }
}

int64_t Database::lastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_);
}

void Database::fail(int rc, const std::string& what) const {
  const std::string message = messageFor(db_, rc);
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      throw SessionError(label_ + ": not a Kevo session (not an SQLite database: " + message + ")");
    case SQLITE_CORRUPT:
      throw SessionError(label_ + ": damaged session file (" + message + ", while " + what + ")");
    default:
      throw SessionError(label_ + ": SQLite error while " + what + ": " + message);
  }
}

Statement::Statement(const Database& db, std::string_view sql, std::string what)
    : db_(&db), what_(std::move(what)) {
  const int rc =
      sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    db.fail(rc, what_);
  }
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::string_view text) {
  // An empty view may have a null data(), which SQLite would bind as NULL, not ''.
  const char* data = text.empty() ? "" : text.data();
  db_->check(sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
             what_);
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  db_->check(sqlite3_bind_int64(stmt_, index, value), what_);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, what_);
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);  // returns the last step's error, which step() already reported
  sqlite3_clear_bindings(stmt_);
}

bool Statement::isNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  return data != nullptr ? std::string(data, static_cast<size_t>(size)) : std::string();
}

int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

Transaction::Transaction(Database& db, std::string what) : db_(db), what_(std::move(what)) {
  db_.exec("BEGIN IMMEDIATE", what_);
  active_ = true;
}

Transaction::~Transaction() {
  if (active_ && sqlite3_get_autocommit(db_.handle()) == 0) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  db_.exec("COMMIT", what_);
  active_ = false;
}

}  // namespace kevo::store::sqlite
