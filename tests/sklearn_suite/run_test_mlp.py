#!/usr/bin/env python
"""Run scikit-learn's installed MLP tests against fastmlp's estimators.

    python tests/sklearn_suite/run_test_mlp.py [--min-passed N] [--max-failed N]
                                               [--fastmlp DIR] [pytest options...]

e.g.  python tests/sklearn_suite/run_test_mlp.py -q -rfE          # every outcome
      python tests/sklearn_suite/run_test_mlp.py --min-passed 55 -q  # the gate
      python tests/sklearn_suite/run_test_mlp.py -k lbfgs -x

The tests are the file shipped in the scikit-learn wheel
(sklearn/neural_network/tests/test_mlp.py), collected with --pyargs from
site-packages, never copied. The plugin fastmlp_sklearn_swap (next to this
script), loaded with -p before collection, rebinds
sklearn.neural_network.MLPClassifier/MLPRegressor to fastmlp's classes and
checks during the run that the tests use them (see its docstring).

--fastmlp DIR puts DIR (the folder holding the fastmlp package) first on
sys.path, e.g. a source tree built in place; without it `import fastmlp`
resolves as usual. OMP_NUM_THREADS defaults to 1. Exit status: pytest's (0
only when every test passed), unless a gate is given: then 0 when the gate is
met and scikit-learn's own MLP was never trained, 1 otherwise.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_MODULE = "sklearn.neural_network.tests.test_mlp"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-passed", type=int, default=None,
                        help="gate: at least this many tests pass")
    parser.add_argument("--max-failed", type=int, default=None,
                        help="gate: at most this many tests fail or error")
    parser.add_argument("--fastmlp", default=None, help="folder holding the fastmlp package")
    args, pytest_args = parser.parse_known_args(argv)

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.fastmlp:
        folder = os.path.abspath(args.fastmlp)
        sys.path.insert(0, folder)
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [folder] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True  # leave site-packages' __pycache__ alone

    import pytest
    import sklearn

    site_packages = os.path.dirname(os.path.dirname(os.path.abspath(sklearn.__file__)))
    command = [
        "-p", "fastmlp_sklearn_swap",
        "-p", "no:cacheprovider",
        # rootdir/confcutdir at site-packages: scikit-learn's own conftest (the
        # global_random_seed fixture, its warnings setup) is loaded as in its CI,
        # and no ini file of the current directory leaks in
        "--rootdir", site_packages, "-c", os.devnull, "--confcutdir", site_packages,
        "--pyargs", TEST_MODULE,
    ]
    if args.min_passed is not None:
        command += ["--fastmlp-min-passed", str(args.min_passed)]
    if args.max_failed is not None:
        command += ["--fastmlp-max-failed", str(args.max_failed)]
    status = pytest.main(command + pytest_args)
    gated = args.min_passed is not None or args.max_failed is not None
    if gated and status == pytest.ExitCode.TESTS_FAILED:
        # failures are tolerated under a gate: the plugin says whether it was met
        import fastmlp_sklearn_swap as plugin

        return 0 if plugin.gate_met(args.min_passed, args.max_failed) else 1
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
