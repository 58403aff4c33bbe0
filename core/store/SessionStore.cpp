#include "store/SessionStore.h"

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "store/Migrations.h"
#include "store/SessionFile.h"
#include "store/Sqlite.h"

namespace kevo::store {

namespace fs = std::filesystem;
using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

static_assert(SessionStore::kSchemaVersion == kLatestMigration,
              "SessionStore::kSchemaVersion must equal the number of steps in kMigrations");

namespace {

constexpr int kBusyTimeoutMs = 10000;
constexpr const char* kApplicationId = "1262835279";  // 0x4B45564F, "KEVO": see `file x.kevo`
constexpr const char* kStoreKeys[] = {"format", "schema_version", "created_at", "kevo_version"};
constexpr const char* kEvaluationColumns =
    "id, created_at, problem_id, backend, role, label, source, flags, source_hash, verdict, "
    "result";

const char* kevoVersion() {
#ifdef KEVO_VERSION
  return KEVO_VERSION;
#else
  return "0.1.0";
#endif
}

// Now as ISO-8601 UTC with milliseconds: 2025-01-31T12:34:56.789Z.
std::string nowUtc() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now - seconds).count();
  const std::time_t time = std::chrono::system_clock::to_time_t(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char buffer[40];
  const std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buffer + n, sizeof buffer - n, ".%03dZ", static_cast<int>(millis));
  return buffer;
}

void removeSessionFiles(const fs::path& file) {
  std::error_code ec;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) fs::remove(siblingFile(file, suffix), ec);
  fs::remove(file, ec);
}

std::optional<std::string> readMeta(const Database& db, const std::string& key) {
  Statement s(db, "SELECT value FROM meta WHERE key = ?1", "reading meta '" + key + "'");
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

int readSchemaVersion(const Database& db) {
  const std::optional<std::string> text = readMeta(db, "schema_version");
  if (!text) {
    throw SessionError(db.label() + ": damaged Kevo session (no schema_version in its meta table)");
  }
  int version = -1;
  const char* end = text->data() + text->size();
  const auto [last, ec] = std::from_chars(text->data(), end, version);
  if (ec != std::errc() || last != end || version < 0) {
    throw SessionError(db.label() + ": damaged Kevo session (schema_version '" + *text +
                       "' is not a version number)");
  }
  return version;
}

// PRAGMA quick_check: structure of every b-tree, cheap enough to run on each open. A file that
// is not a database or is damaged past reading fails here with SQLITE_NOTADB / SQLITE_CORRUPT.
void quickCheck(const Database& db) {
  Statement s(db, "PRAGMA quick_check", "checking the file");
  std::vector<std::string> problems;
  while (s.step()) {
    std::string row = s.text(0);
    if (row == "ok") continue;
    // Rows may start with "*** in database main ***" and hold several lines: one line each.
    const std::string banner = "*** in database main ***\n";
    if (row.starts_with(banner)) row.erase(0, banner.size());
    for (char& c : row) c = c == '\n' ? ';' : c;
    problems.push_back(std::move(row));
  }
  if (!problems.empty()) {
    std::string more;
    if (problems.size() > 1) more = "; and " + std::to_string(problems.size() - 1) + " more";
    throw SessionError(db.label() + ": damaged session file (quick_check: " + problems.front() +
                       more + ")");
  }
}

// Checks that `db` is a Kevo session and returns its schema version.
int checkKevoSession(const Database& db) {
  const std::string foreign = db.label() + ": SQLite database, but not a Kevo session";
  {
    Statement s(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                "listing its tables");
    std::vector<std::string> tables;
    bool hasMeta = false;
    while (s.step()) {
      tables.push_back(s.text(0));
      hasMeta = hasMeta || tables.back() == "meta";
    }
    if (!hasMeta) {
      std::string detail = "no kevo meta table; ";
      if (tables.empty()) detail += "it has no tables";
      for (std::size_t i = 0; i < tables.size() && i < 5; ++i) {
        detail += (i == 0 ? "its tables: " : ", ") + tables[i];
      }
      if (tables.size() > 5) detail += ", ...";
      throw SessionError(foreign + " (" + detail + ")");
    }
  }
  {
    Statement s(db, "SELECT name FROM pragma_table_info('meta')", "reading the meta table");
    bool hasKey = false;
    bool hasValue = false;
    while (s.step()) {
      const std::string column = s.text(0);
      hasKey = hasKey || column == "key";
      hasValue = hasValue || column == "value";
    }
    if (!hasKey || !hasValue) throw SessionError(foreign + " (its meta table is not Kevo's)");
  }
  const std::optional<std::string> format = readMeta(db, "format");
  if (!format) throw SessionError(foreign + " (its meta table has no format row)");
  if (*format != SessionStore::kFormat) {
    throw SessionError(foreign + " (format '" + *format + "', expected '" + SessionStore::kFormat +
                       "')");
  }
  return readSchemaVersion(db);
}

SessionError newerSchemaError(const std::string& label, int version) {
  return SessionError(label + ": written by a newer Kevo (schema " + std::to_string(version) +
                      "; this build reads up to " + std::to_string(SessionStore::kSchemaVersion) +
                      ")");
}

void setBusyTimeout(Database& db) {
  db.check(sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs), "setting the busy timeout");
}

