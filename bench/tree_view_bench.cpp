// Benchmark of the search tree view (widgets/SearchTreeView) on synthetic search trees of
// 1,000, 10,000 and 50,000 nodes: layout time, repaint time over a scripted pan/zoom sequence
// (1600x1000), and the longest GUI-thread stall while 20 nodes/s arrive. Run it under a display
// (xvfb-run -a bench/tree_view_bench); results go to docs/benchmarks.md.
//
//   tree_view_bench [--sizes 1000,10000,50000] [--seconds 5] [--deep] [--frames] [--shots DIR]
//
// --deep makes the synthetic search extend its newest node 85% of the time (long chains)
// instead of 40%; --frames prints each frame's times; --shots DIR writes screenshots of
// synthetic trees (PNG) to DIR instead of measuring.
#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QPainter>
#include <QScrollBar>
#include <QTimer>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "SearchTreeView.h"
#include "layout/TidyTreeLayout.h"

using kevo::widgets::SearchTreeView;
using kevo::widgets::TreeNodeVisual;

namespace {

// A synthetic search: a few roots; each new candidate extends the newest one (a chain), one of
// the ten best so far (exploitation) or a random earlier one (exploration); about a quarter
// fail, failures rarely get children; a few subtrees are pruned; the best path is marked.
struct SyntheticSearch {
  std::vector<TreeNodeVisual> nodes;
  std::vector<int64_t> bestPath;
};

SyntheticSearch makeSearch(int n, uint64_t seed, double chain = 0.4) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> gauss(0, 1);
  static const char* knobs[] = {"VEC", "U", "TILE", "PF", "THREADS", "BLOCK", "ACC", "PERM"};
  static const int values[] = {1, 2, 4, 8, 16, 32, 64};
  SyntheticSearch s;
  auto& nodes = s.nodes;
  nodes.reserve(size_t(n));
  std::vector<int> okNodes, best;  // indices
  std::vector<int> depth;
  std::vector<std::vector<int>> kids;
  std::vector<int> widen;
  const int roots = std::min(n, 3);
  for (int i = 0; i < n; ++i) {
    TreeNodeVisual v;
    v.id = i + 1;
    int parent = -1;
    if (i >= roots) {
      const double r = u(rng);
      if (r < chain && nodes.back().verdict == QLatin1String("ok"))
        parent = i - 1;
      else if (r < chain + (1 - chain) * 0.6 && !best.empty())
        parent = best[size_t(rng() % best.size())];
      else if (u(rng) < 0.06)
        parent = int(rng() % uint64_t(i));  // fix mode: may extend a failure
      else
        parent = okNodes[size_t(rng() % okNodes.size())];
      // Progressive widening: a node takes a few children, then the search goes through one.
      while (int(kids[size_t(parent)].size()) >= widen[size_t(parent)]) {
        const auto& k = kids[size_t(parent)];
        int next = k[rng() % k.size()];
        for (int c : k)
          if (nodes[size_t(c)].speedup > nodes[size_t(next)].speedup && u(rng) < 0.5) next = c;
        parent = next;
      }
      kids[size_t(parent)].push_back(i);
    }
    kids.emplace_back();
    widen.push_back(2 + int(rng() % 5));
    v.parentId = parent < 0 ? -1 : nodes[size_t(parent)].id;
    depth.push_back(parent < 0 ? 0 : depth[size_t(parent)] + 1);
    if (parent < 0) {
      v.memoryOperator = QStringLiteral("root");
      v.verdict = QStringLiteral("ok");
      v.speedup = 0.8 + 0.3 * u(rng);
      v.label = QStringLiteral("recipe %1").arg(QChar('A' + i));
    } else {
      const double o = u(rng);
      v.memoryOperator = o < 0.5    ? QStringLiteral("inherit")
                         : o < 0.7  ? QStringLiteral("siblings")
                         : o < 0.85 ? QStringLiteral("combined")
                         : o < 0.96 ? QStringLiteral("fresh")
                                    : QStringLiteral("user");
      v.userMade = v.memoryOperator == QLatin1String("user");
      const double f = u(rng);
      v.verdict = f < 0.11   ? QStringLiteral("compile_error")
                  : f < 0.15 ? QStringLiteral("crash")
                  : f < 0.18 ? QStringLiteral("timeout")
                  : f < 0.24 ? QStringLiteral("wrong_answer")
                  : f < 0.25 ? QStringLiteral("rejected")
                             : QStringLiteral("ok");
      if (v.verdict == QLatin1String("ok")) {
        const double ps = nodes[size_t(parent)].speedup > 0 ? nodes[size_t(parent)].speedup : 1;
        v.speedup = v.memoryOperator == QLatin1String("fresh")
                        ? std::exp(0.3 * gauss(rng))
                        : ps * std::exp(0.03 + 0.14 * gauss(rng));
        v.speedup = std::clamp(v.speedup, 0.05, 40.0);
      }
      const int k = int(rng() % 8);
      const int a = int(rng() % 6);
      v.label = QStringLiteral("%1 %2→%3").arg(knobs[k]).arg(values[a]).arg(values[a + 1]);
    }
    if (v.verdict == QLatin1String("ok")) {
      okNodes.push_back(i);
      best.push_back(i);
      std::sort(best.begin(), best.end(), [&](int x, int y) {
        return (x == i ? v : nodes[size_t(x)]).speedup > (y == i ? v : nodes[size_t(y)]).speedup;
      });
      if (best.size() > 10) best.pop_back();
      v.pinned = u(rng) < 0.004;
    }
    nodes.push_back(v);
  }
  for (int i = std::max(roots, n - 3); i < n; ++i) {  // the newest are still being evaluated
    nodes[size_t(i)].verdict = QStringLiteral("pending");
    nodes[size_t(i)].speedup = 0;
  }
  // The best path; the best few approved.
  int top = 0;
  for (int i = 0; i < n; ++i)
    if (nodes[size_t(i)].speedup > nodes[size_t(top)].speedup) top = i;
  std::vector<int64_t> parentOf(size_t(n) + 1, -1);
  for (const auto& v : nodes) parentOf[size_t(v.id)] = v.parentId;
  for (int64_t id = nodes[size_t(top)].id; id > 0; id = parentOf[size_t(id)])
    s.bestPath.insert(s.bestPath.begin(), id);
  nodes[size_t(top)].approved = true;
  for (size_t k = 0; k + 1 < best.size() && k < 2; ++k) nodes[size_t(best[k + 1])].approved = true;
  // Prune a few subtrees off the best path: each node of it and below is pruned.
  std::vector<char> onPath(size_t(n) + 1, 0), pruned(size_t(n) + 1, 0);
  for (int64_t id : s.bestPath) onPath[size_t(id)] = 1;
  for (int k = 0; k < std::max(1, n / 400); ++k) {
    const int i = int(rng() % uint64_t(n));
    if (!onPath[size_t(nodes[size_t(i)].id)] && nodes[size_t(i)].parentId > 0)
      pruned[size_t(nodes[size_t(i)].id)] = 1;
  }
  for (auto& v : nodes) {  // parents come before children
    if (v.parentId > 0 && pruned[size_t(v.parentId)] && !onPath[size_t(v.id)])
      pruned[size_t(v.id)] = 1;
    v.pruned = pruned[size_t(v.id)];
  }
  return s;
}

double ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t k = std::min(v.size() - 1, size_t(std::ceil(q * double(v.size()))) - 1);
  return v[k];
}

void processEvents(int msTime) {
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < msTime) QApplication::processEvents(QEventLoop::AllEvents, 5);
}

struct Figures {
  double layoutMs = 0, relayoutMs = 0, resetMs = 0;
  double fitMedian = 0, imageMedian = 0, imageP95 = 0, repaintMedian = 0, repaintP95 = 0;
  int depth = 0;
  double width = 0;
  double stallMs = 0, frameMax = 0;
  int added = 0;
};

bool printFrames = false;

Figures run(int n, double seconds, double chain) {
  Figures f;
  SyntheticSearch search = makeSearch(n, 42, chain);

  // Layout alone: the median of 7 full layouts, and a relayout after one more node.
  {
    kevo::layout::TidyTreeLayout layout;
    layout.reserve(size_t(n) + 8);
    for (const auto& v : search.nodes) layout.addNode(v.id, v.parentId);
    std::vector<double> times;
    for (int k = 0; k < 7; ++k) {
      auto t0 = std::chrono::steady_clock::now();
      layout.layout();
      times.push_back(ms(std::chrono::steady_clock::now() - t0));
    }
    f.layoutMs = percentile(times, 0.5);
    times.clear();
    for (int k = 0; k < 7; ++k) {
      layout.addNode(int64_t(n) + 1 + k, search.nodes[size_t(n) / 2].id);
      auto t0 = std::chrono::steady_clock::now();
      layout.layout();
      times.push_back(ms(std::chrono::steady_clock::now() - t0));
    }
    f.relayoutMs = percentile(times, 0.5);
    f.depth = layout.maxDepth();
    f.width = layout.width();
  }

  SearchTreeView view;
  view.setFrameShape(QFrame::NoFrame);
  view.setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  view.setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  view.resize(1600, 1000);
  view.show();
  processEvents(200);
  auto t0 = std::chrono::steady_clock::now();
  view.reset(search.nodes);
  view.setBestPath(search.bestPath);
  f.resetMs = ms(std::chrono::steady_clock::now() - t0);
  view.fitToView();
  processEvents(100);

  // Scripted pan/zoom: pan the whole tree, zoom in 16x towards the best node, pan there, zoom
  // back out. Each frame is painted twice: into a QImage (drawing cost alone) and on screen
  // with repaint() (drawing plus the flush to the X server).
  QImage image(1600, 1000, QImage::Format_ARGB32_Premultiplied);
  std::vector<double> imageTimes, repaintTimes, fitTimes;
  const QPointF centre(800, 500);
  const QPointF bestAt = view.nodePosition(search.bestPath.back());
  auto frame = [&](bool fit) {
    auto a = std::chrono::steady_clock::now();
    {
      QPainter p(&image);
      view.paintTree(p, QRect(0, 0, 1600, 1000));
    }
    const double t = ms(std::chrono::steady_clock::now() - a);
    imageTimes.push_back(t);
    if (fit) fitTimes.push_back(t);
    a = std::chrono::steady_clock::now();
    view.viewport()->repaint();
    repaintTimes.push_back(ms(std::chrono::steady_clock::now() - a));
    if (printFrames)
      std::printf("  frame %2zu zoom %7.3f image %6.2fms screen %6.2fms\n", imageTimes.size(),
                  view.zoom(), t, repaintTimes.back());
  };
  for (int k = 0; k < 20; ++k) {  // whole tree, panning a little
    view.horizontalScrollBar()->setValue(view.horizontalScrollBar()->value() + (k < 10 ? 6 : -6));
    frame(true);
  }
  const QPointF target = std::isnan(bestAt.x()) ? centre : bestAt;
  for (int k = 0; k < 20; ++k) {  // zoom in 16x towards the best node
    view.zoomBy(std::pow(16.0, 1 / 20.0), centre + (target - centre) * (1 - k / 20.0));
    frame(false);
  }
  for (int k = 0; k < 20; ++k) {  // pan around there
    view.horizontalScrollBar()->setValue(view.horizontalScrollBar()->value() + (k < 10 ? 40 : -40));
    view.verticalScrollBar()->setValue(view.verticalScrollBar()->value() + (k % 2 ? 25 : -20));
    frame(false);
  }
  for (int k = 0; k < 20; ++k) {  // and back out
    view.zoomBy(std::pow(1 / 16.0, 1 / 20.0), centre);
    frame(false);
  }
  f.fitMedian = percentile(fitTimes, 0.5);
  f.imageMedian = percentile(imageTimes, 0.5);
  f.imageP95 = percentile(imageTimes, 0.95);
  f.repaintMedian = percentile(repaintTimes, 0.5);
  f.repaintP95 = percentile(repaintTimes, 0.95);

  // Live growth: 20 nodes/s arrive from a timer (each a child of a random node, so the layout
  // shifts and the view animates), the whole tree in view, for `seconds`. A 5 ms probe timer
  // measures the event loop: the stall is the longest gap between its ticks beyond 5 ms.
  view.fitToView();
  processEvents(100);
  std::mt19937_64 rng(7);
  int64_t nextId = int64_t(n) + 100;
  QTimer feeder, probe;
  feeder.setTimerType(Qt::PreciseTimer);
  probe.setTimerType(Qt::PreciseTimer);
  QObject::connect(&feeder, &QTimer::timeout, [&] {
    TreeNodeVisual v = search.nodes[rng() % search.nodes.size()];
    v.parentId = v.id;
    v.id = nextId++;
    v.verdict = QStringLiteral("pending");
    v.speedup = 0;
    v.pinned = v.approved = v.pruned = false;
    view.addNode(v);
    ++f.added;
  });
  QElapsedTimer clock;
  qint64 last = -1;
  double worst = 0;
  QObject::connect(&probe, &QTimer::timeout, [&] {
    const qint64 now = clock.nsecsElapsed();
    if (last >= 0) worst = std::max(worst, (now - last) / 1e6 - 5.0);
    last = now;
  });
  clock.start();
  feeder.start(50);
  probe.start(5);
  processEvents(int(seconds * 1000));
  feeder.stop();
  probe.stop();
  f.stallMs = worst;
  return f;
}

