"""Validate a raw TOML dict key by key into a Rubric; every error names the file, the dotted key and the fix."""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from grader.profiles import DEFAULT_PROFILE, PROFILE_NAMES, get_profile
from grader.rubric.model import (ACTIVATIONS, CHECK_NAME, DEFAULT_MIN_EXAMPLES, MODULE_NAME, VISIBILITIES, CheckRule,
                                 ComponentRule, Limits, Rubric, RubricError, TrainingConfig)
from grader.vocabulary import TAGS


class _Validator:
    """Turns one raw TOML dict into a Rubric; every error goes through `fail`."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, value: Any, problem: str, example: str) -> RubricError:
        shown = _toml_repr(value)
        return RubricError(f"{self.source}: {key} = {shown} {problem}; e.g. {example}")

    def unknown_keys(self, table: Mapping[str, Any], allowed: Iterable[str], prefix: str) -> None:
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                dotted = f"{prefix}{key}"
                if close:
                    fix = f"did you mean '{prefix}{close[0]}'?"
                else:
                    fix = "allowed keys here: " + ", ".join(allowed)
                raise RubricError(f"{self.source}: unknown key '{dotted}'; {fix}")

    # -- typed getters (bool is an int in Python: refuse it for numbers) ----------------

    def integer(self, table: Mapping[str, Any], key: str, prefix: str, default: int, *,
                minimum: int = 1, unit: str = "") -> int:
        value = table.get(key, default)
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
        if not ok:
            what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise self.fail(prefix + key, value, f"must be {what}{unit}", f"{key} = {default}")
        return value

    def number(self, table: Mapping[str, Any], key: str, prefix: str, default: float, *,
               positive: bool = True, at_most: float | None = None, unit: str = "") -> float:
        value = table.get(key, default)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if ok and positive:
            ok = value > 0
        if ok and not positive:
            ok = value >= 0
        if ok and at_most is not None:
            ok = value <= at_most
        if not ok:
            what = "a positive number" if positive else "a number >= 0"
            if at_most is not None:
                what += f" and at most {at_most:g}"
            raise self.fail(prefix + key, value, f"must be {what}{unit}", f"{key} = {default}")
        return float(value)

    def string(self, table: Mapping[str, Any], key: str, prefix: str, default: str, *,
               choices: tuple[str, ...] | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(prefix + key, value, "must be a non-empty string", f'{key} = "{default}"')
        if choices is not None and value not in choices:
            close = difflib.get_close_matches(value, choices, n=1)
            hint = f" (did you mean \"{close[0]}\"?)" if close else ""
            raise self.fail(prefix + key, value, f"must be one of {', '.join(choices)}{hint}",
                            f'{key} = "{close[0] if close else choices[0]}"')
        return value

    def boolean(self, table: Mapping[str, Any], key: str, prefix: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(prefix + key, value, "must be true or false (no quotes)",
                            f"{key} = {str(default).lower()}")
        return value

    def names(self, table: Mapping[str, Any], key: str, prefix: str, default: Iterable[str], *,
              example: str, pattern: re.Pattern[str] = MODULE_NAME, allow_empty: bool = True) -> tuple[str, ...]:
        value = table.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and pattern.match(v) for v in value):
            raise self.fail(prefix + key, value, "must be a list of module names in quotes", example)
        if not value and not allow_empty:
            raise self.fail(prefix + key, value, "must not be empty", example)
        return tuple(value)

    def table(self, raw: Mapping[str, Any], key: str, example: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise RubricError(f"{self.source}: '{key}' must be a table, not {type(value).__name__}; "
                              f"e.g. {example}")
        return value


def build_rubric(raw: Mapping[str, Any], *, path: Path | None, source: str) -> Rubric:
    v = _Validator(source)
    top = ("name", "profile", "modules", "seed", "hypothesis_max_examples", "hypothesis_min_examples",
           "forbidden_imports", "public_only", "include_tags", "limits", "training", "conventions", "components",
           "checks", "score_beyond_course")
    v.unknown_keys(raw, top, "")

    name = v.string(raw, "name", "", "default")
    profile = get_profile(v.string(raw, "profile", "", DEFAULT_PROFILE, choices=PROFILE_NAMES))
    modules = v.names(raw, "modules", "", profile.modules, allow_empty=False,
                      example='modules = ["layers", "losses", "optim", "network"]')
    if any("." in m for m in modules) and not profile.packages:
        raise v.fail("modules", list(modules), "must be plain file names without '.py' or dots",
                     'modules = ["layers", "losses", "optim", "network"]')
    seed = v.integer(raw, "seed", "", 0, minimum=0)
    max_examples = v.integer(raw, "hypothesis_max_examples", "", 50)
    min_examples = v.integer(raw, "hypothesis_min_examples", "", DEFAULT_MIN_EXAMPLES)
    forbidden = v.names(raw, "forbidden_imports", "", profile.forbidden_imports,
                        example='forbidden_imports = ["torch", "tensorflow"]')
    public_only = v.boolean(raw, "public_only", "", False)
    include_tags: tuple[str, ...] | None = None
    if "include_tags" in raw:
        value = raw["include_tags"]
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise v.fail("include_tags", value, "must be a list of tags in quotes",
                         'include_tags = ["linear", "relu"]')
        for tag in value:
            _check_tag(v, "include_tags", tag)
        include_tags = tuple(value)

    limits = _limits(v, v.table(raw, "limits", "[limits] memory_mb = 512"))
    training = _training(v, v.table(raw, "training", '[training] epochs = 8'))
    convention_table = dict(v.table(raw, "conventions", '[conventions] dropout_p = "keep"'))
    release = _release(v, convention_table.pop("release", None), profile)
    conventions = _conventions(v, convention_table, profile.conventions)
    score_beyond = (v.boolean(raw, "score_beyond_course", "", False)
                    if "score_beyond_course" in raw else None)

    components: dict[str, ComponentRule] = {}
    for tag, entry in v.table(raw, "components", "[components.linear] points = 15").items():
        prefix = f"components.{tag}."
        _check_tag(v, f"components.{tag}", tag)
        if not isinstance(entry, dict):
            raise RubricError(f"{source}: components.{tag} must be a table; e.g. "
                              f"[components.{tag}] then points = 10 on the next line")
        v.unknown_keys(entry, ("points", "visibility"), prefix)
        if "points" not in entry:
            raise RubricError(f"{source}: components.{tag}.points is missing; e.g. points = 10")
        components[tag] = ComponentRule(
            points=v.number(entry, "points", prefix, 10.0, positive=False),
            visibility=v.string(entry, "visibility", prefix, "visible", choices=VISIBILITIES))

    checks: dict[str, CheckRule] = {}
    known = _known_checks(profile.checks_dir)
    for check_name, entry in v.table(raw, "checks", '[checks."test_linear.py::test_forward"] points = 2').items():
        prefix = f'checks."{check_name}".'
        _check_check_name(v, check_name, known)
        if not isinstance(entry, dict):
            raise RubricError(f'{source}: checks."{check_name}" must be a table; e.g. '
                              f'[checks."{check_name}"] then visibility = "hidden" on the next line')
        v.unknown_keys(entry, ("points", "visibility", "enabled"), prefix)
        checks[check_name] = CheckRule(
            points=v.number(entry, "points", prefix, 1.0, positive=False) if "points" in entry else None,
            visibility=(v.string(entry, "visibility", prefix, "visible", choices=VISIBILITIES)
                        if "visibility" in entry else None),
            enabled=v.boolean(entry, "enabled", prefix, True))

    return Rubric(name=name, path=path, modules=modules, limits=limits, forbidden_imports=forbidden,
                  hypothesis_max_examples=max_examples, hypothesis_min_examples=min_examples,
                  seed=seed, training=training,
                  components=components, checks=checks, include_tags=include_tags,
                  public_only=public_only, profile=profile.name, conventions=conventions,
                  conventions_set=tuple(convention_table), release=release,
                  score_beyond_course=score_beyond)


def _limits(v: _Validator, table: Mapping[str, Any]) -> Limits:
    p = "limits."
    d = Limits()
    v.unknown_keys(table, [f.name for f in dataclasses.fields(Limits)], p)
    return Limits(
        call_timeout_s=v.number(table, "call_timeout_s", p, d.call_timeout_s, unit=" (seconds)"),
        import_timeout_s=v.number(table, "import_timeout_s", p, d.import_timeout_s, unit=" (seconds)"),
        function_budget_s=v.number(table, "function_budget_s", p, d.function_budget_s, unit=" (seconds)"),
        train_timeout_s=v.number(table, "train_timeout_s", p, d.train_timeout_s, unit=" (seconds)"),
        run_timeout_s=v.number(table, "run_timeout_s", p, d.run_timeout_s, unit=" (seconds)"),
        memory_mb=v.integer(table, "memory_mb", p, d.memory_mb, unit=" (MiB)"),
        cpu_time_s=v.number(table, "cpu_time_s", p, d.cpu_time_s, unit=" (seconds)"),
        output_limit_bytes=v.integer(table, "output_limit_bytes", p, d.output_limit_bytes, unit=" (bytes)"),
        output_budget_bytes=v.integer(table, "output_budget_bytes", p, d.output_budget_bytes,
                                      unit=" (bytes)"),
    )


def _training(v: _Validator, table: Mapping[str, Any]) -> TrainingConfig:
    p = "training."
    d = TrainingConfig()
    v.unknown_keys(table, [f.name for f in dataclasses.fields(TrainingConfig)], p)
    return TrainingConfig(
        dataset=v.string(table, "dataset", p, d.dataset),
        n_train=v.integer(table, "n_train", p, d.n_train),
        n_test=v.integer(table, "n_test", p, d.n_test),
        hidden=_widths(v, table, "hidden", d.hidden),
        activation=v.string(table, "activation", p, d.activation, choices=ACTIVATIONS),
        epochs=v.integer(table, "epochs", p, d.epochs),
        batch_size=v.integer(table, "batch_size", p, d.batch_size),
        lr=v.number(table, "lr", p, d.lr),
        accuracy_margin=v.number(table, "accuracy_margin", p, d.accuracy_margin, positive=False, at_most=1.0,
                                 unit=" (a fraction, 0.03 = 3 points of accuracy)"),
        min_accuracy=v.number(table, "min_accuracy", p, d.min_accuracy, positive=False, at_most=1.0,
                              unit=" (a fraction of the test set)"),
        time_budget_s=v.number(table, "time_budget_s", p, d.time_budget_s, unit=" (seconds)"),
        rmsprop_lr=v.number(table, "rmsprop_lr", p, d.rmsprop_lr),
        adam_lr=v.number(table, "adam_lr", p, d.adam_lr),
        deep_hidden=_widths(v, table, "deep_hidden", d.deep_hidden),
    )


def _widths(v: _Validator, table: Mapping[str, Any], key: str, default: tuple[int, ...]
            ) -> tuple[int, ...]:
    widths = table.get(key, list(default))
    if not isinstance(widths, list) or not all(
            isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in widths):
        raise v.fail("training." + key, widths, "must be a list of positive layer widths",
                     f"{key} = {list(default)}")
    return tuple(widths)


def _conventions(v: _Validator, table: Mapping[str, Any],
                 allowed: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Each of the profile's conventions: the rubric's value, else the first choice."""
    if table and not allowed:
        raise RubricError(f"{v.source}: [conventions] is not used by this rubric's profile; "
                          "remove it (cs231n-fc reads [conventions] dropout_p)")
    v.unknown_keys(table, allowed, "conventions.")
    return {key: v.string(table, key, "conventions.", choices[0], choices=choices)
            for key, choices in allowed.items()}


