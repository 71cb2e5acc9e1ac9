"""Sphinx configuration: the API reference comes from the docstrings (autodoc,
numpydoc), the user guide from the README's sections (MyST includes).

Build: ``sphinx-build -W -b html docs docs/_build/html`` (tests/test_docs.py
does the same into a temporary folder)."""
import os
import sys

# the fastmlp that `import fastmlp` finds: an in-place build or an installed copy
sys.path.insert(0, os.path.abspath(".."))

import fastmlp  # noqa: E402

project = "fastmlp"
author = "The fastmlp developers"
copyright = "the fastmlp developers"
version = release = fastmlp.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
templates_path = []
html_theme = "alabaster"
html_static_path = []
html_theme_options = {"description": "Multilayer perceptrons on CPUs, fast",
                      "fixed_sidebar": True}

# autodoc: members in __all__ order, signatures with their type hints
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "signature"
# numpydoc renders the sections; the member tables autodoc already gives
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# no intersphinx downloads: the machines that build the docs may be offline
intersphinx_mapping = {}

# The README is written for GitHub: its links name files of the repository and its
# sections start at level 2 or 3; included in the guide, neither is an error.
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "myst.xref_missing"]


# ---------------------------------------------------------------- API pages
# One page per public module, written here from the package itself, so that a
# new module or a new name in an __all__ is documented without editing docs/:
# every non-underscore module of fastmlp (and of fastmlp.datasets) gets an
# automodule page whose members are its __all__; the fastmlp page documents
# what lives nowhere else and links the rest. tests/test_docs.py checks that
# the built inventory covers every name of every public module's __all__.

import importlib  # noqa: E402
import inspect  # noqa: E402
import pkgutil  # noqa: E402

API_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api")


def public_modules():
    """The modules users import, by name: fastmlp's own and their public submodules."""
    names = []
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


def _module_page(name):
    module = importlib.import_module(name)
    modules = [n for n in module.__all__ if inspect.ismodule(getattr(module, n))]
    lines = [name, "=" * len(name), "", f".. automodule:: {name}"]
    if modules:
        lines.append(f"   :exclude-members: {', '.join(modules)}")
        lines += ["", "Submodules: " + ", ".join(
            f":doc:`{getattr(module, n).__name__} <{getattr(module, n).__name__}>`"
            for n in modules) + "."]
    constants = [n for n in module.__all__ if not callable(getattr(module, n))
                 and not inspect.ismodule(getattr(module, n))]
    if constants:
        lines += ["", "Constants", "---------", ""]
        for n in constants:
            lines += [f".. py:data:: {n}", f"   :value: {getattr(module, n)!r}", ""]
    return "\n".join(lines) + "\n"


def _top_page(modules):
    documented = {}
    for name in modules:
        module = importlib.import_module(name)
        for attr in module.__all__:
            documented.setdefault(id(getattr(module, attr)), f"{name}.{attr}")
    lines = ["fastmlp", "=======", "", ".. automodule:: fastmlp", "   :no-members:", ""]
    own, aliases, submodules = [], [], []
    for attr in fastmlp.__all__:
        value = getattr(fastmlp, attr)
        if inspect.ismodule(value):
            submodules.append(value.__name__)
        elif id(value) in documented:
            aliases.append(documented[id(value)])
        else:
            own.append(attr)
    lines += ["Functions of the package itself", "-------------------------------", ""]
    lines += [f".. autofunction:: fastmlp.{attr}\n" for attr in own]
    lines += ["Names also importable from ``fastmlp``", "--------------------------------------",
              "", "``fm.<Name>`` is the same object as the one documented at the link.", ""]
    lines += [f"- ``fastmlp.{target.rsplit('.', 1)[1]}``: :py:obj:`{target}`" for target in aliases]
    lines += ["", "Modules", "-------", "", ".. toctree::", "   :maxdepth: 1", ""]
    lines += [f"   {name}" for name in modules]
    return "\n".join(lines) + "\n"


def _write(path, text):
    old = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
    if old != text:  # unchanged pages keep their time stamps (incremental builds)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def write_api_pages(app=None):
    os.makedirs(API_DIR, exist_ok=True)
    modules = public_modules()
    for name in modules:
        _write(os.path.join(API_DIR, f"{name}.rst"), _module_page(name))
    _write(os.path.join(API_DIR, "index.rst"), _top_page(modules))
    for stale in os.listdir(API_DIR):
        if stale.endswith(".rst") and stale != "index.rst" and stale[:-4] not in modules:
            os.remove(os.path.join(API_DIR, stale))


def choose_members(app, what, name, obj, skip, options):
    """Leave out what scikit-learn's base classes put on the estimators
    (set_fit_request, ...): it is documented by scikit-learn. Keep a module's
    constants (its __all__ names them) even without a docstring of their own."""
    module = getattr(obj, "__module__", None) or ""
    if module.startswith("sklearn."):
        return True
    if what == "module" and not callable(obj) and not inspect.ismodule(obj):
        return False
    return None


def setup(app):
    app.connect("builder-inited", write_api_pages)
    app.connect("autodoc-skip-member", choose_members)
