// kevo: the desktop workbench. `kevo [SESSION]` opens a session (or starts empty);
// `kevo --screenshots DIR SESSION` opens SESSION, selects its best node and saves the main
// window and every inspector tab as PNGs in DIR (the README's images come from it).
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QThread>
#include <QTimer>
#include <optional>

#include "InspectorPanel.h"
#include "MainWindow.h"

namespace {

int screenshots(kevo::app::MainWindow& window, const QString& dir, const QString& session) {
  QDir().mkpath(dir);
  window.resize(1600, 1000);
  window.show();
  if (!window.openSession(session)) return 3;
  auto settle = [] {
    for (int i = 0; i < 20; ++i) {
      QApplication::processEvents();
      QThread::msleep(25);
    }
  };
  settle();
  // Show a node that has a parent, so the diff and the roofline have something to compare.
  std::optional<int64_t> shown;
  double score = -1e300;
  for (const auto& n : window.nodeModel().nodes())
    if (n.ok() && n.parentId > 0 && n.score > score) {
      shown = n.id;
      score = n.score;
    }
  if (shown) window.selectNode(shown);
  settle();
  bool ok = window.grab().save(dir + "/main-window.png");
  auto* inspector = window.inspector();
  const char* names[] = {"source", "diff", "context", "evaluation", "profile"};
  for (int i = 0; i < inspector->count() && i < 5; ++i) {
    inspector->setCurrentIndex(i);
    settle();
    ok = inspector->grab().save(dir + "/inspector-" + names[i] + ".png") && ok;
  }
  return ok ? 0 : 4;
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("Kevo");
  QApplication::setApplicationName("Kevo");
  QCommandLineParser parser;
  parser.setApplicationDescription("Kevo: search-based kernel optimization workbench");
  parser.addHelpOption();
  QCommandLineOption shots("screenshots", "Save screenshots of SESSION into DIR, then quit.",
                           "DIR");
  parser.addOption(shots);
  parser.addPositionalArgument("session", "A session file (.kevo) to open.");
  parser.process(app);

  kevo::app::MainWindow window;
  const QStringList args = parser.positionalArguments();
  if (parser.isSet(shots)) {
    if (args.size() != 1) {
      fprintf(stderr, "kevo: --screenshots DIR needs one session file\n");
      return 2;
    }
    return screenshots(window, parser.value(shots), args[0]);
  }
  window.resize(1600, 1000);
  window.show();
  if (!args.isEmpty())
    QTimer::singleShot(0, &window, [&window, f = args[0]] { window.openSession(f); });
  return app.exec();
}
