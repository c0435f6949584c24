"""snippets/cache.py: a stored result is one the code made; reading it changes nothing."""

from __future__ import annotations

import copy
import random
import sys
import threading
import types

import numpy as np
import pytest
import torch

from snippets import cache


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty results folder; returns a function listing the stored files."""
    monkeypatch.setenv("DOCS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DOCS_RESULT_CACHE", raising=False)
    return lambda: sorted(p.name for p in (tmp_path / "cache" / "results").glob("*.pt"))


# Each example function prints when it really runs: the key of a function covers
# everything it reads, so a call counter it appended to would change its own key.
PAGE = """
import random
from dataclasses import dataclass
import numpy as np
import torch

@dataclass
class Config:
    width: int = 2

SCALE = 2

def helper(x):
    return x * SCALE

def train(seed, steps=3):
    print("training", seed, steps)
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    return torch.randn(steps) + helper(seed) + CONFIG.width

CONFIG = Config()
"""


def define(source: str = PAGE, filename: str = "docs/en/page.md", **names) -> dict:
    """Run ``source`` the way a page's examples run: in a fresh namespace."""
    namespace: dict = dict(names)
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def runs(capsys) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("training")]


def test_a_second_process_loads_the_result_instead_of_computing_it(store, capsys):
    first = cache.disk_cache(define()["train"])(1)
    assert runs(capsys) == ["training 1 3"]
    assert len(store()) == 1
    again = cache.disk_cache(define()["train"])  # a new process: the same files on disk
    assert torch.equal(again(1), first)
    assert torch.equal(again(seed=1, steps=3), first)  # the same arguments, spelled otherwise
    assert runs(capsys) == []
    again(2)
    assert runs(capsys) == ["training 2 3"]
    assert len(store()) == 2


def test_a_changed_helper_or_constant_computes_again(store, capsys):
    namespace = define()
    cache.disk_cache(namespace["train"])(3)
    exec("def helper(x):\n    return x * SCALE + 1\n", namespace)  # the helper changes
    cache.disk_cache(namespace["train"])(3)
    namespace["SCALE"] = 10  # a constant it reads changes
    cache.disk_cache(namespace["train"])(3)
    cache.disk_cache(define()["train"])(3)  # the original code again: stored
    assert runs(capsys) == ["training 3 3"] * 3
    assert len(store()) == 3


def test_the_same_code_defined_elsewhere_shares_the_result(store, capsys, monkeypatch):
    """A page that includes a module's code finds the result the module's function stored."""
    # a module with postponed annotations (dataclass field types become strings)
    fake = types.ModuleType("snippets.fake")
    monkeypatch.setitem(sys.modules, "snippets.fake", fake)
    source = "from __future__ import annotations\n" + PAGE
    exec(compile(source, "snippets/fake.py", "exec"), fake.__dict__)
    module = fake.__dict__
    # a page runs its imports in one example and defines the functions in others:
    # the compiler then spells a call on ``torch`` otherwise (LOAD_METHOD)
    imports, _, functions = PAGE.partition("SCALE = 2")
    page = define(imports, filename="docs/ko/page.md")
    exec(compile("\n" * 40 + "SCALE = 2" + functions, "docs/ko/page.md", "exec"), page)
    assert torch.equal(cache.disk_cache(module["train"])(1), cache.disk_cache(page["train"])(1))
    assert runs(capsys) == ["training 1 3"]
    assert len(store()) == 1


def test_the_global_random_state_is_the_same_after_a_hit_and_after_a_miss(store):
    def draws():
        return torch.rand(2).tolist(), np.random.rand(2).tolist(), random.random()

    def seeded_call(train):
        torch.manual_seed(123), np.random.seed(123), random.seed(123)
        if train is not None:
            train(5)  # reseeds inside when it really runs
        return draws()

    after_miss = seeded_call(cache.disk_cache(define()["train"]))
    after_hit = seeded_call(cache.disk_cache(define()["train"]))
    assert after_miss == after_hit == seeded_call(None)


def test_a_network_argument_is_keyed_by_its_weights_and_settings(store, capsys):
    train = cache.disk_cache(
        define("def train(net):\n    print('training')\n    return 1\n")["train"]
    )
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
    train(net), train(copy.deepcopy(net))  # the same weights and settings: one run
    net[1].p = 0.1  # another setting, no weight changed
    train(net)
    with torch.no_grad():
        net[0].weight += 1
    train(net)
    assert len(runs(capsys)) == 3
    assert len(store()) == 3


def test_off_keeps_results_in_memory_only(store, capsys, monkeypatch):
    monkeypatch.setenv("DOCS_RESULT_CACHE", "off")
    train = cache.disk_cache(define()["train"])
    train(1), train(1)
    assert runs(capsys) == ["training 1 3"]
    assert store() == []


def test_an_argument_or_a_global_without_a_stable_key_is_not_stored(store, capsys):
    train = cache.disk_cache(define()["train"])
    namespace = define("def train(option):\n    print('training', option)\n")
    with_object = cache.disk_cache(namespace["train"])
    with_object(threading.Lock()), with_object(threading.Lock())
    namespace = define(
        PAGE + "LOCK = threading.Lock()\ndef run():\n    return LOCK\n", threading=threading
    )
    cache.disk_cache(namespace["run"])()
    assert len(runs(capsys)) == 2
    assert store() == []
    train(1)  # plain arguments and globals: stored
    assert len(store()) == 1


def test_the_training_functions_of_the_chapters_are_stored():
    """The expensive results every reader of the code shares are the cached ones."""
    from snippets import (
        augmentation,
        bert,
        cnn,
        detection,
        gan,
        learning,
        metrics,
        transfer,
        tuning,
        vae,
    )

    for function in [
        augmentation.few_shot_cnn,
        augmentation.reference_cnn,
        bert.train_order_classifier,
        cnn.train_lenet5,
        detection.train_rcnn,  # its SVMs are scikit-learn's, which read a thread-local setting
        detection.evaluate,
        gan.train_gan,
        learning.regularization_study,
        metrics.capacity_sweep,
        transfer.pretrained_weights,
        tuning._validation_accuracy,
        vae.train_vae,
    ]:
        assert function.__wrapped__.__module__ == function.__module__
        assert getattr(sys.modules[function.__module__], function.__name__) is function
        assert len(cache.function_key(function)) == 64  # every global it reads has a key


def test_libraries_installed_inside_the_checkout_are_libraries():
    """``make setup`` puts the environment in ``.venv/``, inside the repository: its libraries
    are keyed by their pinned versions, not walked as the project's code."""
    from sklearn.svm import LinearSVC

    assert cache._is_library(LinearSVC) and cache._is_library(torch.nn.Linear)
    assert not cache._inside_project(torch.__file__)
    assert cache._inside_project(cache.__file__)
    inside = cache.ROOT / ".venv" / "lib" / "site-packages" / "x.py"
    if any(inside.is_relative_to(p) for p in cache._environment()):  # the environment is there
        assert not cache._inside_project(str(inside))