// Settings of a connection that writes: WAL, so readers in other processes never block it and
// never see a half-written transaction; synchronous=FULL, so a commit is on disk when it returns.
void configureWriter(Database& db) {
  std::string mode;
  {
    Statement s(db, "PRAGMA journal_mode = WAL", "switching to WAL journal mode");
    if (s.step()) mode = s.text(0);
    s.run();
  }
  if (mode != "wal") {
    throw SessionError(db.label() + ": cannot use SQLite's WAL journal mode here (it stayed in '" +
                       mode + "' mode); keep session files on a local file system");
  }
  db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", "configuring the connection");
}

// Applies every step of kMigrations above `version`, each in one transaction with the
// schema_version bump. Returns the version reached.
int migrate(Database& db, int version) {
  for (const Migration& step : kMigrations) {
    if (step.version <= version) continue;
    const std::string what = "upgrading the session from schema " +
                             std::to_string(step.version - 1) + " to " +
                             std::to_string(step.version);
    Transaction transaction(db, what);
    // Another process may have migrated since we read the version: read it again under the lock.
    version = readSchemaVersion(db);
    if (version >= step.version) continue;  // the transaction rolls back: nothing was written
    db.exec(step.sql, what);
    Statement(db, "UPDATE meta SET value = ?1 WHERE key = 'schema_version'", what)
        .bind(1, std::to_string(step.version))
        .run();
    transaction.commit();
    version = step.version;
  }
  if (version > SessionStore::kSchemaVersion) throw newerSchemaError(db.label(), version);
  return version;
}

StoredEvaluation readEvaluation(const Statement& s, const std::string& label) {
  StoredEvaluation e;
  e.id = s.int64(0);
  e.createdAt = s.text(1);
  e.problemId = s.text(2);
  e.backend = s.text(3);
  e.role = s.text(4);
  e.label = s.text(5);
  e.source = s.text(6);
  e.flags = s.text(7);
  e.sourceHash = s.text(8);
  e.verdict = s.text(9);
  e.result = nlohmann::json::parse(s.text(10), nullptr, /*allow_exceptions=*/false);
  if (e.result.is_discarded()) {
    throw SessionError(label + ": damaged session file (evaluation " + std::to_string(e.id) +
                       ": its result is not valid JSON)");
  }
  return e;
}

}  // namespace

struct SessionStore::Impl {
  fs::path path;
  Database db;
  OpenMode mode = OpenMode::ReadWrite;
  int schemaVersion = 0;
};

SessionStore::SessionStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SessionStore::SessionStore(SessionStore&&) noexcept = default;
SessionStore& SessionStore::operator=(SessionStore&&) noexcept = default;
SessionStore::~SessionStore() = default;

SessionStore SessionStore::create(const fs::path& file) {
  const std::string label = file.string();
  // A leftover -wal or -journal would be replayed into the new file: refuse rather than guess.
  for (const char* suffix : {"-wal", "-journal"}) {
    std::error_code ec;
    const fs::path leftover = siblingFile(file, suffix);
    if (fs::exists(fs::symlink_status(leftover, ec))) {
      throw SessionError(label + ": cannot create it: " + leftover.filename().string() +
                         " is left over from an earlier file of that name; move or delete it");
    }
  }
  errno = 0;
  std::FILE* created = std::fopen(file.c_str(), "wbx");  // exclusive: fails if the path exists
  if (created == nullptr) {
    if (errno == EEXIST) throw SessionError(label + ": cannot create it: the file already exists");
    throw SessionError(label + ": cannot create it: " + std::strerror(errno));
  }
  std::fclose(created);

  auto impl = std::make_unique<Impl>();
  impl->path = file;
  impl->mode = OpenMode::ReadWrite;
  try {
    impl->db = Database::open(file, SQLITE_OPEN_READWRITE, label);
    Database& db = impl->db;
    setBusyTimeout(db);
    configureWriter(db);
    {
      const std::string what = "creating the session";
      Transaction transaction(db, what);
      db.exec(std::string("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);") +
                  "PRAGMA application_id = " + kApplicationId + ";",
              what);
      Statement insert(db, "INSERT INTO meta (key, value) VALUES (?1, ?2)", what);
      const std::pair<const char*, std::string> rows[] = {{"format", kFormat},
                                                          {"schema_version", "0"},
                                                          {"created_at", nowUtc()},
                                                          {"kevo_version", kevoVersion()}};
      for (const auto& [key, value] : rows) {
        insert.bind(1, key).bind(2, value).run();
        insert.reset();
      }
      transaction.commit();
    }
    impl->schemaVersion = migrate(db, 0);
  } catch (...) {
    impl->db.close();
    removeSessionFiles(file);
    throw;
  }
  return SessionStore(std::move(impl));
}