def _release(v: _Validator, value: Any, profile: Any) -> str:
    """`[conventions] release`: one of the profile's release names, or "" (detect)."""
    if value is None:
        return ""
    names = tuple(release.name for release in profile.releases)
    if not names:
        raise RubricError(f"{v.source}: conventions.release is not used by the {profile.name} "
                          "profile (it has no releases); remove it")
    return v.string({"release": value}, "release", "conventions.", names[0], choices=names)


def _check_tag(v: _Validator, key: str, tag: str) -> None:
    if tag not in TAGS:
        close = difflib.get_close_matches(tag, TAGS, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else "tags: " + ", ".join(TAGS)
        raise RubricError(f"{v.source}: {key}: unknown component tag '{tag}'; {hint}")


def _known_checks(checks_dir: Path | None = None) -> dict[str, set[str]]:
    """Check functions per file in the profile's check folder, found by reading the sources
    (no import).

    Empty when the check modules are not there, so a rubric still loads in a
    partial checkout; the name *format* is validated regardless.
    """
    found: dict[str, set[str]] = {}
    checks_dir = checks_dir or get_profile(DEFAULT_PROFILE).checks_dir
    for file in sorted(checks_dir.glob("test_*.py")):
        try:
            text = file.read_text(encoding="utf-8")
        except OSError:
            continue
        found[file.name] = set(re.findall(r"^\s*(?:async\s+)?def\s+(test_\w+)\s*\(", text, re.M))
    return found


def _check_check_name(v: _Validator, name: str, known: dict[str, set[str]]) -> None:
    match = CHECK_NAME.match(name)
    if not match:
        raise RubricError(f'{v.source}: checks."{name}": a check is named "test_<file>.py::test_<name>"; '
                          f'e.g. [checks."test_linear.py::test_forward"]')
    if not known:
        return
    file, func = match.group(1), match.group(2)
    if file not in known:
        # Only a near-miss is an error: check modules can be added by other packages
        # or be absent from a partial checkout, but "test_lineer.py" is a typo.
        close = difflib.get_close_matches(file, list(known), n=1, cutoff=0.85)
        if close:
            raise RubricError(f'{v.source}: checks."{name}": no check file {file}; did you mean \'{close[0]}\'?')
        return
    if func not in known[file]:
        close = difflib.get_close_matches(func, sorted(known[file]), n=1)
        hint = f"did you mean '{file}::{close[0]}'?" if close else (
            f"checks in {file}: " + ", ".join(sorted(known[file])))
        raise RubricError(f'{v.source}: checks."{name}": no check {func} in {file}; {hint}')


def _toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_repr(x) for x in value) + "]"
    if isinstance(value, dict):
        return "{...}"
    return str(value)
