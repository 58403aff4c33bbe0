#include "InspectorPanel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <cmath>

#include "DiagnosticsList.h"
#include "DiffView.h"
#include "NodeTableModel.h"
#include "RooflineChart.h"
#include "SourceView.h"

namespace kevo::app {

namespace {

QString html(const std::string& s) {
  return QString::fromStdString(s).toHtmlEscaped();
}

QString nodeTitle(const search::SearchNode& n) {
  return QString("node %1 (%2)")
      .arg(n.id)
      .arg(n.recipe.empty() ? QString("user edit") : QString::fromStdString(n.recipe));
}

}  // namespace

InspectorPanel::InspectorPanel(const NodeTableModel& nodes, QWidget* parent)
    : QTabWidget(parent), nodes_(nodes) {
  // Source
  auto* sourceTab = new QSplitter(Qt::Vertical);
  source_ = new widgets::SourceView;
  diagnostics_ = new widgets::DiagnosticsList;
  sourceTab->addWidget(source_);
  sourceTab->addWidget(diagnostics_);
  sourceTab->setStretchFactor(0, 4);
  sourceTab->setStretchFactor(1, 1);
  widgets::connectDiagnostics(diagnostics_, source_);
  addTab(sourceTab, "Source");

  diff_ = new widgets::DiffView;
  addTab(diff_, "Diff");

  context_ = new QTextBrowser;
  context_->setOpenLinks(false);
  connect(context_, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
    if (url.scheme() == "node") emit nodeLinkActivated(url.path().toLongLong());
  });
  addTab(context_, "Context");

  auto* evalTab = new QWidget;
  auto* evalLayout = new QVBoxLayout(evalTab);
  verdict_ = new QLabel;
  verdict_->setObjectName("evaluationVerdict");
  verdict_->setWordWrap(true);
  verdict_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  evalTable_ = new QTableView;
  evalTable_->setModel(&evalModel_);
  evalTable_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  evalTable_->verticalHeader()->hide();
  evalLayout->addWidget(verdict_);
  evalLayout->addWidget(evalTable_, 1);
  addTab(evalTab, "Evaluation");

  auto* profileTab = new QWidget;
  auto* profileLayout = new QVBoxLayout(profileTab);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel("Shape set:"));
  rooflineShapeSet_ = new QComboBox;
  top->addWidget(rooflineShapeSet_);
  top->addStretch();
  profileLayout->addLayout(top);
  roofline_ = new widgets::RooflineChart;
  profileLayout->addWidget(roofline_, 1);
  bottleneck_ = new QLabel;
  bottleneck_->setWordWrap(true);
  profileLayout->addWidget(bottleneck_);
  ncu_ = new QLabel;
  ncu_->setObjectName("ncuProfile");
  ncu_->setWordWrap(true);
  ncu_->setTextFormat(Qt::RichText);
  ncu_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  profileLayout->addWidget(ncu_);
  connect(rooflineShapeSet_, &QComboBox::currentIndexChanged, this, [this] {
    if (shown_)
      if (const auto* n = nodes_.node(*shown_)) fillProfile(*n);
  });
  addTab(profileTab, "Profile");
}

void InspectorPanel::showNode(std::optional<int64_t> id) {
  if (id != shown_) compareWith_.reset();
  shown_ = id;
  const search::SearchNode* n = id ? nodes_.node(*id) : nullptr;
  if (!n) {
    source_->setText("");
    diagnostics_->setDiagnostics({});
    context_->setHtml("<p>Select a node in the tree.</p>");
    verdict_->clear();
    evalModel_.setNode(std::nullopt, std::nullopt);
    return;
  }
  fillSource(*n);
  fillDiff(*n);
  fillContext(*n);
  fillEvaluation(*n);
  fillProfile(*n);
}

void InspectorPanel::setCompareWith(std::optional<int64_t> id) {
  compareWith_ = id;
  if (shown_)
    if (const auto* n = nodes_.node(*shown_)) fillDiff(*n);
}

void InspectorPanel::setPinnedBaseline(int64_t id) {
  pinnedBaseline_ = id;
  showNode(shown_);
}

