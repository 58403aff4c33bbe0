// Unit tests of kevo::store::SessionStore: round trips, WAL and concurrent readers, and every
// kind of bad file (missing, empty, truncated, not SQLite, foreign, newer, damaged, older).
#include <sqlite3.h>

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "store/SessionStore.h"

using kevo::store::OpenMode;
using kevo::store::SessionError;
using kevo::store::SessionStore;
using kevo::store::StoredEvaluation;
namespace fs = std::filesystem;

namespace {

// The message of the SessionError that `f` throws, or an empty string when it throws none.
QString sessionErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const SessionError& e) {
    const QString message = QString::fromUtf8(e.what());
    return message.isEmpty() ? QStringLiteral("(empty message)") : message;
  }
  return {};
}

std::string readFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Runs SQL on `file` with a plain SQLite connection; returns the first column of the last row.
std::string rawSql(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string last;
  if (sqlite3_open(file.c_str(), &db) == SQLITE_OK) {
    sqlite3_exec(
        db, sql.c_str(),
        [](void* out, int columns, char** values, char**) {
          if (columns > 0 && values[0] != nullptr) *static_cast<std::string*>(out) = values[0];
          return 0;
        },
        &last, nullptr);
  }
  sqlite3_close(db);
  return last;
}

StoredEvaluation sampleEvaluation(int n) {
  StoredEvaluation e;
  e.problemId = n % 2 == 0 ? "softmax" : "vector_add";
  e.backend = "cpu";
  e.role = "candidate";
  e.label = "node-" + std::to_string(n) + " “ünïcode”";
  e.source = "#include \"kevo_abi.h\"\n// candidate " + std::to_string(n) + "\n" +
             std::string(3000, 'x') + "\n";
  e.flags = "-O3 -march=native";
  e.sourceHash = "deadbeef" + std::to_string(n);
  e.verdict = n % 3 == 0 ? "wrong_answer" : "ok";
  e.result = {{"verdict", e.verdict},
              {"seeds", {1, 2, 3}},
              {"shape_sets", {{"inference", {{"median_ns", 1234.5 + n}, {"speedup", 1.5}}}}}};
  return e;
}

// A closed session holding `count` evaluations.
void makeSession(const fs::path& file, int count) {
  SessionStore store = SessionStore::create(file);
  for (int i = 0; i < count; ++i) store.addEvaluation(sampleEvaluation(i));
}

void compareEvaluations(const StoredEvaluation& got, const StoredEvaluation& want) {
  QCOMPARE(got.id, want.id);
  QCOMPARE(got.createdAt, want.createdAt);
  QCOMPARE(got.problemId, want.problemId);
  QCOMPARE(got.backend, want.backend);
  QCOMPARE(got.role, want.role);
  QCOMPARE(got.label, want.label);
  QCOMPARE(got.source, want.source);
  QCOMPARE(got.flags, want.flags);
  QCOMPARE(got.sourceHash, want.sourceHash);
  QCOMPARE(got.verdict, want.verdict);
  QCOMPARE(got.result.dump(), want.result.dump());
}

}  // namespace

