// File > New session: problem (bundled or a folder), backend, synthesizer, policy and its
// parameters, memory operator schedule, budget, seed, shape sets, and where the session goes.
#pragma once

#include <QDialog>

#include "SessionController.h"

class QComboBox;
class QSpinBox;
class QDoubleSpinBox;
class QLineEdit;
class QListWidget;
class QLabel;

namespace kevo::app {

class NewSessionDialog : public QDialog {
  Q_OBJECT

 public:
  explicit NewSessionDialog(QWidget* parent = nullptr);
  NewSessionRequest request() const;

 private:
  void problemChanged();
  void policyChanged();
  void accept() override;

  QComboBox* problem_;
  QComboBox* backend_;
  QComboBox* synthesizer_;
  QComboBox* policy_;
  QDoubleSpinBox* exploration_;
  QSpinBox* islands_;
  QComboBox* operators_;
  QSpinBox* budget_;
  QSpinBox* seed_;
  QSpinBox* batch_;
  QListWidget* shapeSets_;
  QLineEdit* file_;
  QLabel* problemInfo_;
};

}  // namespace kevo::app
