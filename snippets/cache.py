"""Results that take seconds to compute, kept on disk and keyed by the code that made them.

Several chapters train small models whose results more than one reader of the code
needs: the figure of a chapter, the page's examples in Korean and in English, and
the lab notebooks of both languages. ``@disk_cache`` runs such a function once per
content and stores what it returned under ``.cache/results/`` (or
``$DOCS_CACHE_DIR/results/``); every later call with the same arguments, in any
process, loads that result instead of training again.

The key is what decides the result: the arguments (a function argument by its
code), the function's own bytecode and constants, and, transitively, everything it
reads — the functions and classes it calls (by their code), the constants it uses
(by value), the ``snippets`` modules it names (by source) — together with
``pyproject.toml`` (the pinned dependencies) and the versions of torch and NumPy.
The same code has the same key wherever it is defined: in a ``snippets`` module, on
a page whose example includes that module's code, or in a lab. Any change to that
code retrains; a fresh clone computes everything once. So a stored result is always
one that the code as it is now produced. A function that reads something the key
cannot describe (a generator object, say) is computed on every call, never stored.

Two more rules make a stored result indistinguishable from a fresh one:

- the call leaves the global random number generators (Python's, NumPy's, torch's)
  as it found them, whether it trained or loaded, so the code after it prints the
  same numbers either way;
- processes that ask for the same result at the same time wait for the first one
  (a file lock) instead of training twice.

``DOCS_RESULT_CACHE=off`` keeps results in memory only, as ``functools.cache`` does;
that is what the example below does, so that it shows the same thing on every run.

Example:

>>> import os
>>> os.environ["DOCS_RESULT_CACHE"] = "off"
>>> calls = []
>>> @disk_cache
... def slow_square(x: int) -> int:
...     calls.append(x)
...     return x * x
>>> slow_square(3), slow_square(3), calls
(9, 9, [3])
>>> del os.environ["DOCS_RESULT_CACHE"]
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import importlib
import inspect
import io
import logging
import os
import pickle
import random
import sys
import types
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from snippets import CPU_PATHS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent
# the files this module reads (hooks/code_inputs.py): the results it stores are keyed by the code
# and the pinned dependencies; the folder it stores them in is not an input
READS = ("pyproject.toml",)

F = TypeVar("F", bound=Callable)
log = logging.getLogger(__name__)
_MISSING = object()


def cache_dir() -> Path | None:
    """The folder stored results live in, or ``None`` when the disk cache is off."""
    if os.environ.get("DOCS_RESULT_CACHE", "").lower() in {"off", "0", "false", "no"}:
        return None
    return Path(os.environ.get("DOCS_CACHE_DIR") or ROOT / ".cache") / "results"


class Unkeyable(Exception):
    """A value the key cannot describe (then the result is computed and not stored)."""


_DESCRIPTORS = (
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    types.ClassMethodDescriptorType,
)


def _is_library(value: object) -> bool:
    """True for a function or class of an installed library (its version is in the key)."""
    module = getattr(value, "__module__", None)
    if module in {None, "__main__"}:  # a page's or a lab's example
        return False
    if module.startswith("snippets.") or module == "snippets":
        return False
    found = sys.modules.get(module)
    for part in (getattr(value, "__qualname__", None) or "?").split("."):
        found = getattr(found, part, None)
    if found is not value:  # not where its name says: an example's own ("builtins")
        return False
    top = sys.modules.get(module.split(".")[0])
    file = getattr(top, "__file__", None)
    if file is None:  # builtins, a module compiled into Python
        return True
    return not _inside_project(file)


@functools.lru_cache(maxsize=1024)
def _inside_project(file: str) -> bool:
    """True for a file of the project's own code: in the repository, and not in the Python
    environment, which may live inside it (``make setup`` installs the libraries into
    ``.venv/``; taken for the project's code, their functions were keyed by their source,
    and one that reads a thread-local setting, as scikit-learn's do, could not be keyed)."""
    path = Path(file).resolve()
    return path.is_relative_to(ROOT) and not any(path.is_relative_to(p) for p in _environment())


@functools.cache
def _environment() -> tuple[Path, ...]:
    """The folders Python and the installed libraries live in."""
    import sysconfig

    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    folders.update(sysconfig.get_paths()[name] for name in ("stdlib", "purelib", "platlib"))
    # not a folder the repository itself is in (a checkout below /usr with the system Python)
    return tuple(p for p in {Path(f).resolve() for f in folders} if not ROOT.is_relative_to(p))


def _value_key(value: object, seen: dict[int, str]) -> str:
    """A text that changes whenever ``value``'s code or contents change."""

    if id(value) in seen:
        return seen[id(value)]
    if hasattr(value, "__wrapped__") and callable(value):  # another disk_cache'd function
        return _value_key(value.__wrapped__, seen)
    if not callable(value):
        token = argument_token(value)
        if token is not None:
            return token
    if isinstance(value, types.ModuleType):
        if value.__name__.startswith("snippets."):
            path = module_path(value.__name__)
            if path.is_file():
                return hashlib.sha256(path.read_bytes()).hexdigest()
        return f"module {value.__name__}"
    if isinstance(value, torch.Tensor):
        return f"tensor {hashlib.sha256(value.detach().cpu().numpy().tobytes()).hexdigest()}"
    if isinstance(value, np.ndarray):
        return f"array {value.dtype} {value.shape} {hashlib.sha256(value.tobytes()).hexdigest()}"
    if isinstance(value, (types.BuiltinFunctionType, *_DESCRIPTORS)):  # C: len, Tensor.pow_
        owner = getattr(value, "__objclass__", None) or getattr(value, "__module__", None)
        return f"builtin {owner}.{value.__qualname__}"
    if isinstance(value, type | types.FunctionType) and _is_library(value):
        return f"{value.__module__}.{value.__qualname__}"
    if isinstance(value, types.FunctionType):
        seen[id(value)] = f"function {value.__qualname__} (recursive)"
        parts = [_code_key(value.__code__, value.__globals__, seen)]
        parts += [_value_key(v, seen) for v in value.__defaults__ or ()]
        parts += [_value_key(v, seen) for v in (value.__kwdefaults__ or {}).values()]
        parts += [_value_key(cell.cell_contents, seen) for cell in value.__closure__ or ()]
        seen[id(value)] = hashlib.sha256("\0".join(parts).encode()).hexdigest()
        return seen[id(value)]
    if isinstance(value, type):
        seen[id(value)] = f"class {value.__qualname__} (recursive)"
        parts = [value.__qualname__, *(_value_key(base, seen) for base in value.__bases__)]
        for name, member in sorted(vars(value).items()):
            if isinstance(member, staticmethod | classmethod):
                member = member.__func__
            if isinstance(member, property):
                member = member.fget
            if isinstance(member, types.FunctionType):
                if member.__code__.co_filename.startswith("<"):
                    continue  # written by dataclass or NamedTuple from the fields below
                parts.append(f"{name}: {_value_key(member, seen)}")
            elif name == "__annotations__":  # the fields' names (their types may be strings)
                parts.append(f"fields {list(member)}")
            elif not name.startswith("__") and argument_token(member) is not None:
                parts.append(f"{name} = {argument_token(member)}")  # _fields, a default ...
        seen[id(value)] = hashlib.sha256("\0".join(parts).encode()).hexdigest()
        return seen[id(value)]
    if isinstance(value, dict):
        items = [f"{_value_key(k, seen)}: {_value_key(v, seen)}" for k, v in value.items()]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_value_key(v, seen) for v in value) + ")"
    if callable(value) and _is_library(value) and not isinstance(value, torch.nn.Module):
        name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
        if name:  # torch.randn, a ufunc, torch.no_grad ...
            return f"{getattr(value, '__module__', '')}.{name}"
    return _object_key(value, seen)


