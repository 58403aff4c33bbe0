// The session schema as an ordered list of migration steps. Schema 0 is the bootstrap: a `meta`
// table alone (written by SessionStore::create). Step N takes a file from schema N-1 to N; the
// store runs each pending step in its own transaction together with the schema_version bump.
//
// To change the schema: append a step here (never edit a released one), bump
// SessionStore::kSchemaVersion, teach the reading code, and document it in docs/session-format.md.
#pragma once

#include <array>
#include <cstddef>

namespace kevo::store {

struct Migration {
  int version;      // the schema version this step produces
  const char* sql;  // one or more statements, run in one transaction
  // True when code that knows this step can still read a file from before it without migrating
  // (read-only open): the step only adds tables, indexes or columns that the reading code treats
  // as empty or default when they are missing. False when readers need what it adds.
  bool readableWithout;
};

inline constexpr std::array kMigrations{
    Migration{1, R"sql(
CREATE TABLE evaluations (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at  TEXT NOT NULL,
  problem_id  TEXT NOT NULL,
  backend     TEXT NOT NULL,
  role        TEXT NOT NULL,
  label       TEXT NOT NULL,
  source      TEXT NOT NULL,
  flags       TEXT NOT NULL,
  source_hash TEXT NOT NULL,
  verdict     TEXT NOT NULL,
  result      TEXT NOT NULL
);
CREATE INDEX evaluations_problem_id ON evaluations(problem_id);
CREATE INDEX evaluations_verdict ON evaluations(verdict);
CREATE INDEX evaluations_source_hash ON evaluations(source_hash);
)sql",
              false},
    // The search: its tree (one row per node, the node as JSON) and the steering commands
    // (queued by a person or a script, applied by the running search between steps).
    Migration{2, R"sql(
CREATE TABLE nodes (
  id         INTEGER PRIMARY KEY,
  parent_id  INTEGER NOT NULL,
  status     TEXT NOT NULL,
  verdict    TEXT NOT NULL,
  data       TEXT NOT NULL
);
CREATE INDEX nodes_parent_id ON nodes(parent_id);
CREATE TABLE steering (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at  TEXT NOT NULL,
  who         TEXT NOT NULL,
  command     TEXT NOT NULL,
  applied_at  TEXT,
  outcome     TEXT
);
)sql",
              true},
};

// The schema version the migrations produce.
inline constexpr int kLatestMigration = static_cast<int>(kMigrations.size());

// Steps must be numbered 1, 2, 3... in order.
constexpr bool migrationsAreSequential() {
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    if (kMigrations[i].version != static_cast<int>(i) + 1) return false;
  }
  return true;
}
static_assert(migrationsAreSequential(), "kMigrations must be numbered 1, 2, 3... in order");

// The oldest schema this build reads read-only without migrating it: every later step is
// readableWithout.
constexpr int oldestReadableSchema() {
  int oldest = kLatestMigration;
  for (std::size_t i = kMigrations.size(); i-- > 0 && kMigrations[i].readableWithout;) {
    oldest = kMigrations[i].version - 1;
  }
  return oldest;
}

}  // namespace kevo::store
