#include "util/LineDiff.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace kevo::util {

namespace {

// Myers' O(ND) difference algorithm in linear space (the middle-snake bisection of section 4b,
// in the form diff-match-patch uses: split where the forward and reverse paths overlap, recurse
// on both halves). Produces the matched index pairs of a shortest edit script, in order.
class Matcher {
 public:
  Matcher(const std::vector<int>& a, const std::vector<int>& b, int64_t maxWork)
      : a_(a), b_(b), maxWork_(maxWork) {}

  void run() { compare(0, int(a_.size()), 0, int(b_.size())); }

  std::vector<std::pair<int, int>> matches;
  bool exact = true;

 private:
  void compare(int a0, int a1, int b0, int b1) {
    while (a0 < a1 && b0 < b1 && a_[size_t(a0)] == b_[size_t(b0)]) matches.emplace_back(a0++, b0++);
    int suffix = 0;
    while (a1 - suffix > a0 && b1 - suffix > b0 &&
           a_[size_t(a1 - suffix - 1)] == b_[size_t(b1 - suffix - 1)])
      ++suffix;
    a1 -= suffix;
    b1 -= suffix;
    if (a0 < a1 && b0 < b1) {
      if (a1 - a0 == 1) {
        for (int j = b0; j < b1; ++j)
          if (b_[size_t(j)] == a_[size_t(a0)]) {
            matches.emplace_back(a0, j);
            break;
          }
      } else if (b1 - b0 == 1) {
        for (int i = a0; i < a1; ++i)
          if (a_[size_t(i)] == b_[size_t(b0)]) {
            matches.emplace_back(i, b0);
            break;
          }
      } else if (auto split = bisect(a0, a1, b0, b1)) {
        compare(a0, split->first, b0, split->second);
        compare(split->first, a1, split->second, b1);
      }
      // else: nothing in common, or over the work bound (then `exact` is false): the block
      // stays delete-all + insert-all.
    }
    for (int s = 0; s < suffix; ++s) matches.emplace_back(a1 + s, b1 + s);
  }

  // The point (absolute indices) where a shortest path through the block crosses its middle.
  std::optional<std::pair<int, int>> bisect(int a0, int a1, int b0, int b1) {
    const int n = a1 - a0, m = b1 - b0;
    const int maxD = (n + m + 1) / 2;
    const int offset = maxD;
    const size_t length = size_t(2 * maxD + 2);
    std::vector<int> v1(length, -1), v2(length, -1);
    v1[size_t(offset + 1)] = 0;
    v2[size_t(offset + 1)] = 0;
    const int delta = n - m;
    const bool front = (delta % 2) != 0;
    int k1start = 0, k1end = 0, k2start = 0, k2end = 0;
    auto A = [&](int i) { return a_[size_t(a0 + i)]; };
    auto B = [&](int j) { return b_[size_t(b0 + j)]; };
    auto inner = [&](int x, int y) -> std::optional<std::pair<int, int>> {
      if ((x == 0 && y == 0) || (x == n && y == m)) return std::nullopt;  // no progress
      return std::make_pair(a0 + x, b0 + y);
    };
    for (int d = 0; d < maxD; ++d) {
      work_ += 2 * d + 2;
      if (work_ > maxWork_) {
        exact = false;
        return std::nullopt;
      }
      for (int k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
        const int k1o = offset + k1;
        int x1 = (k1 == -d || (k1 != d && v1[size_t(k1o - 1)] < v1[size_t(k1o + 1)]))
                     ? v1[size_t(k1o + 1)]
                     : v1[size_t(k1o - 1)] + 1;
        int y1 = x1 - k1;
        while (x1 < n && y1 < m && A(x1) == B(y1)) ++x1, ++y1;
        v1[size_t(k1o)] = x1;
        if (x1 > n) {
          k1end += 2;
        } else if (y1 > m) {
          k1start += 2;
        } else if (front) {
          const int k2o = offset + delta - k1;
          if (k2o >= 0 && k2o < int(length) && v2[size_t(k2o)] != -1) {
            if (x1 >= n - v2[size_t(k2o)]) return inner(x1, y1);
          }
        }
      }
      for (int k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
        const int k2o = offset + k2;
        int x2 = (k2 == -d || (k2 != d && v2[size_t(k2o - 1)] < v2[size_t(k2o + 1)]))
                     ? v2[size_t(k2o + 1)]
                     : v2[size_t(k2o - 1)] + 1;
        int y2 = x2 - k2;
        while (x2 < n && y2 < m && A(n - x2 - 1) == B(m - y2 - 1)) ++x2, ++y2;
        v2[size_t(k2o)] = x2;
        if (x2 > n) {
          k2end += 2;
        } else if (y2 > m) {
          k2start += 2;
        } else if (!front) {
          const int k1o = offset + delta - k2;
          if (k1o >= 0 && k1o < int(length) && v1[size_t(k1o)] != -1) {
            const int x1 = v1[size_t(k1o)];
            const int y1 = offset + x1 - k1o;
            if (x1 >= n - x2) return inner(x1, y1);
          }
        }
      }
    }
    return std::nullopt;  // the paths never overlap: the block has no element in common
  }