SessionStore SessionStore::open(const fs::path& file, OpenMode mode) {
  const std::string label = file.string();
  checkSessionFileHeader(file, label);

  auto impl = std::make_unique<Impl>();
  impl->path = file;
  impl->mode = mode;
  const int flags = mode == OpenMode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  impl->db = Database::open(file, flags, label);
  Database& db = impl->db;
  setBusyTimeout(db);
  quickCheck(db);
  int version = checkKevoSession(db);
  if (version > kSchemaVersion) throw newerSchemaError(label, version);
  if (mode == OpenMode::ReadOnly) {
    if (version < oldestReadableSchema()) {
      throw SessionError(
          label + ": written by an older Kevo (schema " + std::to_string(version) +
          "); this build reads it read-only from schema " + std::to_string(oldestReadableSchema()) +
          ": open it read-write once to upgrade it to schema " + std::to_string(kSchemaVersion));
    }
  } else {
    configureWriter(db);
    version = migrate(db, version);
  }
  impl->schemaVersion = version;
  return SessionStore(std::move(impl));
}

SessionStore SessionStore::openOrCreate(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) {
    try {
      return create(file);
    } catch (const SessionError&) {
      // Another process may have created it meanwhile: then open theirs; else the error stands.
      if (!fs::exists(fs::symlink_status(file, ec))) throw;
    }
  }
  return open(file);
}

SessionStore::Impl& SessionStore::impl() const {
  if (!impl_) throw std::logic_error("kevo::store::SessionStore used after it was moved from");
  return *impl_;
}

void SessionStore::requireWritable(const char* action) const {
  if (impl().mode == OpenMode::ReadOnly) {
    throw SessionError(impl().db.label() + ": opened read-only; cannot " + action);
  }
}

int SessionStore::schemaVersion() const {
  return impl().schemaVersion;
}
const fs::path& SessionStore::path() const {
  return impl().path;
}
OpenMode SessionStore::mode() const {
  return impl().mode;
}