void shots(const QString& dir) {
  auto save = [&](SearchTreeView& view, const QString& name) {
    processEvents(400);  // let animations settle
    const QString path = dir + "/" + name;
    view.grab().save(path);
    std::printf("wrote %s\n", path.toUtf8().constData());
  };
  SyntheticSearch small = makeSearch(260, 5);
  {
    SearchTreeView view;
    view.resize(1600, 1000);
    view.show();
    view.reset(small.nodes);
    view.setBestPath(small.bestPath);
    view.fitToView();
    view.setSelected(small.bestPath.back());
    save(view, "tree_fit_260.png");
    // Collapse two big subtrees, then zoom into the best path.
    std::vector<std::pair<int, int64_t>> sizes;
    for (const auto& v : small.nodes) {
      int c = 0;
      for (const auto& w : small.nodes) c += w.parentId == v.id;
      sizes.emplace_back(c, v.id);
    }
    std::sort(sizes.rbegin(), sizes.rend());
    for (size_t k = 0, done = 0; k < sizes.size() && done < 1; ++k)
      if (std::find(small.bestPath.begin(), small.bestPath.end(), sizes[k].second) ==
          small.bestPath.end()) {
        view.setCollapsed(sizes[k].second, true);
        ++done;
      }
    view.setLegendVisible(false);
    view.zoomBy(4.5, view.nodePosition(small.bestPath[small.bestPath.size() / 2]));
    view.centerOn(small.bestPath[small.bestPath.size() * 2 / 3]);
    save(view, "tree_zoom_260.png");
    view.setLegendVisible(true);
    view.setLayoutMode(SearchTreeView::Mode::Radial);
    save(view, "tree_radial_260.png");
  }
  {
    // Every verdict, operator and mark once, zoomed in.
    auto make = [](int64_t id, int64_t parent, double speedup, const char* verdict, const char* op,
                   const char* label) {
      TreeNodeVisual v;
      v.id = id;
      v.parentId = parent;
      v.speedup = speedup;
      v.verdict = verdict;
      v.memoryOperator = op;
      v.label = label;
      return v;
    };
    std::vector<TreeNodeVisual> nodes = {
        make(1, -1, 1.0, "ok", "root", "baseline recipe"),
        make(2, 1, 1.4, "ok", "inherit", "VEC 4→8"),
        make(3, 1, 0, "compile_error", "siblings", "U 2→8"),
        make(4, 1, 0.8, "ok", "fresh", "tiled rewrite"),
        make(5, 2, 2.1, "ok", "combined", "PF 1→2"),
        make(6, 2, 0, "crash", "inherit", "VEC 8→16"),
        make(7, 2, 0, "timeout", "siblings", "THREADS 2→8"),
        make(8, 5, 3.2, "ok", "inherit", "ACC 2→4"),
        make(9, 5, 0, "wrong_answer", "combined", "fast-math"),
        make(10, 5, 0, "rejected", "fresh", "memoize"),
        make(11, 8, 3.9, "ok", "user", "hand-tuned"),
        make(12, 8, 0, "pending", "inherit", "U 4→8"),
        make(13, 4, 0, "lost", "inherit", "worker died"),
        make(14, 4, 0.9, "ok", "siblings", "TILE 32→64"),
        make(15, 14, 0.7, "ok", "inherit", "TILE 64→128"),
        make(16, 14, 1.1, "ok", "inherit", "PF 2→4"),
        make(17, 16, 1.2, "ok", "inherit", "U 2→4"),
        make(18, 3, 1.6, "ok", "inherit", "fix: U 2→4"),
    };
    nodes[10].userMade = true;
    nodes[10].approved = true;
    nodes[7].pinned = true;
    nodes[13].pruned = nodes[14].pruned = nodes[15].pruned = nodes[16].pruned = true;
    SearchTreeView view;
    view.resize(1400, 720);
    view.show();
    view.reset(nodes);
    view.setBestPath({1, 2, 5, 8, 11});
    view.setCollapsed(16, true);
    view.fitToView();
    view.setSelected(8);
    save(view, "tree_marks.png");
  }
  SyntheticSearch big = makeSearch(10000, 42);
  {
    SearchTreeView view;
    view.resize(1600, 1000);
    view.show();
    view.reset(big.nodes);
    view.setBestPath(big.bestPath);
    view.fitToView();
    save(view, "tree_fit_10000.png");
    view.zoomBy(6, view.nodePosition(big.bestPath.back()));
    save(view, "tree_mid_10000.png");
  }
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  std::vector<int> sizes = {1000, 10000, 50000};
  double seconds = 5;
  double chain = 0.4;
  QString shotDir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      for (const auto& part : QString(argv[++i]).split(',')) sizes.push_back(part.toInt());
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--deep") {
      chain = 0.85;
    } else if (a == "--frames") {
      printFrames = true;
    } else if (a == "--shots" && i + 1 < argc) {
      shotDir = argv[++i];
    } else {
      std::fprintf(
          stderr,
          "usage: %s [--sizes 1000,10000,50000] [--seconds 5] [--deep] [--frames] [--shots DIR]\n",
          argv[0]);
      return 2;
    }
  }
  if (!shotDir.isEmpty()) {
    shots(shotDir);
    return 0;
  }
  std::printf("platform %s, 1600x1000, %.0f s of live growth at 20 nodes/s per size\n",
              QApplication::platformName().toUtf8().constData(), seconds);
  std::printf("%8s %6s %7s | %9s %9s %8s | %8s | %10s %9s | %10s %9s | %8s\n", "nodes", "depth",
              "width", "layout", "relayout", "reset", "fit", "image med", "image p95", "screen med",
              "scr p95", "stall");
  for (int n : sizes) {
    const Figures f = run(n, seconds, chain);
    std::printf(
        "%8d %6d %7.0f | %7.2fms %7.2fms %6.1fms | %6.2fms | %8.2fms %7.2fms | %8.2fms %7.2fms "
        "| %6.1fms\n",
        n, f.depth, f.width, f.layoutMs, f.relayoutMs, f.resetMs, f.fitMedian, f.imageMedian,
        f.imageP95, f.repaintMedian, f.repaintP95, f.stallMs);
    std::fflush(stdout);
  }
  return 0;
}