class _KeyPickler(pickle.Pickler):
    """Pickles an object to describe it, noting the project's classes it holds."""

    def __init__(self, file) -> None:
        super().__init__(file, protocol=4)
        self.classes: list[type] = []

    def reducer_override(self, obj):
        if isinstance(obj, type) and not _is_library(obj):
            self.classes.append(obj)  # keyed by its code below, wherever it was defined
            return _class_named, ("", obj.__qualname__)
        if isinstance(obj, torch.Tensor):  # pickle would name a storage by its address
            data = obj.detach().cpu()
            digest = hashlib.sha256(data.numpy().tobytes()).hexdigest()
            return str, (f"{type(obj).__name__} {data.dtype} {tuple(data.shape)} {digest}",)
        return NotImplemented


def _object_key(value: object, seen: dict[int, str]) -> str:
    """Any other object (a trained network, a fitted estimator) by its pickled state.

    The bytes say what the object holds (weights, settings); the classes of the
    project it holds are keyed by their code, which pickle stores by name only.
    """
    buffer = io.BytesIO()
    pickler = _KeyPickler(buffer)
    try:
        pickler.dump(value)
    except Exception as error:  # a lock, an open file, a generator of batches ...
        raise Unkeyable(f"cannot key {type(value).__qualname__}: {error}") from None
    parts = [hashlib.sha256(buffer.getvalue()).hexdigest()]
    parts += [_value_key(cls, seen) for cls in dict.fromkeys(pickler.classes)]
    return "object " + hashlib.sha256("\0".join(parts).encode()).hexdigest()


