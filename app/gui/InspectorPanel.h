// The inspector of the selected node: Source (with compile diagnostics), Diff (against its
// parent, a chosen node, or the pinned baseline), Context (memory operator, the nodes it drew
// on, the diagnosis, the synthesizer's input), Evaluation (verdict and the per shape set
// table), Profile (roofline with this node, its parent, the best and the baseline, and the
// node's Nsight Compute profile when the session holds one).
#pragma once

#include <QTabWidget>
#include <optional>

#include "EvaluationTableModel.h"
#include "backend/CompileDiagnostic.h"
#include "hw/HardwareInfo.h"
#include "search/SearchNode.h"
#include "store/NodeProfiles.h"

class QLabel;
class QTextBrowser;
class QTableView;
class QComboBox;

namespace kevo::widgets {
class SourceView;
class DiagnosticsList;
class DiffView;
class RooflineChart;
}  // namespace kevo::widgets

namespace kevo::app {

class NodeTableModel;

class InspectorPanel : public QTabWidget {
  Q_OBJECT

 public:
  InspectorPanel(const NodeTableModel& nodes, QWidget* parent = nullptr);
  void setHardware(const hw::HardwareInfo& hw) { hardware_ = hw; }
  // "cpu" or "cuda": names the warm ceiling (L1 on a CPU, L2 on a GPU).
  void setBackend(const std::string& backend) { backend_ = backend; }
  void showNode(std::optional<int64_t> id);        // refills every tab
  void setCompareWith(std::optional<int64_t> id);  // the diff's left side (default: parent)
  void setPinnedBaseline(int64_t id);              // 0: the problem's baseline
  void setDiagnostics(int64_t nodeId, const std::vector<backend::CompileDiagnostic>& d);
  // The session's Nsight Compute profiles by node; the shown node's appears under its roofline.
  void setNcuProfiles(const store::NodeProfiles& profiles);
  void setSessionFile(const QString& file) { sessionFile_ = file; }
  std::optional<int64_t> shownNode() const { return shown_; }

 signals:
  void nodeLinkActivated(int64_t id);

 private:
  void fillSource(const search::SearchNode& n);
  void fillDiff(const search::SearchNode& n);
  void fillContext(const search::SearchNode& n);
  void fillEvaluation(const search::SearchNode& n);
  void fillProfile(const search::SearchNode& n);
  void fillNcu(const search::SearchNode& n);

  const NodeTableModel& nodes_;
  hw::HardwareInfo hardware_;
  std::string backend_ = "cpu";
  std::optional<int64_t> shown_, compareWith_;
  int64_t pinnedBaseline_ = 0;
  widgets::SourceView* source_;
  widgets::DiagnosticsList* diagnostics_;
  widgets::DiffView* diff_;
  QTextBrowser* context_;
  QLabel* verdict_;
  QTableView* evalTable_;
  EvaluationTableModel evalModel_;
  widgets::RooflineChart* roofline_;
  QComboBox* rooflineShapeSet_;
  QLabel* bottleneck_;
  QLabel* ncu_;
  store::NodeProfiles ncuProfiles_;
  QString sessionFile_;
};

}  // namespace kevo::app