class TestSessionStore : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  int counter_ = 0;
  // A fresh path in the temporary folder.
  fs::path newPath(const char* name = "s.kevo") {
    return fs::path(dir_.path().toStdString()) / (std::to_string(++counter_) + "-" + name);
  }

 private slots:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void roundTripOfEveryField() {
    const fs::path file = newPath();
    StoredEvaluation first = sampleEvaluation(1);
    first.createdAt = "2025-01-31T12:34:56.789Z";
    first.source += std::string("embedded\0nul", 12);
    StoredEvaluation second = sampleEvaluation(2);
    second.label.clear();  // an empty string stays empty, not NULL
    second.result = nullptr;
    {
      SessionStore store = SessionStore::create(file);
      QCOMPARE(store.schemaVersion(), SessionStore::kSchemaVersion);
      QCOMPARE(store.path(), file);
      store.setMeta("problem", "softmax");
      store.setMeta("problem", "vector_add");  // overwrites
      first.id = store.addEvaluation(first);
      second.id = store.addEvaluation(second);
      QCOMPARE(first.id, int64_t{1});
      QCOMPARE(second.id, int64_t{2});
    }
    for (OpenMode mode : {OpenMode::ReadWrite, OpenMode::ReadOnly}) {
      SessionStore store = SessionStore::open(file, mode);
      QCOMPARE(store.schemaVersion(), SessionStore::kSchemaVersion);
      QCOMPARE(store.meta("format"), std::optional<std::string>("kevo-session"));
      QCOMPARE(store.meta("schema_version"),
               std::optional<std::string>(std::to_string(SessionStore::kSchemaVersion)));
      QVERIFY(store.meta("kevo_version").has_value());
      const QString createdAt = QString::fromStdString(store.meta("created_at").value_or(""));
      const QRegularExpression iso(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");
      QVERIFY2(iso.match(createdAt).hasMatch(), qPrintable(createdAt));
      QCOMPARE(store.meta("problem"), std::optional<std::string>("vector_add"));
      QCOMPARE(store.meta("nothing"), std::optional<std::string>());

      const std::vector<StoredEvaluation> all = store.evaluations();
      QCOMPARE(all.size(), std::size_t{2});
      compareEvaluations(all[0], first);
      QVERIFY2(iso.match(QString::fromStdString(all[1].createdAt)).hasMatch(),
               all[1].createdAt.c_str());
      second.createdAt = all[1].createdAt;
      compareEvaluations(all[1], second);
      QVERIFY(all[1].result.is_null());
      compareEvaluations(store.evaluation(1).value(), first);
      QVERIFY(!store.evaluation(99).has_value());
    }
  }

  void walModeIsOn() {
    const fs::path file = newPath();
    {
      SessionStore store = SessionStore::create(file);
      store.addEvaluation(sampleEvaluation(1));
      QVERIFY(fs::exists(file.string() + "-wal"));
      QCOMPARE(rawSql(file, "PRAGMA journal_mode"), std::string("wal"));
    }
    QCOMPARE(rawSql(file, "PRAGMA journal_mode"), std::string("wal"));  // persists in the file
    QCOMPARE(rawSql(file, "PRAGMA application_id"), std::string("1262835279"));
    QCOMPARE(rawSql(file, "SELECT count(*) FROM evaluations WHERE verdict = 'ok'"),
             std::string("1"));
  }

  void readerSeesCommittedRowsWhileWriterHoldsTheFile() {
    const fs::path file = newPath();
    SessionStore writer = SessionStore::create(file);
    writer.addEvaluation(sampleEvaluation(1));

    SessionStore reader = SessionStore::open(file, OpenMode::ReadOnly);
    QCOMPARE(reader.mode(), OpenMode::ReadOnly);
    QCOMPARE(reader.evaluations().size(), std::size_t{1});
    writer.addEvaluation(sampleEvaluation(2));
    writer.setMeta("status", "running");
    QCOMPARE(reader.evaluations().size(), std::size_t{2});
    QCOMPARE(reader.meta("status"), std::optional<std::string>("running"));

    QVERIFY(
        sessionErrorOf([&] { reader.addEvaluation(sampleEvaluation(3)); }).contains("read-only"));
    QVERIFY(sessionErrorOf([&] { reader.setMeta("a", "b"); }).contains("read-only"));

    // A second writer can open it too, and both see each other's rows.
    SessionStore second = SessionStore::open(file);
    second.addEvaluation(sampleEvaluation(3));
    QCOMPARE(writer.evaluations().size(), std::size_t{3});
    QCOMPARE(reader.evaluations().back().id, int64_t{3});
  }

  void truncatedFilesAreRefused() {
    const fs::path original = newPath();
    makeSession(original, 20);
    const std::string bytes = readFile(original);
    QVERIFY(bytes.size() > 16384);
    for (std::size_t size : {std::size_t{100}, bytes.size() / 2, std::size_t{10}}) {
      const fs::path file = newPath("truncated.kevo");
      writeFile(file, bytes.substr(0, size));
      for (OpenMode mode : {OpenMode::ReadWrite, OpenMode::ReadOnly}) {
        const QString message = sessionErrorOf([&] { SessionStore::open(file, mode); });
        QVERIFY2(message.startsWith(QString::fromStdString(file.string()) + ": "),
                 qPrintable(message));
        QVERIFY2(message.contains("truncated"), qPrintable(message));
      }
      QCOMPARE(fs::file_size(file), size);  // a refused file is left as it was
    }
  }

  void nonSqliteFilesAreNotSessions() {
    const fs::path text = newPath("notes.kevo");
    writeFile(text, "just some notes, clearly longer than sixteen bytes\n");
    const fs::path png = newPath("image.kevo");
    writeFile(png, std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(200, '\0'));
    const fs::path tiny = newPath("tiny.kevo");
    writeFile(tiny, "SQL");
    for (const fs::path& file : {text, png, tiny}) {
      const QString message = sessionErrorOf([&] { SessionStore::open(file); });
      QCOMPARE(message, QString::fromStdString(file.string()) +
                            ": not a Kevo session (not an SQLite database: file is truncated or "
                            "of another kind)");
      QCOMPARE(sessionErrorOf([&] { SessionStore::openOrCreate(file); }), message);
    }
    const fs::path empty = newPath("empty.kevo");
    writeFile(empty, "");
    QVERIFY(sessionErrorOf([&] { SessionStore::open(empty); }).contains("not a Kevo session"));

    const fs::path missing = newPath("missing.kevo");
    QCOMPARE(sessionErrorOf([&] { SessionStore::open(missing, OpenMode::ReadOnly); }),
             QString::fromStdString(missing.string()) + ": no such file");
    QVERIFY(!fs::exists(missing));
    QVERIFY(sessionErrorOf([&] {
              SessionStore::open(dir_.path().toStdString());
            }).contains("directory"));
  }

  void foreignSqliteDatabaseIsRefused() {
    const fs::path file = newPath("other.db");
    rawSql(file, "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('ada')");
    const QString message = sessionErrorOf([&] { SessionStore::open(file); });
    QVERIFY2(message.contains("SQLite database, but not a Kevo session (no kevo meta table"),
             qPrintable(message));
    QVERIFY2(message.contains("people"), qPrintable(message));
    QCOMPARE(rawSql(file, "PRAGMA journal_mode"), std::string("delete"));  // untouched

    const fs::path otherMeta = newPath("other-meta.db");
    rawSql(otherMeta,
           "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
           "INSERT INTO meta VALUES ('format', 'something-else')");
    QVERIFY(sessionErrorOf([&] {
              SessionStore::open(otherMeta, OpenMode::ReadOnly);
            }).contains("not a Kevo session (format 'something-else'"));

    const fs::path oddMeta = newPath("odd-meta.db");
    rawSql(oddMeta, "CREATE TABLE meta (a, b)");
    QVERIFY(sessionErrorOf([&] {
              SessionStore::open(oddMeta);
            }).contains("not a Kevo session (its meta table is not Kevo's)"));
  }

  void newerSchemaIsRefused() {
    const fs::path file = newPath();
    makeSession(file, 2);
    rawSql(file, "UPDATE meta SET value = '7' WHERE key = 'schema_version'");
    for (OpenMode mode : {OpenMode::ReadWrite, OpenMode::ReadOnly}) {
      QCOMPARE(sessionErrorOf([&] { SessionStore::open(file, mode); }),
               QString::fromStdString(file.string()) +
                   ": written by a newer Kevo (schema 7; this build reads up to " +
                   QString::number(SessionStore::kSchemaVersion) + ")");
    }
    QCOMPARE(rawSql(file, "SELECT value FROM meta WHERE key = 'schema_version'"), std::string("7"));

    rawSql(file, "UPDATE meta SET value = 'x1' WHERE key = 'schema_version'");
    QVERIFY(sessionErrorOf([&] { SessionStore::open(file); }).contains("schema_version 'x1'"));
  }

  void createRefusesAnExistingPath() {
    const fs::path file = newPath("precious.kevo");
    writeFile(file, "precious data");
    QVERIFY(sessionErrorOf([&] { SessionStore::create(file); }).contains("already exists"));
    QCOMPARE(readFile(file), std::string("precious data"));

    const fs::path session = newPath();
    makeSession(session, 3);
    const std::string before = readFile(session);
    QVERIFY(sessionErrorOf([&] { SessionStore::create(session); }).contains("already exists"));
    QCOMPARE(readFile(session), before);
    QCOMPARE(SessionStore::open(session).evaluations().size(), std::size_t{3});
  }

  void failedCreateLeavesNothing() {
    const fs::path inMissingDir = newPath("no-such-dir") / "s.kevo";
    QVERIFY(sessionErrorOf([&] { SessionStore::create(inMissingDir); }).contains("cannot create"));
    QVERIFY(!fs::exists(inMissingDir));

    const fs::path file = newPath();
    writeFile(file.string() + "-wal", "stale");
    QVERIFY(sessionErrorOf([&] { SessionStore::create(file); }).contains("left over"));
    QVERIFY(!fs::exists(file));
  }

  void openOrCreate() {
    const fs::path file = newPath();
    {
      SessionStore store = SessionStore::openOrCreate(file);
      store.addEvaluation(sampleEvaluation(1));
    }
    SessionStore store = SessionStore::openOrCreate(file);
    QCOMPARE(store.evaluations().size(), std::size_t{1});
  }

  void damagedDatabaseIsRefused() {
    const fs::path file = newPath();
    makeSession(file, 20);
    std::string bytes = readFile(file);
    const std::size_t pageSize = 4096;
    QCOMPARE(std::stoul(rawSql(file, "PRAGMA page_size")), pageSize);
    for (std::size_t i = pageSize; i < pageSize + 64; ++i) bytes[i] = '\xff';  // page 2's header
    writeFile(file, bytes);
    for (OpenMode mode : {OpenMode::ReadWrite, OpenMode::ReadOnly}) {
      const QString message = sessionErrorOf([&] { SessionStore::open(file, mode); });
      QVERIFY2(message.contains("damaged"), qPrintable(message));
    }
  }

  void olderSchemaIsMigrated() {
    const fs::path file = newPath();
    makeSession(file, 0);
    const std::string createdAt = rawSql(file, "SELECT value FROM meta WHERE key='created_at'");
    // Back to schema 0: the bootstrap meta table alone.
    rawSql(file,
           "DROP TABLE evaluations; DROP TABLE nodes; DROP TABLE steering; "
           "UPDATE meta SET value = '0' WHERE key = 'schema_version'");

    const QString message = sessionErrorOf([&] { SessionStore::open(file, OpenMode::ReadOnly); });
    QVERIFY2(message.contains("older Kevo (schema 0)") && message.contains("read-write"),
             qPrintable(message));
    {
      SessionStore store = SessionStore::open(file);
      QCOMPARE(store.schemaVersion(), SessionStore::kSchemaVersion);
      QCOMPARE(store.meta("schema_version"),
               std::optional<std::string>(std::to_string(SessionStore::kSchemaVersion)));
      QCOMPARE(store.meta("created_at"), std::optional<std::string>(createdAt));
      QCOMPARE(store.addEvaluation(sampleEvaluation(1)), int64_t{1});
    }
    QCOMPARE(SessionStore::open(file, OpenMode::ReadOnly).evaluations().size(), std::size_t{1});
  }

  void storeKeysAndOddValues() {
    const fs::path file = newPath();
    SessionStore store = SessionStore::create(file);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, store.setMeta("schema_version", "9"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, store.setMeta("format", "x"));
    QCOMPARE(store.meta("schema_version"),
             std::optional<std::string>(std::to_string(SessionStore::kSchemaVersion)));

    StoredEvaluation e = sampleEvaluation(1);
    e.result = {{"diagnostics", std::string("bad utf-8: \xff\xfe end")}};  // from compiler output
    const int64_t id = store.addEvaluation(e);
    const std::string stored = store.evaluation(id)->result["diagnostics"].get<std::string>();
    QVERIFY(stored.starts_with("bad utf-8: ") && stored.ends_with(" end"));

    SessionStore moved = std::move(store);
    QCOMPARE(moved.evaluations().size(), std::size_t{1});
    QVERIFY_THROWS_EXCEPTION(std::logic_error,
                             store.evaluations());  // NOLINT(bugprone-use-after-move)
  }
};

QTEST_APPLESS_MAIN(TestSessionStore)
#include "test_session_store.moc"
