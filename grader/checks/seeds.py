"""Each check's Hypothesis seed, the one `derandomize=True` computes, kept between runs.

Derandomized Hypothesis seeds a check from a digest of its source, read, parsed and
tokenized at every run: ~1.4 ms of CPU per check. The same source gives the same digest,
so it is kept in the grader's cache after the first run (computed then as Hypothesis
computed it), in one file per check module named by the hash of the module's text and
Hypothesis's version. The check then gets that seed explicitly (`hypothesis.seed`, which
Hypothesis puts before derandomize), so it draws exactly the examples it drew before. Any trouble with the cache (missing, unwritable,
damaged) only means the digest is computed again.

(A seed derived from the check's name alone would skip the digest too, but it changes
the examples, and with them what some catalog bugs are caught as: cs231n's numerical
TwoLayerNet check then draws a regularised case and also reports a mutant whose loss
omits the regulariser as a wrong gradient.)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import seed
# The digest derandomize seeds a test from (hypothesis.core.get_random_for_wrapped_test).
from hypothesis.internal.reflection import function_digest


class DerandomizedSeeds:
    """The seeds of one grading session's checks; `folder` keeps them between runs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._by_module: dict[Path, tuple[Path | None, dict[str, int]]] = {}  # module -> (file, seeds)
        self._changed: set[Path] = set()

    def apply(self, item: pytest.Item) -> None:
        """Before `item` runs: its kept seed, or, with none kept yet, no explicit seed, so that
        derandomize computes it as usual (`learn` keeps it). Set per item: the parameters of
        a check share one function, and each has its own seed."""
        found = self._find(item)
        if found is not None:
            test, seeds = found
            seed(seeds.get(item.nodeid))(test)

    def learn(self, item: pytest.Item) -> None:
        """After `item`'s call: keep the seed derandomize computed for it, if none was kept.
        Computed now, as Hypothesis computed it: from the check's source and what its pytest
        plugin added for this invocation (the node id of a parametrized check)."""
        found = self._find(item)
        if found is None or item.nodeid in found[1]:
            return
        found[1][item.nodeid] = int.from_bytes(function_digest(found[0].hypothesis.inner_test), "big")
        self._changed.add(item.path)

    def _find(self, item: pytest.Item) -> tuple[Any, dict[str, int]] | None:
        """(the Hypothesis test, its module's kept seeds), or None for any other check."""
        test = getattr(item, "obj", None)
        module = getattr(item, "path", None)
        if getattr(test, "hypothesis", None) is None or not isinstance(module, Path):
            return None
        return test, self._seeds_of(module)[1]

    def save(self) -> None:
        """Write the modules' files that gained a seed (whole files: a concurrent run reads
        the old file or the new one), with the seeds the file gained since it was read."""
        from grader.data.cache import atomic_writer

        for module in self._changed:
            file, seeds = self._by_module[module]
            if file is None:
                continue
            # What another run (or the other shard of this one) kept meanwhile stays kept.
            seeds = {**self._read(module)[1], **seeds}
            try:
                with atomic_writer(file) as out:
                    out.write(json.dumps(seeds, sort_keys=True).encode())
            except OSError:
                pass
        self._changed.clear()

    def _seeds_of(self, module: Path) -> tuple[Path | None, dict[str, int]]:
        if module not in self._by_module:
            self._by_module[module] = self._read(module)
        return self._by_module[module]

    def _read(self, module: Path) -> tuple[Path | None, dict[str, int]]:
        try:
            digest = hashlib.sha256(module.read_bytes()).hexdigest()[:24]
        except OSError:
            return None, {}
        file = self.folder / f"{digest}-hypothesis-{hypothesis.__version__}.json"
        try:
            kept: Any = json.loads(file.read_text())
        except (OSError, ValueError):
            return file, {}
        if not isinstance(kept, dict):
            return file, {}
        return file, {k: v for k, v in kept.items() if isinstance(k, str) and type(v) is int}