  const std::vector<int>& a_;
  const std::vector<int>& b_;
  int64_t maxWork_;
  int64_t work_ = 0;
};

bool isWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c >= 0x80;
}
bool isSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

struct Token {
  int begin, end;
  bool space;
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  const int n = int(s.size());
  int i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[size_t(i)]);
    int j = i + 1;
    if (isWordByte(c)) {
      while (j < n && isWordByte(static_cast<unsigned char>(s[size_t(j)]))) ++j;
    } else if (isSpace(c)) {
      while (j < n && isSpace(static_cast<unsigned char>(s[size_t(j)]))) ++j;
    }
    out.push_back({i, j, isSpace(c)});
    i = j;
  }
  return out;
}

// Which tokens of each line take part in the longest common subsequence of their non-space
// tokens. Spaces do not take part (they would win ties against words: "a * b" -> "f(a, b)"
// could match the two spaces instead of "b"); they count as matched.
struct TokenComparison {
  std::vector<Token> ta, tb;
  std::vector<char> matchedA, matchedB;
};

TokenComparison compareTokens(std::string_view a, std::string_view b) {
  TokenComparison c;
  c.ta = tokenize(a);
  c.tb = tokenize(b);
  std::unordered_map<std::string_view, int> ids;
  // Ids of the non-space tokens, and for each its index in the token list.
  auto intern = [&](std::string_view s, const std::vector<Token>& ts, std::vector<int>& where) {
    std::vector<int> out;
    for (size_t i = 0; i < ts.size(); ++i) {
      if (ts[i].space) continue;
      const std::string_view text = s.substr(size_t(ts[i].begin), size_t(ts[i].end - ts[i].begin));
      out.push_back(ids.try_emplace(text, int(ids.size())).first->second);
      where.push_back(int(i));
    }
    return out;
  };
  std::vector<int> whereA, whereB;
  const std::vector<int> ia = intern(a, c.ta, whereA), ib = intern(b, c.tb, whereB);
  Matcher m(ia, ib, 2'000'000);
  m.run();
  c.matchedA.assign(c.ta.size(), 0);
  c.matchedB.assign(c.tb.size(), 0);
  for (size_t i = 0; i < c.ta.size(); ++i) c.matchedA[i] = c.ta[i].space;
  for (size_t j = 0; j < c.tb.size(); ++j) c.matchedB[j] = c.tb[j].space;
  for (const auto& [i, j] : m.matches) {
    c.matchedA[size_t(whereA[size_t(i)])] = 1;
    c.matchedB[size_t(whereB[size_t(j)])] = 1;
  }
  return c;
}

double similarityOf(const TokenComparison& c) {
  int shared = 0, total = 0;
  for (size_t i = 0; i < c.ta.size(); ++i) {
    if (c.ta[i].space) continue;
    total += c.ta[i].end - c.ta[i].begin;
    if (c.matchedA[i]) shared += c.ta[i].end - c.ta[i].begin;
  }
  for (size_t j = 0; j < c.tb.size(); ++j) {
    if (c.tb[j].space) continue;
    total += c.tb[j].end - c.tb[j].begin;
    if (c.matchedB[j]) shared += c.tb[j].end - c.tb[j].begin;
  }
  return total == 0 ? 1.0 : double(shared) / double(total);
}

