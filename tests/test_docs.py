"""The documentation: every public name documented the numpydoc way, every
docstring example run, and the Sphinx site (docs/) built with warnings as
errors, its API reference covering every name of every public module's __all__.

The Sphinx build skips, saying why, without sphinx, numpydoc or myst-parser
(the `test` and `docs` extras install them) and outside the source tree; the
docstring checks and examples need neither."""
import doctest
import importlib
import inspect
import io
import os
import pkgutil
import re
from pathlib import Path

import pytest

import fastmlp

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# Files (or folders) that work in progress is documenting: their gaps and build
# warnings do not fail the tests until that work lands. Remove an entry once
# its file is done; then the file is held to the same bar as the others.
PENDING_FILES: tuple = ()  # none: the whole package is held to the bar
# The optional packages a module's examples import.
EXAMPLE_NEEDS = {
    "fastmlp.estimators": ["sklearn"],
    "fastmlp.keras_format": ["h5py"],
    "fastmlp.plot": ["matplotlib"],
    "fastmlp.onnx": ["onnx", "onnxruntime"],
    "fastmlp.dask": ["dask", "distributed"],
    "fastmlp.ray": ["ray"],
}


def public_modules():
    """fastmlp and its non-underscore modules (and their submodules named in
    their __all__), as docs/conf.py documents them."""
    names = ["fastmlp"]
    for info in pkgutil.iter_modules(fastmlp.__path__, "fastmlp."):
        if info.name.rsplit(".", 1)[1].startswith("_"):
            continue
        names.append(info.name)
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (inspect.ismodule(value) and value.__name__.startswith(info.name + ".")
                    and value.__name__.rsplit(".", 1)[1] in getattr(module, "__all__", ())):
                names.append(value.__name__)
    return sorted(set(names))


def all_modules():
    """Every module of the package but the compiled engine, private ones included."""
    names = ["fastmlp"]
    for info in pkgutil.walk_packages(fastmlp.__path__, "fastmlp."):
        if info.name != "fastmlp._engine":
            names.append(info.name)
    return names


def _importable(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _source_file(obj):
    target = obj.fget if isinstance(obj, property) else obj
    try:
        path = inspect.getsourcefile(inspect.unwrap(target))
    except TypeError:
        return ""
    return os.path.relpath(path, Path(fastmlp.__file__).parent.parent) if path else ""


def _has_section(doc, title):
    return re.search(rf"^\s*{title}\n\s*-+\s*$", doc, re.MULTILINE) is not None


def _callable_gaps(f, *, example):
    """What a function's or method's documentation lacks."""
    gaps = []
    doc = inspect.getdoc(f) or ""
    if not doc:
        gaps.append("a docstring")
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):
        return gaps
    params = [p for name, p in signature.parameters.items() if name not in ("self", "cls")]
    if any(p.annotation is inspect.Parameter.empty for p in params):
        gaps.append("type hints on its parameters")
    if signature.return_annotation is inspect.Signature.empty:
        gaps.append("a return type hint")
    if [p.kind for p in params] == [inspect.Parameter.VAR_POSITIONAL,
                                    inspect.Parameter.VAR_KEYWORD]:
        gaps.append("a signature help() can show")
    if doc and params and not _has_section(doc, "Parameters"):
        gaps.append("a Parameters section")
    if doc and signature.return_annotation not in (inspect.Signature.empty, None, "None") \
            and not (_has_section(doc, "Returns") or _has_section(doc, "Yields")):
        gaps.append("a Returns section")
    if example and doc and not _has_section(doc, "Examples"):
        gaps.append("an Examples section")
    return gaps


