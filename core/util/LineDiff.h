// A line diff of two texts (Myers' O(ND) algorithm, linear space, with a work bound) aligned
// into rows for a side-by-side view: equal, insert, delete and change rows, and for a changed
// pair the character ranges that differ. The GUI's DiffView shows it; a unified diff of it can
// be copied or exported. Plain C++, no Qt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kevo::util {

// "a\nb\n" -> {"a", "b"}; a trailing "\r" is dropped from each line; "" -> {}.
std::vector<std::string> splitLines(std::string_view text);

enum class RowKind { Equal, Insert, Delete, Change };
const char* rowKindName(RowKind k);  // equal, insert, delete, change

// Bytes [begin, end) of one line.
struct CharRange {
  int begin = 0, end = 0;
  bool operator==(const CharRange&) const = default;
};

// One row of the side-by-side view. Lines are 0-based indices; -1 where that side is empty
// (the left of an insert, the right of a delete).
struct DiffRow {
  RowKind kind = RowKind::Equal;
  int oldLine = -1, newLine = -1;
  // Change rows only: the bytes that differ. Empty when the two lines have little in common
  // (the whole line changed: the row's tint says it).
  std::vector<CharRange> oldRanges, newRanges;
};

// A run of consecutive non-equal rows. Starts are 0-based; counts may be 0.
struct DiffHunk {
  int firstRow = 0, rowCount = 0;
  int oldStart = 0, oldCount = 0, newStart = 0, newCount = 0;
};

struct LineDiff {
  std::vector<DiffRow> rows;
  std::vector<DiffHunk> hunks;
  int insertedLines = 0;  // lines only in the new text (a change row counts one each way)
  int deletedLines = 0;   // lines only in the old text
  bool exact = true;      // false when the work bound cut the search short (still a valid diff)
  bool identical() const { return insertedLines == 0 && deletedLines == 0; }
};

struct LineDiffOptions {
  // Upper bound on the Myers search work (diagonal steps, summed over all sub-problems); past
  // it the remaining sub-problems become delete-all + insert-all. 2,000-line files stay far
  // below the default.
  int64_t maxWork = 50'000'000;
  bool intraLine = true;  // compute character ranges for change rows
};

LineDiff diffLines(const std::vector<std::string>& oldLines,
                   const std::vector<std::string>& newLines, const LineDiffOptions& options = {});
LineDiff diffTexts(std::string_view oldText, std::string_view newText,
                   const LineDiffOptions& options = {});

// Token-level comparison of two lines (identifiers and numbers, runs of spaces, single
// punctuation characters): the byte ranges that differ on each side, whitespace-only gaps
// between two ranges merged.
std::pair<std::vector<CharRange>, std::vector<CharRange>> diffLineChars(std::string_view a,
                                                                        std::string_view b);
// 2 * shared non-space bytes / (non-space bytes of a + of b), in [0, 1]; 1 for two blank lines.
double lineSimilarity(std::string_view a, std::string_view b);

// The diff as `diff -u` prints it ("--- a", "+++ b", "@@ -l,n +l,n @@" hunks with `context`
// lines around each change). Empty when the texts are identical.
std::string unifiedDiff(const std::vector<std::string>& oldLines,
                        const std::vector<std::string>& newLines, const LineDiff& diff,
                        int context = 3, std::string_view oldName = "a",
                        std::string_view newName = "b");

}  // namespace kevo::util