# The compiler writes the same source a little differently depending on what
# else it compiles with it: a call on an imported module is LOAD_GLOBAL + LOAD_ATTR
# when ``import torch`` is in the same unit (a module) and LOAD_GLOBAL +
# LOAD_METHOD when it is not (a page's example). Those spell one operation.
_SAME_OPERATION = {"LOAD_METHOD": "LOAD_ATTR"}
_GLOBAL_READS = {"LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL"}


@functools.lru_cache(maxsize=1 << 14)  # code objects are immutable: read each once
def _instructions(code) -> tuple[tuple[str, ...], frozenset[str]]:
    """``code`` as its operations independent of byte offsets, and the globals it reads."""
    import dis

    ops: list[str] = []
    names: set[str] = set()
    instructions = list(dis.get_instructions(code))
    index = {ins.offset: i for i, ins in enumerate(instructions)}
    for ins in instructions:
        name = _SAME_OPERATION.get(ins.opname, ins.opname)
        if ins.opname in _GLOBAL_READS:
            names.add(ins.argval)
        if isinstance(ins.argval, types.CodeType):
            inner, inner_names = _instructions(ins.argval)
            ops.append(f"{name} <code {ins.argval.co_name}: {'; '.join(inner)}>")
            names |= inner_names
        elif ins.opcode in dis.hasjrel or ins.opcode in dis.hasjabs:
            ops.append(f"{name} ->{index.get(ins.argval, ins.argval)}")  # by instruction
        else:
            ops.append(f"{name} {ins.argval!r}")
    return tuple(ops), frozenset(names)


def _code_key(code, namespace: dict, seen: dict[int, str]) -> str:
    """Hash ``code`` (its operations, constants, nested code) and every global it reads."""
    import builtins

    ops, names = _instructions(code)
    parts = [code.co_name, repr(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])]
    parts += ops
    for name in sorted(names):
        if name in namespace:
            parts.append(f"{name}={_value_key(namespace[name], seen)}")
        elif not hasattr(builtins, name):
            parts.append(f"{name}=<undefined>")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def module_path(name: str) -> Path:
    """The file of the ``snippets`` module ``name`` (it may not exist)."""
    return PACKAGE / (name.removeprefix("snippets.").replace(".", "/") + ".py")


def function_key(function) -> str:
    """Hash of a function's code and of everything it reads, transitively, plus the versions.

    The same code gives the same key wherever it was defined: in a ``snippets``
    module, on a page that includes that module's code, or in a lab. A change
    to the function, to a function or class it uses, to a constant it reads or
    to a pinned dependency gives another key.

    >>> from snippets import training
    >>> function_key(training.fit) == function_key(training.fit)
    True
    >>> function_key(training.fit) == function_key(training.accuracy)
    False
    """
    digest = hashlib.sha256(_value_key(function, {}).encode())
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file():
        digest.update(pyproject.read_bytes())
    digest.update(f"torch {torch.__version__} numpy {np.__version__}".encode())
    # the CPU code path (snippets.CPU_PATHS): another path trains to other numbers
    paths = {name: os.environ.get(name, "") for name in CPU_PATHS}
    digest.update(f"{torch.backends.cpu.get_cpu_capability()} {sorted(paths.items())}".encode())
    return digest.hexdigest()


