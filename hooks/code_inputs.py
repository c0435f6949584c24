"""What the output of some code is made of: the project modules it imports, and what they read.

Not a hook: ``figures.py`` and ``notebooks.py`` key what they cache (a drawn figure,
a lab's run) by it, so that an edit redraws or re-runs only what it can change. An
edit to ``snippets/gan.py`` re-runs the labs that import it, not all nine; an edit
to the Korean words table (``i18n/words/ko/``) re-runs every Korean lab that prints
through it, and no English one.

The inputs of some code are found without running it:

- the project modules it imports, transitively: every ``import`` and ``from ...
  import`` statement that names a module of ``LOCAL_PACKAGES`` (anywhere in the code,
  also inside functions), including the ``__init__`` of each package on the way,
  since importing a module runs them;
- the files those modules read, which each declares in a module-level ``READS``
  tuple of glob patterns relative to the repository (``snippets/plotting.py`` reads
  the words tables, ``snippets/rag.py`` the pages); a module that finds files from
  its own location (it names ``__file__``) must declare them, and
  ``tests/test_code_inputs.py`` fails when one does not. In a pattern, ``{lang}``
  stands for the language the output is made in (``LANG``): a Korean figure reads the
  Korean words table, an English one none;
- the pinned dependencies (``pyproject.toml``).

Code that cannot be parsed is keyed by every module of ``LOCAL_PACKAGES``, and
every file they read: it reruns on any edit, which is slow but never stale.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The pages, which code may read (the RAG figure and lab, snippets/rag.py). Redrawn and re-run
# on every page saved, they would hold up the preview: a dirty build (make serve) shows them as
# an earlier build drew them (variant), a full build as the pages are now.
PREVIEW_SKIP = ("docs/*/*.md",)
# the project's own packages that snippets and labs import (the rest is pinned in pyproject.toml)
LOCAL_PACKAGES = ("snippets", "i18n")
# in a READS pattern, the language of the output (every language when it is not known)
LANG = "{lang}"


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The source of project module ``name`` (``snippets.cnn``), or ``None`` if it is not one."""
    if name.split(".")[0] not in LOCAL_PACKAGES:
        return None
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(tree: ast.AST, module: str = "", is_package: bool = False) -> set[str]:
    """Every module name an import statement of ``tree`` may load, with its parent packages.

    ``from a.b import c`` may load ``a``, ``a.b`` and ``a.b.c`` (when ``c`` is a
    module); names that are not modules of the project are dropped by the caller.

    >>> sorted(imported_names(ast.parse("from snippets.cnn import vgg16")))
    ['snippets', 'snippets.cnn', 'snippets.cnn.vgg16']
    >>> sorted(imported_names(ast.parse("from . import data"), "snippets.cnn"))
    ['snippets', 'snippets.data']
    """
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package the module is in
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([base] if base else [])])
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            names.update(".".join(parts[: i + 1]) for i in range(len(parts)) if parts[0])
    return names


# What parsing a module gave, by its content: a build keys 32 figures and 18 labs, and parsing
# the same modules for each took seconds. Keyed by the bytes, so an edit during ``mkdocs serve``
# is seen at the next build.
_imports: dict[tuple[str, bool, bytes], frozenset[str]] = {}
_reads: dict[tuple[str, bytes], tuple[str, ...]] = {}


def _imports_of(path: Path, name: str) -> frozenset[str]:
    key = (name, path.name == "__init__.py", path.read_bytes())
    if key not in _imports:
        _imports[key] = frozenset(imported_names(ast.parse(key[2]), name, key[1]))
    return _imports[key]


# closures by code, with what they were found from: the stat of every module found, and the
# names that were not modules then (a module created later is one); a build asks for the
# same closures again and again (each lab's three times, each figure's once), and stats are cheap
_closures: dict[tuple[str, str, Path], tuple[tuple, list[Path]]] = {}


def _signature(found: list[Path], missing: list[str], root: Path) -> tuple:
    stats = []
    for path in found:
        try:
            info = path.stat()
        except OSError:
            return ()
        stats.append((info.st_mtime_ns, info.st_size))
    return tuple(stats), tuple(module_file(name, root) is None for name in missing)


def closure(code: str, module: str = "", root: Path = ROOT) -> list[Path]:
    """The sources of every project module ``code`` loads, transitively, sorted.

    Raises:
        SyntaxError: ``code`` (or a module it imports) is not valid Python.
    """
    memo = _closures.get((code, module, root))
    if memo is not None:
        (found, missing, signature), paths = memo
        if _signature(found, missing, root) == signature:
            return paths
    seen: dict[str, Path] = {}
    missing: set[str] = set()
    todo = [imported_names(ast.parse(code), module)]
    while todo:
        for imported in todo.pop():
            if imported in seen or imported in missing:
                continue
            path = module_file(imported, root)
            if path is None:
                parent = imported.rpartition(".")[0]
                if parent and (root.joinpath(*parent.split(".")) / "__init__.py").is_file():
                    missing.add(imported)  # not a module of that package yet: it may become one
                continue
            seen[imported] = path
            todo.append(_imports_of(path, imported))
    paths = sorted(set(seen.values()))
    found, names = list(seen.values()), sorted(missing)
    _closures[(code, module, root)] = ((found, names, _signature(found, names, root)), paths)
    return paths


def declared_reads(path: Path) -> tuple[str, ...]:
    """The ``READS`` patterns of a module (a tuple of string literals), or ``()``.

    Raises:
        ValueError: ``READS`` is not a tuple of strings.
    """
    key = (str(path), path.read_bytes())
    if key not in _reads:
        _reads[key] = _reads_of(ast.parse(key[1]), path)
    return _reads[key]


