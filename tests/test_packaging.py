"""Packaging facts that need no build and no network: the metadata in
pyproject.toml, CITATION.cff and CHANGELOG.md agree with each other and with
the package, the sdist's manifest covers the C sources, and an installed
fastmlp carries its metadata and no build inputs.

The source-tree checks skip where the tests run without the tree (as
.ci/test-wheel runs them), and the pyproject checks on Pythons without tomllib."""
import importlib.metadata
import os
import re
import sys
from pathlib import Path

import pytest

import fastmlp as fm

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
URL_LABELS = ["Homepage", "Documentation", "Source", "Issues", "Changelog"]

in_source_tree = pytest.mark.skipif(not (ROOT / "pyproject.toml").is_file(),
                                    reason="the tests run outside the source tree")


@pytest.fixture(scope="module")
def project():
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("the tests run outside the source tree")
    if sys.version_info < (3, 11):
        pytest.skip("tomllib is in the standard library from Python 3.11")
    import tomllib

    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def test_version_is_the_package_version(project):
    assert project["version"] == fm.__version__


def test_classifiers_name_the_supported_pythons(project):
    classifiers = project["classifiers"]
    assert all(re.fullmatch(r"[A-Z][\w ./+-]*( :: [\w ./+()-]+)+", c) for c in classifiers), classifiers
    assert len(set(classifiers)) == len(classifiers)
    versions = [c.rsplit(" :: ", 1)[1] for c in classifiers
                if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    assert versions == PYTHONS
    assert project["requires-python"] == f">={PYTHONS[0]}"
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert any(c.startswith("Intended Audience :: ") for c in classifiers)


def test_license_is_an_spdx_expression_without_a_license_classifier(project):
    # setuptools >= 77 refuses "License ::" classifiers beside a license expression
    assert project["license"] == "BSD-3-Clause"
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    assert all((ROOT / f).is_file() for f in project["license-files"])


def test_project_urls(project):
    urls = project["urls"]
    assert sorted(urls) == sorted(URL_LABELS)
    assert all(re.fullmatch(r"https://[\w.-]+/\S*", u) for u in urls.values()), urls
    assert urls["Changelog"].endswith("/CHANGELOG.md")


def test_optional_extras(project):
    extras = project["optional-dependencies"]
    assert {"test", "sklearn", "bench"} <= set(extras)
    assert any(r.startswith("pytest") for r in extras["test"])


def _cff_fields():
    """The top-level scalar fields of CITATION.cff (enough to check it without PyYAML)."""
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    return dict(re.findall(r'^([a-z-]+): *"?([^"\n]*?)"? *$', text, re.MULTILINE))


@in_source_tree
def test_citation_names_this_version():
    fields = _cff_fields()
    assert fields["cff-version"] == "1.2.0"
    assert fields["title"] == "fastmlp"
    assert fields["version"] == fm.__version__
    assert fields["license"] == "BSD-3-Clause"
    assert "authors:" in (ROOT / "CITATION.cff").read_text(encoding="utf-8")


@in_source_tree
def test_changelog_has_this_version_and_an_unreleased_section():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert headings[0] == "Unreleased"
    assert fm.__version__ in headings
    assert re.search(rf"^## \[{re.escape(fm.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.MULTILINE)
    # every version heading has its link reference at the bottom
    for name in headings:
        assert re.search(rf"^\[{re.escape(name)}\]: https://", text, re.MULTILINE), name


@in_source_tree
def test_sdist_manifest_covers_every_kind_of_c_source():
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8")
    line = re.search(r"^recursive-include csrc (.+)$", manifest, re.MULTILINE)
    assert line, "MANIFEST.in must ship csrc/"
    patterns = line.group(1).split()
    suffixes = {p.suffix for p in (ROOT / "csrc").iterdir() if p.is_file()}
    assert suffixes <= {pattern.lstrip("*") for pattern in patterns}
    for name in ("fastmlp/*.pyx", "fastmlp/*.pxd", "fastmlp/py.typed", "CHANGELOG.md",
                 "CITATION.cff", "LICENSE"):
        assert name in manifest


def _installed_distribution():
    """The distribution installed from a wheel whose files are the fastmlp under
    test, or None: an in-place or editable build of a checkout, whose
    fastmlp.egg-info (left by setuptools) lists sources rather than installed files."""
    for dist in importlib.metadata.distributions(name="fastmlp"):
        init = Path(dist.locate_file("fastmlp/__init__.py"))
        if (dist.read_text("WHEEL") is not None and init.is_file()
                and os.path.samefile(init, fm.__file__)):
            return dist
    return None


@pytest.fixture(scope="module")
def installed():
    dist = _installed_distribution()
    if dist is None:
        pytest.skip("fastmlp is imported from a checkout, not from an installed wheel")
    return dist


def test_installed_files_are_modules_and_the_engine(installed):
    package = [Path(str(f)) for f in installed.files if str(f).startswith("fastmlp/")]
    suffixes = {p.suffix for p in package}
    assert ".py" in suffixes
    assert any(p.name.startswith("_engine.") and p.suffix in (".so", ".pyd") for p in package)
    # build inputs stay in the sdist: no generated C, no Cython sources
    assert {p.suffix for p in package if p.name != "py.typed"} <= {".py", ".so", ".pyd", ".pyc"}, \
        sorted(map(str, package))
    # PEP 561: the type hints are for type checkers
    assert Path("fastmlp/py.typed") in package


def test_installed_metadata(installed):
    meta = installed.metadata
    assert meta["Version"] == fm.__version__
    assert meta["License-Expression"] == "BSD-3-Clause"
    classifiers = meta.get_all("Classifier")
    assert [f"Programming Language :: Python :: {v}" for v in PYTHONS] == [
        c for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    labels = [url.split(",", 1)[0] for url in meta.get_all("Project-URL")]
    assert sorted(labels) == sorted(URL_LABELS)