// Runs of unmatched tokens as byte ranges; two ranges separated only by (matched) whitespace
// are merged, so "a + b" -> "c + d" highlights the two words, not the spaces between.
std::vector<CharRange> rangesOf(const std::vector<Token>& ts, const std::vector<char>& matched) {
  std::vector<CharRange> out;
  size_t i = 0;
  while (i < ts.size()) {
    if (matched[i]) {
      ++i;
      continue;
    }
    CharRange r{ts[i].begin, ts[i].end};
    size_t j = i + 1;
    for (;;) {
      while (j < ts.size() && !matched[j]) r.end = ts[j++].end;
      size_t k = j;
      while (k < ts.size() && matched[k] && ts[k].space) ++k;
      if (k > j && k < ts.size() && !matched[k]) {
        j = k;  // a whitespace-only gap: bridge it
        continue;
      }
      break;
    }
    out.push_back(r);
    i = j;
  }
  return out;
}

constexpr double kPairThreshold = 0.5;    // lines this similar are aligned as one changed pair
constexpr double kRangesThreshold = 0.3;  // below this a pair is "rewritten": no char ranges
constexpr int64_t kMaxPairingCells = 2500;

class RowBuilder {
 public:
  RowBuilder(const std::vector<std::string>& a, const std::vector<std::string>& b,
             const LineDiffOptions& o, LineDiff& out)
      : a_(a), b_(b), opt_(o), out_(out) {}

  void equal(int i, int j) { out_.rows.push_back({RowKind::Equal, i, j, {}, {}}); }

  // Old lines [d0, d1) were deleted and new lines [i0, i1) inserted at the same place.
  void block(int d0, int d1, int i0, int i1) {
    const int nd = d1 - d0, ni = i1 - i0;
    if (nd == 0 || ni == 0) {
      for (int i = d0; i < d1; ++i) out_.rows.push_back({RowKind::Delete, i, -1, {}, {}});
      for (int j = i0; j < i1; ++j) out_.rows.push_back({RowKind::Insert, -1, j, {}, {}});
      return;
    }
    // Anchors: the most similar monotone pairing (by dynamic programming over the block when
    // it is small), so that a line inserted before a changed one is not paired with it.
    std::vector<std::pair<int, int>> anchors;
    if (int64_t(nd) * ni <= kMaxPairingCells) {
      std::vector<double> sim(size_t(nd * ni));
      for (int i = 0; i < nd; ++i)
        for (int j = 0; j < ni; ++j)
          sim[size_t(i * ni + j)] = lineSimilarity(a_[size_t(d0 + i)], b_[size_t(i0 + j)]);
      const size_t w = size_t(ni + 1);
      std::vector<double> score(size_t(nd + 1) * w, 0.0);
      for (int i = 1; i <= nd; ++i)
        for (int j = 1; j <= ni; ++j) {
          double best =
              std::max(score[size_t(i - 1) * w + size_t(j)], score[size_t(i) * w + size_t(j - 1)]);
          const double s = sim[size_t((i - 1) * ni + (j - 1))];
          if (s >= kPairThreshold)
            best = std::max(best, score[size_t(i - 1) * w + size_t(j - 1)] + s);
          score[size_t(i) * w + size_t(j)] = best;
        }
      int i = nd, j = ni;
      while (i > 0 && j > 0) {
        const double here = score[size_t(i) * w + size_t(j)];
        const double s = sim[size_t((i - 1) * ni + (j - 1))];
        if (s >= kPairThreshold && here == score[size_t(i - 1) * w + size_t(j - 1)] + s) {
          anchors.emplace_back(d0 + i - 1, i0 + j - 1);
          --i, --j;
        } else if (here == score[size_t(i - 1) * w + size_t(j)]) {
          --i;
        } else {
          --j;
        }
      }
      std::reverse(anchors.begin(), anchors.end());
    }
    int pd = d0, pi = i0;
    for (const auto& [d, i] : anchors) {
      segment(pd, d, pi, i);
      change(d, i);
      pd = d + 1;
      pi = i + 1;
    }
    segment(pd, d1, pi, i1);
  }