void InspectorPanel::setDiagnostics(int64_t nodeId,
                                    const std::vector<backend::CompileDiagnostic>& d) {
  if (!shown_ || *shown_ != nodeId) return;  // the user has moved on: a late answer is dropped
  source_->setDiagnostics(d);
  diagnostics_->setDiagnostics(d);
}

void InspectorPanel::fillSource(const search::SearchNode& n) {
  source_->setText(QString::fromStdString(n.source));
  source_->setDiagnostics({});
  diagnostics_->setDiagnostics({});
}

void InspectorPanel::fillDiff(const search::SearchNode& n) {
  const search::SearchNode* left = nullptr;
  QString role = "parent";
  if (compareWith_) {
    left = nodes_.node(*compareWith_);
    role = "chosen";
  } else if (pinnedBaseline_ && pinnedBaseline_ != n.id) {
    left = nodes_.node(pinnedBaseline_);
    role = "pinned baseline";
  } else if (n.parentId > 0) {
    left = nodes_.node(n.parentId);
  }
  if (!left) {
    diff_->showMessage(nodeTitle(n) +
                       " is a root: it has no parent to compare with. "
                       "Node > Compare with node... or pin another node as the baseline.");
    return;
  }
  diff_->setTexts(nodeTitle(*left) + " (" + role + ")", QString::fromStdString(left->source),
                  nodeTitle(n), QString::fromStdString(n.source));
}

void InspectorPanel::fillContext(const search::SearchNode& n) {
  QString h;
  h += QString("<h3>%1</h3>").arg(nodeTitle(n).toHtmlEscaped());
  h += "<table cellspacing=4>";
  auto row = [&](const QString& k, const QString& v) {
    h += "<tr><td><b>" + k + "</b></td><td>" + v + "</td></tr>";
  };
  row("Memory operator", html(n.memoryOperator));
  if (n.parentId > 0) row("Parent", QString("<a href='node:%1'>node %1</a>").arg(n.parentId));
  row("Change", html(n.change));
  row("Why", html(n.reason));
  if (!n.recipe.empty()) {
    QString knobs;
    for (const auto& [k, v] : n.knobs)
      knobs += QString("%1=%2 ").arg(QString::fromStdString(k)).arg(v);
    row("Recipe", html(n.recipe) + " &nbsp; <code>" + knobs.toHtmlEscaped() + "</code>");
  }
  const auto& c = n.context;
  if (c.is_object()) {
    row("Diagnosis", html(c.value("diagnosis", std::string("-"))));
    if (!c.value("hint", std::string()).empty())
      row("User hint", html(c.value("hint", std::string())));
    row("Synthesizer", html(c.value("synthesizer", std::string(n.userMade ? "a person" : "-"))));
  }
  h += "</table>";
  if (c.is_object() && c.contains("prior") && c["prior"].is_array()) {
    h += QString("<p><b>Nodes the %1 operator gave the synthesizer</b> (%2):</p><ul>")
             .arg(html(n.memoryOperator))
             .arg(c["prior"].empty() ? "none: a clean slate" : QString::number(c["prior"].size()));
    for (const auto& p : c["prior"]) {
      int64_t pid = p.value("id", int64_t(0));
      QString v = p.value("ok", false)
                      ? QString("%1x").arg(std::exp(p.value("score", 0.0)), 0, 'f', 2)
                      : html(p.value("verdict", std::string()));
      h += QString("<li><a href='node:%1'>node %1</a> %2 &mdash; %3, %4</li>")
               .arg(pid)
               .arg(html(p.value("recipe", std::string())))
               .arg(v)
               .arg(html(p.value("change", std::string())));
    }
    h += "</ul>";
  }
  if (n.userMade && c.contains("edited_from"))
    h += QString("<p>Edited by hand from <a href='node:%1'>node %1</a>.</p>")
             .arg(c.value("edited_from", int64_t(0)));
  h += "<p><b>Exact synthesizer input</b></p><pre>" + html(c.dump(2)) + "</pre>";
  context_->setHtml(h);
}

