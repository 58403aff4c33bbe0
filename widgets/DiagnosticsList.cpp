#include "DiagnosticsList.h"

#include <QFileInfo>
#include <QHeaderView>
#include <QPainter>

#include "SourceView.h"

namespace kevo::widgets {

namespace {

QIcon severityIcon(const std::string& severity) {
  QColor fill("#8c959f");
  if (severity == "error" || severity == "fatal error") fill = QColor("#cf222e");
  if (severity == "warning") fill = QColor("#d4a72c");
  QPixmap pm(14, 14);
  pm.fill(Qt::transparent);
  QPainter p(&pm);
  p.setRenderHint(QPainter::Antialiasing);
  p.setPen(fill.darker(130));
  p.setBrush(fill);
  p.drawEllipse(QRectF(2, 2, 10, 10));
  return QIcon(pm);
}

}  // namespace

DiagnosticsList::DiagnosticsList(QWidget* parent) : QTreeWidget(parent) {
  setColumnCount(3);
  setHeaderLabels({tr("Severity"), tr("Location"), tr("Message")});
  setRootIsDecorated(false);
  setUniformRowHeights(true);
  setAlternatingRowColors(true);
  setSelectionMode(SingleSelection);
  header()->setStretchLastSection(true);
  header()->setSectionResizeMode(SeverityColumn, QHeaderView::ResizeToContents);
  header()->setSectionResizeMode(LocationColumn, QHeaderView::ResizeToContents);
  auto pick = [this](QTreeWidgetItem* item) {
    const int index = indexOfTopLevelItem(item);
    if (index >= 0 && index < int(diagnostics_.size())) activate(index);
  };
  connect(this, &QTreeWidget::itemClicked, this, pick);
  connect(this, &QTreeWidget::itemActivated, this, pick);
}

void DiagnosticsList::setDiagnostics(const std::vector<backend::CompileDiagnostic>& diagnostics) {
  diagnostics_ = diagnostics;
  errors_ = warnings_ = 0;
  clear();
  QList<QTreeWidgetItem*> items;
  for (const auto& d : diagnostics_) {
    if (d.severity == "error" || d.severity == "fatal error") ++errors_;
    if (d.severity == "warning") ++warnings_;
    QString where = QFileInfo(QString::fromStdString(d.file)).fileName();
    if (d.line > 0) where += QString(":%1").arg(d.line);
    if (d.column > 0) where += QString(":%1").arg(d.column);
    auto* item = new QTreeWidgetItem(
        {QString::fromStdString(d.severity), where, QString::fromStdString(d.message)});
    item->setIcon(SeverityColumn, severityIcon(d.severity));
    item->setToolTip(MessageColumn, QString::fromStdString(d.message));
    if (d.severity == "note") item->setForeground(MessageColumn, QColor("#57606a"));
    items.append(item);
  }
  addTopLevelItems(items);
}

QString DiagnosticsList::summary() const {
  if (diagnostics_.empty()) return tr("no diagnostics");
  const int notes = int(diagnostics_.size()) - errors_ - warnings_;
  QStringList parts;
  if (errors_) parts << (errors_ == 1 ? tr("1 error") : tr("%1 errors").arg(errors_));
  if (warnings_) parts << (warnings_ == 1 ? tr("1 warning") : tr("%1 warnings").arg(warnings_));
  if (notes) parts << (notes == 1 ? tr("1 note") : tr("%1 notes").arg(notes));
  return parts.join(", ");
}

void DiagnosticsList::selectLine(int line) {
  for (int i = 0; i < int(diagnostics_.size()); ++i) {
    if (diagnostics_[size_t(i)].line == line) {
      const QSignalBlocker block(this);
      setCurrentItem(topLevelItem(i));
      scrollToItem(topLevelItem(i));
      return;
    }
  }
}

void DiagnosticsList::activate(int index) {
  if (index < 0 || index >= int(diagnostics_.size())) return;
  if (currentItem() != topLevelItem(index)) {
    const QSignalBlocker block(this);
    setCurrentItem(topLevelItem(index));
  }
  const auto& d = diagnostics_[size_t(index)];
  emit diagnosticActivated(d.line, d.column);
}

void connectDiagnostics(DiagnosticsList* list, SourceView* view) {
  QObject::connect(list, &DiagnosticsList::diagnosticActivated, view,
                   [list, view](int line, int column) {
                     // A diagnostic in another file (a header) has no line in this view.
                     const int i = list->indexOfTopLevelItem(list->currentItem());
                     if (i >= 0 && i < int(list->diagnostics().size()) &&
                         !view->isShownHere(list->diagnostics()[size_t(i)]))
                       return;
                     if (line <= 0) return;
                     view->jumpTo(line, column);
                     view->setFocus(Qt::OtherFocusReason);
                   });
  QObject::connect(view, &SourceView::diagnosticActivated, list, &DiagnosticsList::selectLine);
  QObject::connect(view, &SourceView::diagnosticsChanged, list, &DiagnosticsList::setDiagnostics);
  list->setDiagnostics(view->diagnostics());
}

}  // namespace kevo::widgets