 private:
  // Between two anchors: pair in order, the excess becomes deletes, then inserts.
  void segment(int d0, int d1, int i0, int i1) {
    const int k = std::min(d1 - d0, i1 - i0);
    for (int t = 0; t < k; ++t) change(d0 + t, i0 + t);
    for (int d = d0 + k; d < d1; ++d) out_.rows.push_back({RowKind::Delete, d, -1, {}, {}});
    for (int i = i0 + k; i < i1; ++i) out_.rows.push_back({RowKind::Insert, -1, i, {}, {}});
  }

  void change(int d, int i) {
    DiffRow row{RowKind::Change, d, i, {}, {}};
    if (opt_.intraLine) {
      const TokenComparison c = compareTokens(a_[size_t(d)], b_[size_t(i)]);
      if (similarityOf(c) >= kRangesThreshold) {
        row.oldRanges = rangesOf(c.ta, c.matchedA);
        row.newRanges = rangesOf(c.tb, c.matchedB);
      }
    }
    out_.rows.push_back(std::move(row));
  }

  const std::vector<std::string>& a_;
  const std::vector<std::string>& b_;
  const LineDiffOptions& opt_;
  LineDiff& out_;
};

// A pure delete (or insert) run next to equal lines with the same text can sit in several
// places ("-blank -f() {...}" or "-f() {...} -blank"); like GNU diff, move it as far down as it
// goes, so that the texts of `diff -u` and of the side-by-side rows agree.
void slideRunsDown(std::vector<DiffRow>& rows, const std::vector<std::string>& a,
                   const std::vector<std::string>& b) {
  const size_t n = rows.size();
  size_t s = 0;
  while (s < n) {
    const RowKind k = rows[s].kind;
    if (k != RowKind::Delete && k != RowKind::Insert) {
      ++s;
      continue;
    }
    size_t e = s;
    while (e < n && rows[e].kind == k) ++e;
    auto same = [&](const DiffRow& x, const DiffRow& y) {
      return k == RowKind::Delete ? a[size_t(x.oldLine)] == a[size_t(y.oldLine)]
                                  : b[size_t(x.newLine)] == b[size_t(y.newLine)];
    };
    while (e < n && rows[e].kind == RowKind::Equal && same(rows[s], rows[e])) {
      // The run's first line becomes the equal one; the equal line joins the run's end.
      rows[s].kind = RowKind::Equal;
      rows[e].kind = k;
      if (k == RowKind::Delete) {
        rows[s].newLine = rows[e].newLine;
        rows[e].newLine = -1;
      } else {
        rows[s].oldLine = rows[e].oldLine;
        rows[e].oldLine = -1;
      }
      ++s;
      ++e;
      while (e < n && rows[e].kind == k) ++e;
    }
    s = e;
  }
}

}  // namespace

std::vector<std::string> splitLines(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.emplace_back(line);
    start = end + 1;
  }
  return out;
}

const char* rowKindName(RowKind k) {
  switch (k) {
    case RowKind::Equal:
      return "equal";
    case RowKind::Insert:
      return "insert";
    case RowKind::Delete:
      return "delete";
    case RowKind::Change:
      return "change";
  }
  return "equal";
}

LineDiff diffLines(const std::vector<std::string>& oldLines,
                   const std::vector<std::string>& newLines, const LineDiffOptions& options) {
  // Lines become integers (equal text, equal id) so the search compares ints.
  std::unordered_map<std::string_view, int> ids;
  auto intern = [&](const std::vector<std::string>& lines) {
    std::vector<int> out;
    out.reserve(lines.size());
    for (const auto& l : lines) out.push_back(ids.try_emplace(l, int(ids.size())).first->second);
    return out;
  };
  const std::vector<int> a = intern(oldLines), b = intern(newLines);
  Matcher matcher(a, b, options.maxWork);
  matcher.run();

  LineDiff out;
  out.exact = matcher.exact;
  out.rows.reserve(std::max(oldLines.size(), newLines.size()));
  RowBuilder builder(oldLines, newLines, options, out);
  int pi = 0, pj = 0;
  for (const auto& [i, j] : matcher.matches) {
    builder.block(pi, i, pj, j);
    builder.equal(i, j);
    pi = i + 1;
    pj = j + 1;
  }
  builder.block(pi, int(oldLines.size()), pj, int(newLines.size()));
  slideRunsDown(out.rows, oldLines, newLines);

  int oldPos = 0, newPos = 0;
  for (size_t r = 0; r < out.rows.size(); ++r) {
    const DiffRow& row = out.rows[r];
    if (row.kind != RowKind::Equal) {
      if (out.hunks.empty() || out.hunks.back().firstRow + out.hunks.back().rowCount != int(r))
        out.hunks.push_back({int(r), 0, oldPos, 0, newPos, 0});
      DiffHunk& h = out.hunks.back();
      ++h.rowCount;
      if (row.oldLine >= 0) ++h.oldCount;
      if (row.newLine >= 0) ++h.newCount;
      if (row.kind != RowKind::Insert) ++out.deletedLines;
      if (row.kind != RowKind::Delete) ++out.insertedLines;
    }
    if (row.oldLine >= 0) ++oldPos;
    if (row.newLine >= 0) ++newPos;
  }
  return out;
}