def documentation_gaps():
    """{qualified name: (source file, [what it lacks])} over every public name:
    classes (docstring, Parameters, Examples, hints on __init__) and each of
    their public methods and properties (inherited ones from private bases
    included), module functions (docstring, Parameters, Returns, Examples,
    type hints)."""
    gaps, seen = {}, set()
    # submodules first, so that a name gets its home module's qualified name
    for module_name in sorted(public_modules(), key=lambda n: n == "fastmlp"):
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not callable(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            qualname = f"{module_name}.{name}"
            if inspect.isfunction(obj):
                missing = _callable_gaps(obj, example=True)
                if missing:
                    gaps[qualname] = (_source_file(obj), missing)
                continue
            if not inspect.isclass(obj):
                continue
            doc = inspect.getdoc(obj) or ""
            missing = []
            if not obj.__doc__:
                missing.append("a docstring")
            elif not _has_section(doc, "Examples"):
                missing.append("an Examples section")
            try:
                init_params = [p for p in inspect.signature(obj).parameters]
            except (TypeError, ValueError):
                init_params = []
            if init_params and doc and not _has_section(doc, "Parameters"):
                missing.append("a Parameters section")
            if missing:
                gaps[qualname] = (_source_file(obj), missing)
            for attr in sorted(dir(obj)):
                if attr.startswith("_") and attr not in ("__init__", "__call__"):
                    continue
                owner = next((c for c in obj.__mro__ if attr in vars(c)), None)
                if owner is None or not owner.__module__.startswith("fastmlp"):
                    continue  # object's, or scikit-learn's (documented there)
                if owner is not obj and not owner.__name__.startswith("_"):
                    continue  # checked on the public class that defines it
                value = vars(owner)[attr]
                where = f"{qualname}.{attr}"
                if attr == "__init__":
                    if owner is obj:
                        params = [p for n, p in inspect.signature(value).parameters.items()
                                  if n != "self"]
                        if any(p.annotation is inspect.Parameter.empty for p in params):
                            gaps[where] = (_source_file(value), ["type hints on its parameters"])
                    continue
                if isinstance(value, property):
                    missing = [] if value.__doc__ else ["a docstring"]
                    if value.fget is not None and inspect.signature(
                            value.fget).return_annotation is inspect.Signature.empty:
                        missing.append("a return type hint")
                    if missing:
                        gaps[where] = (_source_file(value), missing)
                    continue
                if isinstance(value, (staticmethod, classmethod)):
                    value = value.__func__
                if inspect.isfunction(value):
                    missing = _callable_gaps(value, example=False)
                    if missing:
                        gaps[where] = (_source_file(value), missing)
    return gaps


def test_every_public_name_is_documented_with_hints():
    gaps = documentation_gaps()
    failing = {name: what for name, (path, what) in gaps.items()
               if not path.startswith(PENDING_FILES)}
    assert not failing, "\n".join(f"{name} lacks {', '.join(what)}"
                                  for name, what in sorted(failing.items()))


@pytest.mark.parametrize("name", all_modules())
def test_every_module_declares_all(name):
    module = importlib.import_module(name)
    assert isinstance(getattr(module, "__all__", None), list), f"{name} has no __all__"
    assert not [n for n in module.__all__ if n.startswith("_")], module.__all__
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    if name == "fastmlp":  # the estimators and fm.plot load on first use
        missing = [n for n in missing if n not in fastmlp._ESTIMATORS + fastmlp._LAZY_MODULES]
    assert not missing, f"{name}.__all__ names what it does not have: {missing}"


def test_help_shows_the_parameters():
    """help() prints a callable's signature: none may hide behind (*args, **kwargs)."""
    out = io.StringIO()
    import pydoc

    for target in (fastmlp.Sequential.fit, fastmlp.Dense, fastmlp.set_num_threads,
                   fastmlp.losses.mean_squared_error, fastmlp.ops.matmul):
        out.seek(0)
        out.truncate()
        pydoc.Helper(output=out).help(target)
        text = out.getvalue()
        params = [p for p in inspect.signature(target).parameters if p != "self"]
        assert params and all(p in text for p in params), text[:400]


@pytest.mark.parametrize("name", all_modules())
def test_docstring_examples(name, tmp_path, monkeypatch):
    """Every docstring's examples run as doctests, in a temporary folder (the
    examples that save models write there)."""
    needs = [package for prefix, packages in EXAMPLE_NEEDS.items()
             if name == prefix or name.startswith(prefix + ".") for package in packages]
    for package in needs:
        if not _importable(package):
            pytest.skip(f"{name}'s examples need {package} (pip install \".[test]\")")
    monkeypatch.chdir(tmp_path)
    # processes the examples start (Ray's workers) import the fastmlp under test
    package_root = str(Path(fastmlp.__file__).resolve().parent.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (package_root, os.environ.get("PYTHONPATH")) if p))
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name) if t.examples]
    if not tests:
        return  # nothing to run (private helpers, packages that only re-export)
    out = io.StringIO()
    from fastmlp import _config

    with _config.thread_count(_config._requested):  # examples may set the thread count
        for test in tests:
            fastmlp.set_random_seed(0)
            runner.run(test, out=out.write)
    assert runner.failures == 0, out.getvalue()