void SessionStore::setMeta(const std::string& key, const std::string& value) {
  for (const char* reserved : kStoreKeys) {
    if (key == reserved) {
      throw std::invalid_argument("SessionStore::setMeta: the meta key '" + key +
                                  "' belongs to the store");
    }
  }
  requireWritable("set meta values");
  Database& db = impl().db;
  const std::string what = "setting meta '" + key + "'";
  Statement(db,
            "INSERT INTO meta (key, value) VALUES (?1, ?2) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            what)
      .bind(1, key)
      .bind(2, value)
      .run();
}

std::optional<std::string> SessionStore::meta(const std::string& key) const {
  return readMeta(impl().db, key);
}

int64_t SessionStore::addEvaluation(StoredEvaluation e) {
  requireWritable("add evaluations");
  Database& db = impl().db;
  if (e.createdAt.empty()) e.createdAt = nowUtc();
  // Compiler output may hold bytes that are not UTF-8: replace them rather than fail to store.
  const std::string result =
      e.result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string what = "adding an evaluation";
  Transaction transaction(db, what);
  Statement(db,
            "INSERT INTO evaluations (created_at, problem_id, backend, role, label, source, "
            "flags, source_hash, verdict, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            what)
      .bind(1, e.createdAt)
      .bind(2, e.problemId)
      .bind(3, e.backend)
      .bind(4, e.role)
      .bind(5, e.label)
      .bind(6, e.source)
      .bind(7, e.flags)
      .bind(8, e.sourceHash)
      .bind(9, e.verdict)
      .bind(10, result)
      .run();
  const int64_t id = db.lastInsertRowId();
  transaction.commit();
  return id;
}

std::vector<StoredEvaluation> SessionStore::evaluations() const {
  const Database& db = impl().db;
  Statement s(db, std::string("SELECT ") + kEvaluationColumns + " FROM evaluations ORDER BY id",
              "reading evaluations");
  std::vector<StoredEvaluation> all;
  while (s.step()) all.push_back(readEvaluation(s, db.label()));
  return all;
}

std::vector<StoredEvaluation> SessionStore::evaluationsWithRole(const std::string& role) const {
  const Database& db = impl().db;
  Statement s(
      db,
      std::string("SELECT ") + kEvaluationColumns + " FROM evaluations WHERE role = ?1 ORDER BY id",
      "reading " + role + " evaluations");
  s.bind(1, std::string_view(role));
  std::vector<StoredEvaluation> out;
  while (s.step()) out.push_back(readEvaluation(s, db.label()));
  return out;
}

std::optional<StoredEvaluation> SessionStore::evaluation(int64_t id) const {
  const Database& db = impl().db;
  Statement s(db, std::string("SELECT ") + kEvaluationColumns + " FROM evaluations WHERE id = ?1",
              "reading evaluation " + std::to_string(id));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return readEvaluation(s, db.label());
}

namespace {

bool hasTable(const Database& db, const char* name) {
  Statement s(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
              "checking tables");
  s.bind(1, std::string_view(name));
  return s.step();
}

}  // namespace

void SessionStore::saveNode(int64_t id, int64_t parentId, const std::string& status,
                            const std::string& verdict, const nlohmann::json& data) {
  requireWritable("save search nodes");
  Database& db = impl().db;
  const std::string what = "saving node " + std::to_string(id);
  Transaction transaction(db, what);
  Statement(db,
            "INSERT INTO nodes (id, parent_id, status, verdict, data) VALUES (?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, status = "
            "excluded.status, verdict = excluded.verdict, data = excluded.data",
            what)
      .bind(1, id)
      .bind(2, parentId)
      .bind(3, status)
      .bind(4, verdict)
      .bind(5, data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .run();
  transaction.commit();
}

std::vector<nlohmann::json> SessionStore::nodes() const {
  const Database& db = impl().db;
  std::vector<nlohmann::json> out;
  if (!hasTable(db, "nodes")) return out;
  Statement s(db, "SELECT data FROM nodes ORDER BY id", "reading nodes");
  while (s.step()) {
    try {
      out.push_back(nlohmann::json::parse(s.text(0)));
    } catch (const nlohmann::json::exception& e) {
      throw SessionError(db.label() + ": a search node is damaged: " + e.what());
    }
  }
  return out;
}

int64_t SessionStore::addSteering(const nlohmann::json& command, const std::string& who) {
  requireWritable("queue steering commands");
  Database& db = impl().db;
  const std::string what = "queueing a steering command";
  Transaction transaction(db, what);
  Statement(db, "INSERT INTO steering (created_at, who, command) VALUES (?1, ?2, ?3)", what)
      .bind(1, nowUtc())
      .bind(2, who)
      .bind(3, command.dump())
      .run();
  const int64_t id = db.lastInsertRowId();
  transaction.commit();
  return id;
}

std::vector<SessionStore::SteeringRow> SessionStore::steering(bool pendingOnly) const {
  const Database& db = impl().db;
  std::vector<SteeringRow> out;
  if (!hasTable(db, "steering")) return out;
  Statement s(
      db,
      std::string("SELECT id, created_at, who, command, applied_at, outcome FROM steering") +
          (pendingOnly ? " WHERE applied_at IS NULL" : "") + " ORDER BY id",
      "reading steering commands");
  while (s.step()) {
    SteeringRow r;
    r.id = s.int64(0);
    r.createdAt = s.text(1);
    r.who = s.text(2);
    try {
      r.command = nlohmann::json::parse(s.text(3));
    } catch (const nlohmann::json::exception&) {
      r.command = {{"kind", "invalid"}, {"text", s.text(3)}};
    }
    r.appliedAt = s.isNull(4) ? "" : s.text(4);
    r.outcome = s.isNull(5) ? "" : s.text(5);
    out.push_back(std::move(r));
  }
  return out;
}

void SessionStore::markSteeringApplied(int64_t id, const std::string& outcome) {
  requireWritable("mark steering commands applied");
  Database& db = impl().db;
  Statement(db, "UPDATE steering SET applied_at = ?1, outcome = ?2 WHERE id = ?3",
            "marking steering command " + std::to_string(id))
      .bind(1, nowUtc())
      .bind(2, outcome)
      .bind(3, id)
      .run();
}

}  // namespace kevo::store