void InspectorPanel::fillEvaluation(const search::SearchNode& n) {
  QString v = n.verdict.empty() ? (n.status == search::NodeStatus::Lost
                                       ? "lost (in flight when the search stopped)"
                                       : "pending")
                                : QString::fromStdString(n.verdict);
  QString text = "<b>Verdict:</b> " + v.toHtmlEscaped();
  if (!n.detail.empty()) text += "<br>" + html(n.detail);
  if (n.ok())
    text += QString("<br><b>Score:</b> mean speedup %1x over the problem baseline")
                .arg(std::exp(n.score), 0, 'f', 2);
  // ptxas's resource report of a CUDA kernel: the same in every shape set, so the first one's.
  if (!n.summary.empty())
    for (const auto& k : n.summary.begin()->value("kernel_resources", nlohmann::json::array()))
      if (k.is_string()) text += "<br><b>Kernel</b> " + html(k.get<std::string>());
  verdict_->setText(text);
  std::optional<search::SearchNode> pinned;
  if (pinnedBaseline_ && nodes_.node(pinnedBaseline_)) pinned = *nodes_.node(pinnedBaseline_);
  evalModel_.setNode(n, pinned);
}

void InspectorPanel::fillProfile(const search::SearchNode& n) {
  QString wanted = rooflineShapeSet_->currentText();
  QStringList names;
  for (const auto& [name, s] : n.summary.items()) names << QString::fromStdString(name);
  if (names != QStringList([this] {
        QStringList l;
        for (int i = 0; i < rooflineShapeSet_->count(); ++i) l << rooflineShapeSet_->itemText(i);
        return l;
      }())) {
    QSignalBlocker block(rooflineShapeSet_);
    rooflineShapeSet_->clear();
    rooflineShapeSet_->addItems(names);
    if (names.contains(wanted)) rooflineShapeSet_->setCurrentText(wanted);
  }
  std::string shape = rooflineShapeSet_->currentText().toStdString();
  bool cold = true;
  double bandwidth = hardware_.dramBandwidthGBs;
  double peak = hardware_.peakGflops;
  if (n.summary.contains(shape)) {
    // The ceilings the evaluation used: DRAM for cold shape sets, the cache for warm ones, and
    // the compute roof of the machine that ran it.
    cold = n.summary[shape].value("cache", std::string("cold")) == "cold";
    bandwidth = n.summary[shape].value(
        "bandwidth_ceiling_gbs", cold ? hardware_.dramBandwidthGBs : hardware_.cacheBandwidthGBs);
    // Sessions written before the summary carried it: this machine's CPU roof is right only
    // for CPU sessions; a GPU session then shows no roofline rather than a wrong one.
    double fallback = backend_ == "cuda" ? 0.0 : hardware_.peakGflops;
    peak = n.summary[shape].value("compute_ceiling_gflops", fallback);
  }
  QString warm = backend_ == "cuda" ? "L2" : "L1";
  roofline_->setCeilings(bandwidth, peak, cold ? QString("DRAM") : warm);
  roofline_->setTitle(QString("Roofline, shape set %1").arg(QString::fromStdString(shape)));
  std::vector<widgets::RooflinePointVisual> points;
  auto add = [&](const search::SearchNode* m, widgets::RooflinePointVisual::Role role,
                 const QString& name) {
    if (!m || !m->ok() || !m->summary.contains(shape)) return;
    const auto& s = m->summary[shape];
    widgets::RooflinePointVisual p;
    p.name = name;
    p.gflops = s.value("achieved_gflops", 0.0);
    p.gbps = s.value("achieved_gbs", 0.0);
    p.intensity = p.gbps > 0 ? p.gflops / p.gbps : 0;
    p.seconds = s.value("median_seconds", 0.0);
    p.fractionOfFloor = s.value("fraction_of_floor", 0.0);
    p.bottleneck = QString::fromStdString(s.value("bottleneck", ""));
    p.role = role;
    points.push_back(p);
  };
  using Role = widgets::RooflinePointVisual::Role;
  add(&n, Role::Node, QString("node %1").arg(n.id));
  if (n.parentId > 0)
    add(nodes_.node(n.parentId), Role::Parent, QString("parent (node %1)").arg(n.parentId));
  if (auto best = nodes_.best(); best && *best != n.id)
    add(nodes_.node(*best), Role::Best, QString("session best (node %1)").arg(*best));
  if (pinnedBaseline_ && pinnedBaseline_ != n.id) {
    add(nodes_.node(pinnedBaseline_), Role::Baseline,
        QString("pinned baseline (node %1)").arg(pinnedBaseline_));
  } else if (n.summary.contains(shape)) {
    // The problem's baseline, timed in the same run: same work, its own time.
    const auto& s = n.summary[shape];
    double t = s.value("median_seconds", 0.0), b = s.value("baseline_seconds", 0.0);
    if (t > 0 && b > 0) {
      widgets::RooflinePointVisual p;
      p.name = "problem baseline";
      p.gflops = s.value("achieved_gflops", 0.0) * t / b;
      p.gbps = s.value("achieved_gbs", 0.0) * t / b;
      p.intensity = p.gbps > 0 ? p.gflops / p.gbps : 0;
      p.seconds = b;
      p.fractionOfFloor = s.value("fraction_of_floor", 0.0) * t / b;
      p.bottleneck = "";
      p.role = Role::Baseline;
      points.push_back(p);
    }
  }
  roofline_->setPoints(points);
  bottleneck_->setText(n.summary.contains(shape)
                           ? QString::fromStdString(n.summary[shape].value("explanation", ""))
                           : QString("No profile: the node has no successful evaluation."));
  fillNcu(n);
}