# ---------------------------------------------------------------- the Sphinx site

def _sphinx():
    if not (DOCS / "conf.py").is_file():
        pytest.skip("the tests run outside the source tree (no docs/)")
    for package in ("sphinx", "numpydoc", "myst_parser", "sklearn"):
        if not _importable(package):
            pytest.skip(f"building the docs needs {package}: pip install \".[docs]\" "
                        f"(the test extra has it too)")
    from sphinx.application import Sphinx

    return Sphinx


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    """docs/ built as `sphinx-build -W -b html docs <tmp>` would, warnings collected."""
    Sphinx = _sphinx()
    from sphinx.util.console import nocolor

    nocolor()
    out = tmp_path_factory.mktemp("docs")
    warnings = io.StringIO()
    app = Sphinx(str(DOCS), str(DOCS), str(out / "html"), str(out / "doctrees"), "html",
                 status=io.StringIO(), warning=warnings, freshenv=True, keep_going=True)
    app.build()
    return out / "html", warnings.getvalue()


def _pending(line):
    return any(path in line for path in PENDING_FILES)


def test_docs_build_without_warnings(built_docs):
    html, warnings = built_docs
    lines = [line for line in warnings.splitlines() if line.strip()]
    failing = [line for line in lines if not _pending(line)]
    assert not failing, "\n".join(failing)
    assert (html / "index.html").is_file()


def test_api_reference_covers_every_public_name(built_docs):
    """Each name of each public module's __all__ is in the built inventory,
    under its own module or (for re-exports such as fm.Dense) another one."""
    from sphinx.util.inventory import InventoryFile

    html, _ = built_docs
    with open(html / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", os.path.join)
    documented = set()
    for role, entries in inventory.items():
        if role.startswith("py:"):
            documented.update(entries)
    ids = set()
    for target in documented:
        module_name, _, attr = target.rpartition(".")
        try:
            ids.add(id(getattr(importlib.import_module(module_name), attr)))
        except (ImportError, AttributeError, ValueError):
            pass
    missing = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        assert f"{module_name}" in documented, f"no page documents module {module_name}"
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.ismodule(value):
                continue
            if f"{module_name}.{name}" not in documented and id(value) not in ids:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"the API reference lacks {missing}"


def test_user_guide_follows_the_readme(built_docs):
    """The guide's pages, in the README's order, each with the README's text."""
    html, _ = built_docs
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page, phrase in [("quickstart", "## Quickstart"), ("keras", "### Keras dialect: models"),
                         ("sklearn", "### scikit-learn dialect"),
                         ("threads", "### Errors, threads and interruptions"),
                         ("performance", "## Performance")]:
        assert phrase in readme, f"the README's section {phrase!r} moved: update docs/guide"
        text = (html / "guide" / f"{page}.html").read_text(encoding="utf-8")
        assert len(text) > 3000, page
    index = (html / "index.html").read_text(encoding="utf-8")
    order = [index.find(f'href="guide/{page}.html"') for page in
             ("quickstart", "keras", "sklearn", "threads", "performance", "files")]
    assert -1 not in order and order == sorted(order), order


def test_readme_api_section_names_every_public_name():
    """The README's "API in brief" lists every name of every public module's
    __all__ (the brief's own rule: the README's API section lists every public name)."""
    readme = (ROOT / "README.md")
    if not readme.is_file():
        pytest.skip("the tests run outside the source tree (no README.md)")
    text = readme.read_text(encoding="utf-8")
    api = text[text.index("## The API in brief"):text.index("## Performance")]
    missing = [f"{module_name}.{name}" for module_name in public_modules()
               for name in importlib.import_module(module_name).__all__
               if not re.search(rf"\b{re.escape(name)}\b", api)]
    assert not missing, f"the README's API section does not name {missing}"

