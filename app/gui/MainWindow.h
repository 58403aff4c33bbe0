// Kevo's main window: the live search tree in the centre; docks for the inspector, the charts,
// the node list with its filters, and the log; a toolbar to run, pause, step and stop with the
// progress always visible. Steering from the tree's context menu, the Node menu and shortcuts;
// reversible actions go through the undo stack. Layout, recent sessions and settings persist.
#pragma once

#include <QElapsedTimer>
#include <QMainWindow>
#include <QUndoStack>
#include <optional>

#include "NodeTableModel.h"
#include "SessionController.h"

class QLabel;
class QProcess;
class QTableView;
class QPlainTextEdit;
class QLineEdit;
class QComboBox;
class QCheckBox;
class QDoubleSpinBox;
class QSpinBox;
class QMenu;
class QAction;

namespace kevo::widgets {
class SearchTreeView;
class ProgressChart;
class OperatorPayoffChart;
struct TreeNodeVisual;
}  // namespace kevo::widgets

namespace kevo::app {

class InspectorPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  bool openSession(const QString& file);
  void selectNode(std::optional<int64_t> id);
  std::optional<int64_t> selectedNode() const { return selected_; }
  InspectorPanel* inspector() const { return inspector_; }
  SessionController& controller() { return controller_; }
  const NodeTableModel& nodeModel() const { return nodeModel_; }
  QUndoStack& undoStack() { return undo_; }
  // Steering on the selected node (also reachable from menus and shortcuts).
  void pinSelected(bool pin);
  void pruneSelected(bool prune);
  void expandSelected(const QString& memoryOperator, const QString& hint);
  void editAndEvaluateSelected(const QString& newSource);
  void pinSelectedAsBaseline();
  // Runs `kevo-cli profile FILE --node N` (Nsight Compute) in the background; the stored
  // profile then shows in the Profile tab, a failure in an error message.
  void profileSelected();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildActions();
  void buildDocks();
  void buildToolbar();
  void onSessionOpened(const QString& file, const std::vector<search::SearchNode>& nodes);
  void onSessionClosed();
  void onNodeAdded(const search::SearchNode& n);
  void onNodeUpdated(const search::SearchNode& n);
  void refreshProgress();
  void refreshBestPath();
  void refreshPayoff();
  void applyFilters();
  void updateActions();
  void showContextMenu(int64_t id, const QPoint& globalPos);
  void newSession();
  void openDialog();
  void addRecent(const QString& file);
  void rebuildRecentMenu();
  void loadDiagnostics(const search::SearchNode& n);
  void error(const QString& text);
  widgets::TreeNodeVisual visual(const search::SearchNode& n) const;

  SessionController controller_;
  NodeTableModel nodeModel_;
  NodeFilterProxy proxy_;
  QUndoStack undo_;
  widgets::SearchTreeView* tree_ = nullptr;
  InspectorPanel* inspector_ = nullptr;
  widgets::ProgressChart* progressChart_ = nullptr;
  widgets::OperatorPayoffChart* payoffChart_ = nullptr;
  QTableView* nodeTable_ = nullptr;
  QPlainTextEdit* log_ = nullptr;
  QLabel* progress_ = nullptr;
  QLineEdit* filterText_ = nullptr;
  QComboBox* filterVerdict_ = nullptr;
  QComboBox* filterOperator_ = nullptr;
  QDoubleSpinBox* filterMin_ = nullptr;
  QDoubleSpinBox* filterMax_ = nullptr;
  QCheckBox* filterBest_ = nullptr;
  QSpinBox* runBudget_ = nullptr;
  QMenu* recentMenu_ = nullptr;
  QMenu* nodeMenu_ = nullptr;
  QAction *runAction_, *pauseAction_, *stepAction_, *stopAction_, *closeAction_;
  QAction *pinAction_, *pruneAction_, *baselineAction_, *editAction_, *copyAction_, *exportAction_,
      *compareAction_, *hintAction_, *profileAction_;
  QProcess* profiling_ = nullptr;  // the kevo-cli profile run in progress
  std::optional<int64_t> selected_;
  int64_t pinnedBaseline_ = 0;
  int evaluatedCount_ = 0;
  bool paused_ = false;
  QElapsedTimer elapsed_;
  uint64_t diagnosticsGeneration_ = 0;
};

}  // namespace kevo::app