def _reads_node(tree: ast.AST) -> ast.Assign | ast.AnnAssign | None:
    """The module-level assignment of ``READS``, if there is one."""
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "READS" for t in targets):
                return node
    return None


def _reads_of(tree: ast.AST, path: Path) -> tuple[str, ...]:
    node = _reads_node(tree)
    if node is None:
        return ()
    value = ast.literal_eval(node.value)
    if not (isinstance(value, tuple) and all(isinstance(v, str) for v in value)):
        raise ValueError(f"{path}: READS must be a tuple of strings")
    return value


def undeclared_readers(paths: Iterable[Path], root: Path = ROOT) -> list[str]:
    """``path:line: ...`` for each module that names ``__file__`` (it finds files from its own
    location) but has no module-level ``READS``: what it reads would be missing from the keys."""
    found = []
    for path in paths:
        tree = ast.parse(path.read_bytes())
        uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "__file__"]
        if uses and _reads_node(tree) is None:
            found.append(
                f"{path.relative_to(root).as_posix()}:{uses[0].lineno}: finds files from"
                " __file__ but declares no READS (the files it reads, as glob patterns)"
            )
    return found


def all_modules(root: Path = ROOT) -> list[Path]:
    return sorted(p for package in LOCAL_PACKAGES for p in (root / package).rglob("*.py"))


def inputs_of(
    code: str,
    module: str = "",
    skip: Iterable[str] = (),
    root: Path = ROOT,
    lang: str | None = None,
) -> list[Path]:
    """Every file the output of ``code`` in ``lang`` depends on: the project modules it loads,
    what they declare in ``READS`` (less the patterns in ``skip``; ``{lang}`` in a pattern is
    ``lang``, or every language when it is ``None``) and ``pyproject.toml``."""
    try:
        sources = closure(code, module, root)
    except SyntaxError:
        sources = all_modules(root)
    files = set(sources) | {root / "pyproject.toml"}
    for source in sources:
        for pattern in declared_reads(source):
            if pattern not in skip:
                found = root.glob(pattern.replace(LANG, lang or "*"))
                files.update(p for p in found if p.is_file())
    return sorted(files)


def inputs_keys(
    code: str, module: str = "", extra: bytes = b"", root: Path = ROOT, lang: str | None = None
) -> tuple[str, str]:
    """Two keys of the output of ``code`` in ``lang``: of its code and every input but the
    pages, and of the pages it reads (``PREVIEW_SKIP``; ``"-"`` when it reads none). See
    :func:`variant`."""
    files = inputs_of(code, module, (), root, lang)
    pages = {p for pattern in PREVIEW_SKIP for p in root.glob(pattern)}
    read = [p for p in files if p in pages]
    rest = [p for p in files if p not in pages]
    return _digest(code, extra, rest, root), _digest("", b"", read, root) if read else "-"


def _digest(code: str, extra: bytes, files: Iterable[Path], root: Path) -> str:
    digest = hashlib.sha256(code.encode() + b"\0" + extra)
    for path in files:
        digest.update(b"\0" + path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def variant(folder: Path, pages_key: str, dirty: bool, complete: Callable[[Path], bool]) -> Path:
    """Where the output keyed ``folder/pages_key`` (:func:`inputs_keys`) is kept, or, in a
    dirty build, the latest complete output of the same code if that one is missing.

    A full build always uses (or makes) the output for the pages as they are. A dirty build
    (``make serve``) does not redraw or re-run what reads the pages on every page saved: it
    shows the output made from the pages of an earlier build until its own code changes.
    """
    exact = folder / pages_key
    if not dirty or complete(exact) or not folder.is_dir():
        return exact
    earlier = [p for p in folder.iterdir() if p.is_dir() and complete(p)]
    return max(earlier, key=lambda p: p.stat().st_mtime) if earlier else exact


def figure_modules(root: Path = ROOT) -> dict[str, str]:
    """Which module draws each figure: the keys of every module-level ``FIGURES = {...}`` of
    ``snippets`` (what ``snippets.figures()`` finds by importing them all), read without
    importing anything.

    Raises:
        ValueError: a ``FIGURES`` that is not a dict with string keys.
    """
    found = {}
    for path in sorted((root / "snippets").glob("*.py")):
        source = path.read_bytes()
        if (path, source) not in _figure_tables:
            _figure_tables[(path, source)] = _figure_table(path, source, root)
        found.update(_figure_tables[(path, source)])
    return found


_figure_tables: dict[tuple[Path, bytes], dict[str, str]] = {}  # by content, as _imports


def _figure_table(path: Path, source: bytes, root: Path) -> dict[str, str]:
    found = {}
    for node in ast.parse(source).body if b"FIGURES" in source else []:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "FIGURES" for t in node.targets
        ):
            if not isinstance(node.value, ast.Dict) or not all(
                isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.value.keys
            ):
                raise ValueError(f"{path}:{node.lineno}: FIGURES must be a dict literal")
            for key in node.value.keys:
                found[key.value] = module_name(path, root)
    return found


def notebook_python(cells: Iterable[str]) -> str:
    """The code cells of a notebook as one Python text: IPython's magics and shell lines
    (``%``, ``!``) are left out, since they are not Python."""
    return "\n".join(
        line
        for source in cells
        for line in source.splitlines()
        if not line.lstrip().startswith(("%", "!"))
    )
