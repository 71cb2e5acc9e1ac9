"""pytest plugin: run scikit-learn's own MLP tests against fastmlp's estimators.

Load it with ``-p fastmlp_sklearn_swap`` (this directory on sys.path). pytest
imports ``-p`` plugins while it parses the command line, i.e. before it
collects (imports) any test module, so rebinding the two names on the
``sklearn.neural_network`` package here is early enough for the test file's
``from sklearn.neural_network import MLPClassifier, MLPRegressor``.

What the plugin guarantees (and fails the session otherwise):

* the installed test module is not imported yet when the swap happens;
* every collected test module that imported the names holds fastmlp's classes
  (checked after collection, and again by an autouse fixture in every test);
* scikit-learn's own MLP never trains during the run: its ``_fit`` is wrapped
  and counted; a non-zero count fails the session (exit status 1);
* with ``--fastmlp-min-passed N`` the session fails when fewer than N tests
  pass, with ``--fastmlp-max-failed N`` when more than N fail or error.

Nothing of scikit-learn's is copied; the installed file runs as shipped.
"""
import os
import sys

import pytest

import sklearn.neural_network as _sknn
from sklearn.neural_network import _multilayer_perceptron as _skmlp

_TEST_MODULE = "sklearn.neural_network.tests.test_mlp"
if _TEST_MODULE in sys.modules:  # the swap would come too late for `from ... import`
    raise RuntimeError(f"{_TEST_MODULE} was imported before the fastmlp swap; load this plugin "
                       f"with -p before pytest collects")

from fastmlp import estimators as _fm  # noqa: E402

ORIGINAL = {"MLPClassifier": _skmlp.MLPClassifier, "MLPRegressor": _skmlp.MLPRegressor}
SWAPPED = {"MLPClassifier": _fm.MLPClassifier, "MLPRegressor": _fm.MLPRegressor}

# the package attributes are what `from sklearn.neural_network import ...` reads
for _name, _cls in SWAPPED.items():
    setattr(_sknn, _name, _cls)

# count trainings by scikit-learn's own implementation (must stay 0) and by fastmlp's
_calls = {"sklearn": 0, "fastmlp": 0}
_sk_fit = _skmlp.BaseMultilayerPerceptron._fit
_fm_fit = _fm._BaseMLP._fit


def _counted_sk_fit(self, *args, **kwargs):
    _calls["sklearn"] += 1
    return _sk_fit(self, *args, **kwargs)


def _counted_fm_fit(self, *args, **kwargs):
    _calls["fastmlp"] += 1
    return _fm_fit(self, *args, **kwargs)


_skmlp.BaseMultilayerPerceptron._fit = _counted_sk_fit
_fm._BaseMLP._fit = _counted_fm_fit

_outcomes = {"passed": 0, "failed": 0, "error": 0, "skipped": 0, "xfailed": 0, "xpassed": 0}
_problems = []


def pytest_addoption(parser):
    parser.addoption("--fastmlp-min-passed", type=int, default=None,
                     help="fail the session when fewer tests pass")
    parser.addoption("--fastmlp-max-failed", type=int, default=None,
                     help="fail the session when more tests fail or error")


def gate_met(min_passed, max_failed):
    """Whether the run met its gate, and scikit-learn's own MLP never trained."""
    failed = _outcomes["failed"] + _outcomes["error"]
    return (not _calls["sklearn"] and (min_passed is None or _outcomes["passed"] >= min_passed)
            and (max_failed is None or failed <= max_failed))


def _check_module(module, where):
    for name, cls in SWAPPED.items():
        bound = getattr(module, name, None)
        if bound is not None and bound is not cls:
            raise AssertionError(f"{where}: {module.__name__}.{name} is {bound!r}, "
                                 f"not fastmlp's {cls!r}")


def pytest_configure(config):
    # scikit-learn's conftest (loaded during collection) calls threadpool_limits(n_cores);
    # remembered here so that the limit can be put back after collection
    config._fastmlp_threads = os.environ.get("OMP_NUM_THREADS")


def pytest_collection_finish(session):
    threads = getattr(session.config, "_fastmlp_threads", None)
    if threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(int(threads))
    modules = {item.module for item in session.items if getattr(item, "module", None)}
    for module in modules:
        _check_module(module, "after collection")


@pytest.fixture(autouse=True)
def _fastmlp_swap_is_real(request):
    module = getattr(request, "module", None)
    if module is not None:
        _check_module(module, request.node.nodeid)
    yield


def pytest_runtest_logreport(report):
    if report.when == "call":
        if report.passed:
            _outcomes["xpassed" if hasattr(report, "wasxfail") else "passed"] += 1
        elif report.failed:
            _outcomes["failed"] += 1
        elif report.skipped:
            _outcomes["xfailed" if hasattr(report, "wasxfail") else "skipped"] += 1
    elif report.failed:
        _outcomes["error"] += 1
    elif report.skipped and report.when == "setup":
        _outcomes["skipped"] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    tr = terminalreporter
    tr.section("fastmlp swap")
    import fastmlp
    import sklearn

    tr.write_line(f"estimators under test: {SWAPPED['MLPClassifier'].__module__}."
                  f"MLPClassifier / MLPRegressor from {os.path.dirname(fastmlp.__file__)}")
    tr.write_line(f"tests: scikit-learn {sklearn.__version__}'s installed {_TEST_MODULE}")
    tr.write_line(f"fits by fastmlp: {_calls['fastmlp']}; fits by scikit-learn's own MLP: "
                  f"{_calls['sklearn']}")
    tr.write_line("outcomes: " + ", ".join(f"{k}={v}" for k, v in _outcomes.items()))
    minimum = config.getoption("--fastmlp-min-passed")
    maximum = config.getoption("--fastmlp-max-failed")
    if _calls["sklearn"]:
        _problems.append(f"scikit-learn's own MLP was trained {_calls['sklearn']} time(s)")
    if _calls["fastmlp"] == 0 and _outcomes["passed"]:
        _problems.append("no fastmlp estimator was trained: the swap did not take effect")
    if minimum is not None and _outcomes["passed"] < minimum:
        _problems.append(f"{_outcomes['passed']} tests passed, fewer than the required {minimum}")
    failed = _outcomes["failed"] + _outcomes["error"]
    if maximum is not None and failed > maximum:
        _problems.append(f"{failed} tests failed, more than the {maximum} allowed")
    for problem in _problems:
        tr.write_line("FAIL: " + problem, red=True)


def pytest_sessionfinish(session, exitstatus):
    # _problems is filled by pytest_terminal_summary, which runs after this hook; so
    # compute the verdict here as well
    config = session.config
    met = gate_met(config.getoption("--fastmlp-min-passed"),
                   config.getoption("--fastmlp-max-failed"))
    if not met and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