namespace {

QString percentText(const nlohmann::json& v) {
  return v.is_number() ? QString::number(v.get<double>(), 'f', 1) + "%" : QString("-");
}

}  // namespace

void InspectorPanel::fillNcu(const search::SearchNode& n) {
  auto it = ncuProfiles_.find(n.id);
  if (it == ncuProfiles_.end()) {
    ncu_->setVisible(backend_ == "cuda");
    ncu_->setText(QString("<i>No Nsight Compute profile of this node yet: Node &gt; Profile with "
                          "Nsight Compute, or <code>kevo-cli profile %1 --node %2</code> (a "
                          "CUDA search profiles its best node itself when ncu is installed).</i>")
                      .arg(sessionFile_.isEmpty() ? QString("FILE") : sessionFile_.toHtmlEscaped())
                      .arg(n.id));
    return;
  }
  const nlohmann::json& p = it->second;
  QString h = QString("<b>Nsight Compute</b> (%1 shape set, %2; the call's verdict: %3)")
                  .arg(html(p.value("shape_set", "")), html(p.value("created_at", "")),
                       html(p.value("verdict", "")));
  for (const auto& k : p.value("kernels", nlohmann::json::array())) {
    h += "<br>kernel <b>" + html(k.value("kernel", "")) + "</b> grid " + html(k.value("grid", "")) +
         " block " + html(k.value("block", "")) + ": memory SOL " +
         percentText(k["memory_sol_pct"]) + ", compute SOL " + percentText(k["compute_sol_pct"]) +
         ", DRAM " + percentText(k["dram_pct"]);
    if (k["dram_gbs"].is_number())
      h += QString(" (%1 GB/s)").arg(k["dram_gbs"].get<double>(), 0, 'f', 0);
    h += ", occupancy " + percentText(k["achieved_occupancy_pct"]) + " of " +
         percentText(k["theoretical_occupancy_pct"]);
    if (k["registers_per_thread"].is_number())
      h += QString(", %1 registers/thread").arg(k["registers_per_thread"].get<double>());
    if (k["shared_bytes_per_block"].is_number())
      h += QString(", %1 B shared/block").arg(k["shared_bytes_per_block"].get<double>());
    QStringList stalls;
    for (const auto& s : k.value("stalls", nlohmann::json::array()))
      if (stalls.size() < 3)
        stalls << html(s.value("reason", "")) + " " +
                      QString::number(s.value("cycles_per_issue", 0.0), 'f', 1);
    if (!stalls.isEmpty()) h += "; stalls (cycles per instruction): " + stalls.join(", ");
    h += "<br><i>" + html(k.value("diagnosis", "")) + "</i>";
  }
  ncu_->setVisible(true);
  ncu_->setText(h);
}

void InspectorPanel::setNcuProfiles(const store::NodeProfiles& profiles) {
  ncuProfiles_ = profiles;
  if (shown_)
    if (const auto* n = nodes_.node(*shown_)) fillNcu(*n);
}

}  // namespace kevo::app
