#include "NewSessionDialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>

#include "problem/ProblemLibrary.h"
#include "synth/Recipe.h"

namespace kevo::app {

NewSessionDialog::NewSessionDialog(QWidget* parent) : QDialog(parent) {
  setWindowTitle("New search session");
  auto* form = new QFormLayout;
  problem_ = new QComboBox;
  for (const auto& d : problem::bundledProblemDirs())
    problem_->addItem(QString::fromStdString(d.filename().string()),
                      QString::fromStdString(d.string()));
  auto* browse = new QPushButton("Folder...");
  connect(browse, &QPushButton::clicked, this, [this] {
    QString dir = QFileDialog::getExistingDirectory(this, "Problem folder");
    if (dir.isEmpty()) return;
    problem_->addItem(QFileInfo(dir).fileName() + " (" + dir + ")", dir);
    problem_->setCurrentIndex(problem_->count() - 1);
  });
  auto* problemRow = new QHBoxLayout;
  problemRow->addWidget(problem_, 1);
  problemRow->addWidget(browse);
  form->addRow("Problem", problemRow);
  problemInfo_ = new QLabel;
  problemInfo_->setWordWrap(true);
  form->addRow("", problemInfo_);

  backend_ = new QComboBox;
  backend_->addItem("cpu (g++, this machine)", "cpu");
  backend_->addItem("cuda (NVRTC, GPU 0)", "cuda");
  backend_->setToolTip(
      "cuda evaluates CUDA recipes on this machine's first NVIDIA GPU (docs/cuda-backend.md); "
      "starting the session says so if there is no driver, GPU or CUDA toolkit");
  form->addRow("Backend", backend_);
  synthesizer_ = new QComboBox;
  synthesizer_->addItem("rules (offline recipes)");
  form->addRow("Synthesizer", synthesizer_);
  policy_ = new QComboBox;
  policy_->addItems({"mcts", "evolve", "greedy", "random"});
  form->addRow("Policy", policy_);
  exploration_ = new QDoubleSpinBox;
  exploration_->setRange(0, 5);
  exploration_->setSingleStep(0.05);
  exploration_->setValue(0.1);
  form->addRow("MCTS exploration c", exploration_);
  islands_ = new QSpinBox;
  islands_->setRange(1, 16);
  islands_->setValue(2);
  form->addRow("Evolve islands", islands_);
  operators_ = new QComboBox;
  operators_->addItems({"adaptive", "round-robin", "fixed:inherit", "fixed:siblings",
                        "fixed:combined", "fixed:fresh"});
  form->addRow("Memory operators", operators_);
  budget_ = new QSpinBox;
  budget_->setRange(1, 100000);
  budget_->setValue(64);
  form->addRow("Budget (evaluations)", budget_);
  seed_ = new QSpinBox;
  seed_->setRange(0, 1 << 30);
  seed_->setValue(7);
  form->addRow("Seed", seed_);
  batch_ = new QSpinBox;
  batch_->setRange(1, 16);
  batch_->setValue(2);
  form->addRow("Batch (parallel builds)", batch_);
  shapeSets_ = new QListWidget;
  shapeSets_->setMaximumHeight(70);
  form->addRow("Shape sets", shapeSets_);
  file_ = new QLineEdit(QDir::home().filePath("search.kevo"));
  auto* save = new QPushButton("Save as...");
  connect(save, &QPushButton::clicked, this, [this] {
    QString f =
        QFileDialog::getSaveFileName(this, "Session file", file_->text(), "Kevo sessions (*.kevo)");
    if (!f.isEmpty()) file_->setText(f);
  });
  auto* fileRow = new QHBoxLayout;
  fileRow->addWidget(file_, 1);
  fileRow->addWidget(save);
  form->addRow("Session file", fileRow);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  buttons->button(QDialogButtonBox::Ok)->setText("Start search");
  connect(buttons, &QDialogButtonBox::accepted, this, &NewSessionDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(buttons);
  connect(problem_, &QComboBox::currentIndexChanged, this, &NewSessionDialog::problemChanged);
  connect(policy_, &QComboBox::currentIndexChanged, this, &NewSessionDialog::policyChanged);
  connect(backend_, &QComboBox::currentIndexChanged, this, &NewSessionDialog::problemChanged);
  int softmax = problem_->findText("softmax");
  if (softmax >= 0) problem_->setCurrentIndex(softmax);
  problemChanged();
  policyChanged();
}

void NewSessionDialog::problemChanged() {
  shapeSets_->clear();
  try {
    problem::Problem p = problem::loadProblem(problem_->currentData().toString().toStdString());
    std::string backend = backend_->currentData().toString().toStdString();
    size_t recipes =
        synth::loadRecipeLibrary(synth::defaultRecipeRoot(backend)).forProblem(p.id).size();
    const auto& baseline = backend == "cuda" ? p.baselineCuda : p.baselineCpu;
    problemInfo_->setText(QString::fromStdString(p.title + ": " + p.description) +
                          QString("\n%1 %2 recipe(s); baseline: %3")
                              .arg(recipes)
                              .arg(QString::fromStdString(backend))
                              .arg(baseline ? QString::fromStdString(baseline->title) : "none"));
    for (const auto& s : p.shapeSets) {
      auto* item = new QListWidgetItem(QString::fromStdString(s.name), shapeSets_);
      item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
      item->setCheckState(Qt::Checked);
    }
    file_->setText(QFileInfo(file_->text()).dir().filePath(QString::fromStdString(p.id) + ".kevo"));
  } catch (const std::exception& e) {
    problemInfo_->setText(QString("This problem cannot be used: ") + e.what());
  }
}

void NewSessionDialog::policyChanged() {
  exploration_->setEnabled(policy_->currentText() == "mcts");
  islands_->setEnabled(policy_->currentText() == "evolve");
}

void NewSessionDialog::accept() {
  if (QFileInfo::exists(file_->text())) {
    QMessageBox::warning(
        this, "New session",
        file_->text() +
            " already exists. Open it to continue that search, or choose another file.");
    return;
  }
  bool any = false;
  for (int i = 0; i < shapeSets_->count(); ++i)
    any = any || shapeSets_->item(i)->checkState() == Qt::Checked;
  if (!any) {
    QMessageBox::warning(this, "New session", "Choose at least one shape set.");
    return;
  }
  QDialog::accept();
}

NewSessionRequest NewSessionDialog::request() const {
  NewSessionRequest r;
  r.file = file_->text();
  r.problem = problem_->currentData().toString();
  r.budget = budget_->value();
  r.config.policy = policy_->currentText().toStdString();
  r.config.backend = backend_->currentData().toString().toStdString();
  if (r.config.policy == "mcts") r.config.policyParams = {{"exploration", exploration_->value()}};
  if (r.config.policy == "evolve") r.config.policyParams = {{"islands", islands_->value()}};
  r.config.operatorMode = operators_->currentText().toStdString();
  r.config.seed = uint64_t(seed_->value());
  r.config.batch = batch_->value();
  bool all = true;
  for (int i = 0; i < shapeSets_->count(); ++i) {
    if (shapeSets_->item(i)->checkState() == Qt::Checked)
      r.config.shapeSets.push_back(shapeSets_->item(i)->text().toStdString());
    else
      all = false;
  }
  if (all) r.config.shapeSets.clear();
  return r;
}

}  // namespace kevo::app
