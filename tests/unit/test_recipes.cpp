// The bundled recipes: every one loads, every bundled problem has at least two, and each
// recipe's default kernel builds and is correct on the problem's small shape set.
#include <QtTest>

#include "TestSupport.h"
#include "problem/ProblemLibrary.h"
#include "synth/Recipe.h"

using namespace kevo;

class RecipesTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(cache_.isValid());
    evaluator_ = std::make_unique<eval::Evaluator>(test::testEvaluatorConfig(cache_));
    library_ = synth::loadRecipeLibrary(std::filesystem::path(KEVO_SOURCE_DIR) / "knowledge" /
                                        "recipes" / "cpu");
  }

  void allLoad() {
    QString errors;
    for (const auto& e : library_.errors) errors += QString::fromStdString(e) + "\n";
    QVERIFY2(library_.errors.empty(), qPrintable(errors));
  }

  void everyProblemHasTwoRecipes() {
    QString missing;
    for (const auto& d : problem::bundledProblemDirs()) {
      std::string id = d.filename().string();
      if (library_.forProblem(id).size() < 2) missing += QString::fromStdString(id) + " ";
    }
    QVERIFY2(missing.isEmpty(), qPrintable("fewer than two recipes: " + missing));
  }

  void defaultsAreCorrect_data() {
    QTest::addColumn<QString>("recipe");
    QTest::addColumn<QString>("problem");
    for (const auto& r : library_.recipes)
      for (const auto& p : r.appliesTo)
        QTest::newRow((r.name + "/" + p).c_str())
            << QString::fromStdString(r.name) << QString::fromStdString(p);
  }

  void defaultsAreCorrect() {
    QFETCH(QString, recipe);
    QFETCH(QString, problem);
    const synth::Recipe* r = library_.find(recipe.toStdString());
    QVERIFY(r);
    problem::Problem p = problem::loadProblem(problem::resolveProblemDir(problem.toStdString()));
    eval::EvalOptions o;
    o.shapeSets = {p.shapeSets.front().name};
    o.seed = 99;
    o.timing = false;
    o.extraFlags = r->flags;
    auto result = evaluator_->evaluate(p, r->materialize(r->defaults()), recipe.toStdString(), o);
    QVERIFY2(result.verdict == eval::Verdict::Ok,
             (result.detail + "\n" + result.build.log).c_str());
  }

 private:
  QTemporaryDir cache_;
  std::unique_ptr<eval::Evaluator> evaluator_;
  synth::RecipeLibrary library_;
};

QTEST_APPLESS_MAIN(RecipesTest)
#include "test_recipes.moc"