LineDiff diffTexts(std::string_view oldText, std::string_view newText,
                   const LineDiffOptions& options) {
  return diffLines(splitLines(oldText), splitLines(newText), options);
}

std::pair<std::vector<CharRange>, std::vector<CharRange>> diffLineChars(std::string_view a,
                                                                        std::string_view b) {
  const TokenComparison c = compareTokens(a, b);
  return {rangesOf(c.ta, c.matchedA), rangesOf(c.tb, c.matchedB)};
}

double lineSimilarity(std::string_view a, std::string_view b) {
  return similarityOf(compareTokens(a, b));
}

std::string unifiedDiff(const std::vector<std::string>& oldLines,
                        const std::vector<std::string>& newLines, const LineDiff& diff, int context,
                        std::string_view oldName, std::string_view newName) {
  if (diff.hunks.empty()) return {};
  context = std::max(context, 0);
  std::string out = "--- " + std::string(oldName) + "\n+++ " + std::string(newName) + "\n";
  const int rowCount = int(diff.rows.size());
  // Old/new lines consumed before each row.
  std::vector<int> oldBefore(size_t(rowCount) + 1, 0), newBefore(size_t(rowCount) + 1, 0);
  for (int r = 0; r < rowCount; ++r) {
    oldBefore[size_t(r + 1)] = oldBefore[size_t(r)] + (diff.rows[size_t(r)].oldLine >= 0);
    newBefore[size_t(r + 1)] = newBefore[size_t(r)] + (diff.rows[size_t(r)].newLine >= 0);
  }
  auto range = [](int before, int count) {
    const int start = count == 0 ? before : before + 1;
    return count == 1 ? std::to_string(start) : std::to_string(start) + "," + std::to_string(count);
  };
  size_t h = 0;
  while (h < diff.hunks.size()) {
    // Merge change runs whose equal gap is at most 2 * context rows.
    size_t last = h;
    while (last + 1 < diff.hunks.size() &&
           diff.hunks[last + 1].firstRow -
                   (diff.hunks[last].firstRow + diff.hunks[last].rowCount) <=
               2 * context)
      ++last;
    const int r0 = std::max(0, diff.hunks[h].firstRow - context);
    const int r1 =
        std::min(rowCount, diff.hunks[last].firstRow + diff.hunks[last].rowCount + context);
    out += "@@ -" + range(oldBefore[size_t(r0)], oldBefore[size_t(r1)] - oldBefore[size_t(r0)]) +
           " +" + range(newBefore[size_t(r0)], newBefore[size_t(r1)] - newBefore[size_t(r0)]) +
           " @@\n";
    int r = r0;
    while (r < r1) {
      const DiffRow& row = diff.rows[size_t(r)];
      if (row.kind == RowKind::Equal) {
        out += " " + oldLines[size_t(row.oldLine)] + "\n";
        ++r;
        continue;
      }
      int e = r;
      while (e < r1 && diff.rows[size_t(e)].kind != RowKind::Equal) ++e;
      for (int k = r; k < e; ++k)
        if (diff.rows[size_t(k)].oldLine >= 0)
          out += "-" + oldLines[size_t(diff.rows[size_t(k)].oldLine)] + "\n";
      for (int k = r; k < e; ++k)
        if (diff.rows[size_t(k)].newLine >= 0)
          out += "+" + newLines[size_t(diff.rows[size_t(k)].newLine)] + "\n";
      r = e;
    }
    h = last + 1;
  }
  return out;
}

}  // namespace kevo::util