def argument_token(value: object) -> str | None:
    """The text of plain data (numbers, strings, ``None`` and containers of them), else ``None``.

    >>> argument_token((0, 1.5, "digits", None))
    "(0, 1.5, 'digits', None)"
    >>> argument_token({"lr": 0.1, "momentum": (0.9,)})
    "{'lr': 0.1, 'momentum': (0.9,)}"
    >>> argument_token(len) is None, argument_token(object()) is None
    (True, True)
    """
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    if isinstance(value, tuple | list):
        parts = [argument_token(v) for v in value]
        if any(p is None for p in parts):
            return None
        inner = ", ".join(parts) + ("," if isinstance(value, tuple) and len(parts) == 1 else "")
        kind = "" if type(value) in (tuple, list) else type(value).__qualname__
        return f"{kind}({inner})" if isinstance(value, tuple) else f"{kind}[{inner}]"
    if isinstance(value, dict):
        items = [(argument_token(k), argument_token(v)) for k, v in value.items()]
        if any(k is None or v is None for k, v in items):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    return None


@contextlib.contextmanager
def same_random_state() -> Iterator[None]:
    """Restore Python's, NumPy's and torch's global random state on leaving."""
    python, numpy, torch_state = random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        yield
    finally:
        random.setstate(python)
        np.random.set_state(numpy)
        torch.set_rng_state(torch_state)


# A result holds objects of the project's classes (a NamedTuple of runs, an
# ``nn.Module``), and a page's example defines those classes in its own namespace,
# where pickle cannot find them by module. So a class of the project is stored by
# its name and looked up, on loading, among the names of the function that asked.
_LOADING: contextvars.ContextVar[dict | None] = contextvars.ContextVar("loading", default=None)


def _class_named(module: str, qualname: str) -> type:
    """The class ``qualname`` of the function that is loading, else of ``module``."""
    namespace = _LOADING.get() or {}
    head, *rest = qualname.split(".")
    if head in namespace:
        found = namespace[head]
    else:
        found = importlib.import_module(module)
        rest = qualname.split(".")
    for part in rest:
        found = getattr(found, part)
    return found


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, type) and not _is_library(obj):
            return _class_named, (obj.__module__ or "", obj.__qualname__)
        return NotImplemented


_PICKLE = types.SimpleNamespace(
    __name__="pickle", Pickler=_Pickler, Unpickler=pickle.Unpickler, load=pickle.load
)


def _load(path: Path, namespace: dict) -> object:
    token = _LOADING.set(namespace)
    try:
        with warnings.catch_warnings():  # torch's note on its own storage classes
            warnings.filterwarnings("ignore", "TypedStorage is deprecated", UserWarning)
            return torch.load(path, weights_only=False, pickle_module=_PICKLE)
    finally:
        _LOADING.reset(token)


def _store(value: object, path: Path) -> bool:
    """Write ``value`` to ``path`` atomically; ``False`` when it cannot be stored."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        torch.save(value, tmp, pickle_module=_PICKLE)
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        tmp.unlink(missing_ok=True)
        log.debug("not stored (%s): %s", path.name, error)
        return False
    tmp.replace(path)
    return True


def disk_cache(func: F) -> F:
    """Run ``func`` once per code and arguments; keep its result in memory and on disk."""
    signature = inspect.signature(func)
    memory: dict[str, object] = {}

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        folder = cache_dir()
        try:  # the arguments by content: a function argument by its code
            token = _value_key(tuple(bound.arguments.items()), {})
            key = function_key(func) if folder is not None else ""
        except Unkeyable:  # an argument or a global with no stable description
            with same_random_state():
                return func(*args, **kwargs)
        if token in memory:
            return memory[token]
        with same_random_state():
            if folder is None:
                value = func(*args, **kwargs)
            else:
                name = hashlib.sha256(f"{key}\0{token}".encode()).hexdigest()[:24]
                path = folder / f"{func.__qualname__}.{name}.pt"
                from filelock import FileLock

                folder.mkdir(parents=True, exist_ok=True)
                with FileLock(str(path) + ".lock"):
                    value = _MISSING
                    if path.exists():
                        try:
                            value = _load(path, func.__globals__)
                        except Exception as error:  # written by other code: compute again
                            log.debug("could not load %s: %s", path.name, error)
                    if value is _MISSING:
                        value = func(*args, **kwargs)
                        _store(value, path)
        memory[token] = value
        return value

    wrapper.cache_clear = memory.clear  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


__all__ = ["argument_token", "cache_dir", "disk_cache", "function_key", "same_random_state"]
