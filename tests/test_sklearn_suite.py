"""scikit-learn's own MLP tests (the test_mlp.py its wheel installs) against
fm.MLPClassifier / fm.MLPRegressor, run by tests/sklearn_suite/run_test_mlp.py
in a fresh interpreter. The swap plugin proves the tests exercised fastmlp's
estimators and never scikit-learn's."""
import os
import re
import subprocess
import sys

import pytest

sklearn = pytest.importorskip("sklearn")

import fastmlp as fm  # noqa: E402

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn_suite",
                      "run_test_mlp.py")
# scikit-learn 1.9's file has 59 tests; all but the few that need what fastmlp
# does not offer yet pass (the runner's -rfE summary lists them)
GATE = ["--min-passed", "55"] if sklearn.__version__.startswith("1.9.") else ["--max-failed", "4"]


def test_scikit_learns_mlp_tests_pass_against_fastmlp(tmp_path):
    pytest.importorskip("sklearn.neural_network.tests.test_mlp",
                        reason="this scikit-learn was installed without its tests")
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(fm.__file__)))
    command = [sys.executable, RUNNER, "--fastmlp", package_parent, *GATE, "-q", "-rfE"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=600,
                            env=dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore"))
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    outcomes = re.search(r"outcomes: passed=(\d+), failed=(\d+)", result.stdout)
    fits = re.search(r"fits by fastmlp: (\d+); fits by scikit-learn's own MLP: (\d+)",
                     result.stdout)
    assert outcomes and fits, report
    assert int(fits.group(1)) > 0 and int(fits.group(2)) == 0, report
