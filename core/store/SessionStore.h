// SessionStore: one Kevo session file (SQLite, WAL): its meta key/values and the evaluations made
// in it. The search engine's store owner writes through one instance; the GUI, the CLI and
// exports read through their own (OpenMode::ReadOnly works while another process writes).
// An instance is not thread-safe: one owner at a time. File format: docs/session-format.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/SessionError.h"

namespace kevo::store {

// One evaluation as stored: what was built and how it was judged.
struct StoredEvaluation {  // NOLINT(bugprone-exception-escape)
  int64_t id = 0;          // assigned by addEvaluation
  std::string createdAt;   // ISO-8601 UTC, set by addEvaluation if empty
  std::string problemId;
  std::string backend;     // "cpu"
  std::string role;        // "candidate", "baseline", "reference", "canary", "profile"
  std::string label;       // free text: file name, node name
  std::string source;      // the exact source that was built
  std::string flags;       // compiler flags, one string
  std::string sourceHash;  // build cache key (hex)
  std::string verdict;     // ok, compile_error, crash, timeout, wrong_answer, rejected
  nlohmann::json result;   // the full evaluation result: seeds, per-shape-set timings, details
};

enum class OpenMode { ReadWrite, ReadOnly };

class SessionStore {
 public:
  static constexpr int kSchemaVersion = 2;
  static constexpr const char* kFormat = "kevo-session";

  // A new session file; SessionError if the path exists (or its -wal/-journal does). A failed
  // create removes what it created.
  static SessionStore create(const std::filesystem::path& file);
  // An existing session. ReadWrite switches it to WAL and migrates an older schema; ReadOnly
  // reads an older schema when it is compatible, else says to open it read-write once.
  static SessionStore open(const std::filesystem::path& file, OpenMode mode = OpenMode::ReadWrite);
  // open(file) when the file exists, else create(file).
  static SessionStore openOrCreate(const std::filesystem::path& file);

  SessionStore(SessionStore&&) noexcept;
  SessionStore& operator=(SessionStore&&) noexcept;
  ~SessionStore();

  // The file's schema version: kSchemaVersion once opened ReadWrite; maybe older in ReadOnly.
  int schemaVersion() const;
  const std::filesystem::path& path() const;
  OpenMode mode() const;

  // Free-form session metadata. The keys format, schema_version, created_at and kevo_version
  // belong to the store: setMeta refuses them (std::invalid_argument).
  void setMeta(const std::string& key, const std::string& value);
  std::optional<std::string> meta(const std::string& key) const;

  // Appends one evaluation in one transaction, durable (fsync'd) on return; returns its id.
  int64_t addEvaluation(StoredEvaluation e);
  std::vector<StoredEvaluation> evaluations() const;  // ordered by id
  // Those with this role ("profile": an Nsight Compute run on a node), ordered by id.
  std::vector<StoredEvaluation> evaluationsWithRole(const std::string& role) const;
  std::optional<StoredEvaluation> evaluation(int64_t id) const;

  // The search tree (schema 2): one row per node, written when it is created and again when its
  // evaluation lands. `data` is the node as JSON (search/SearchNode.h).
  void saveNode(int64_t id, int64_t parentId, const std::string& status, const std::string& verdict,
                const nlohmann::json& data);
  std::vector<nlohmann::json> nodes() const;  // ordered by id; empty for a schema-1 file

  // Steering commands: queued by anyone (GUI, `kevo-cli steer`), applied by the search.
  struct SteeringRow {
    int64_t id = 0;
    std::string createdAt, who;
    nlohmann::json command;
    std::string appliedAt;  // empty while pending
    std::string outcome;
  };
  int64_t addSteering(const nlohmann::json& command, const std::string& who);
  std::vector<SteeringRow> steering(bool pendingOnly = false) const;
  void markSteeringApplied(int64_t id, const std::string& outcome);

 private:
  struct Impl;
  explicit SessionStore(std::unique_ptr<Impl> impl);
  Impl& impl() const;
  void requireWritable(const char* action) const;

  std::unique_ptr<Impl> impl_;
};

}  // namespace kevo::store
