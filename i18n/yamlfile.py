"""The one YAML loader of the project: errors name the file and the line.

Every data file (``i18n/*.yml``, ``i18n/words/*.yml``, front matter) is read
through :func:`load_yaml` or :func:`parse_yaml`, so a syntax error reads
``i18n/glossary.yml:149: not valid YAML (...)`` wherever it is found: in
``python -m i18n check``, in the build, and in the tests.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# what this module reads by itself (hooks/code_inputs.py): nothing; ROOT only shortens paths in
# messages, and the files it loads are named by its callers (who declare them)
READS = ()
# libyaml's parser when PyYAML was built with it (the wheels are): the same
# documents, errors and line marks, about ten times faster than the pure-Python one
# (the glossary alone took about a second of every build)
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlError(ValueError):
    """A data file is not valid YAML; ``str()`` is ``path:line: message``."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


def shown(path: Path | str) -> str:
    """``path`` relative to the repository when inside it (never a machine's absolute path)."""
    path = Path(path)
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def parse_yaml(
    text: str, display: str, first_line: int = 1, what: str = "not valid YAML"
) -> object:
    """Parse ``text``; ``display`` and ``first_line`` place an error in its file."""
    try:
        return yaml.load(text, Loader=Loader)  # a safe loader (libyaml or Python)
    except yaml.YAMLError as error:
        raise _error(error, display, first_line, what) from None


def _error(error: yaml.YAMLError, display: str, first_line: int, what: str) -> YamlError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = first_line + (mark.line if mark is not None else 0)
    problem = getattr(error, "problem", None) or str(error).split("\n")[0]
    return YamlError(display, line, f"{what} ({problem})")


def compose_yaml(text: str, display: str) -> yaml.Node | None:
    """Compose ``text`` into nodes (which keep their line numbers)."""
    return compose_and_load(text, display)[0]


def compose_and_load(
    text: str, display: str, what: str = "not valid YAML"
) -> tuple[yaml.Node | None, object]:
    """Parse ``text`` once into its node tree (for line numbers) and its Python value.

    ``what`` starts the message of a syntax error (after ``path:line:``).
    """
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        raise _error(error, display, 1, what) from None
    finally:
        loader.dispose()
    return node, data


def load_yaml(path: Path) -> object:
    """Read and parse the YAML file ``path``."""
    return parse_yaml(path.read_text(encoding="utf-8"), shown(path))
