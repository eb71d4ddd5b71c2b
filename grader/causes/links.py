"""Which root cause explains another: a cause told under the bug it follows from.

A cause of tier 2 or 3 is listed under the root cause that explains it ("and
therefore: no-learning, single-class-collapse") when its own text quotes that
cause (the training checks replay the layers and quote the bug they find), or,
marked as *probable*, when only training checks show it while a named bug sits
in a component training uses. A network's check that meets a layer's bug is that
bug too: the same cause, told once under the layer's card.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from grader.causes.hints import headline, normalised, subject

if TYPE_CHECKING:
    from grader.causes.grouping import C, Cause

#: Component tags of checks that train a whole network (and time it): what they see
#: follows from the components they train.
TRAINING_TAGS = frozenset({"training", "performance"})


def training_only(cause: Cause[C]) -> bool:
    return all(TRAINING_TAGS.intersection(c.tags) for c in cause.checks)


def explaining_root(cause: Cause[C], roots: list[Cause[C]]) -> tuple[Cause[C] | None, bool]:
    """The root cause `cause`'s text quotes (certain), else, for a cause seen only in training
    checks, the first named bug outside training (probable); (None, False) if neither."""
    said = normalised(" ".join(
        [d.hint for c in cause.checks for d in c.diagnoses] + [c.message for c in cause.checks]))
    for root in roots:
        if root is cause or training_only(root):
            continue
        quoted = normalised(headline(root.diagnosis.hint, root.id)) if root.diagnosis is not None else ""
        if len(quoted) >= 12 and quoted in said:
            return root, False
    # A shape error blamed on the array that produced it (grader.checks.diagnose.blame_producer:
    # "Linear 1 of 2's db has shape (2, 64)") is the bug a component check names on the same
    # component and array ("Linear's db has shape (1, 2): it keeps the batch axis"), in other
    # words and at other sizes; a bug with its own name is preferred to another shape-mismatch.
    about = subject(cause.diagnosis.hint) if cause.id == "shape-mismatch" and cause.diagnosis else None
    if about is not None:
        same = [root for root in roots if root is not cause and root.tier == 0 and not training_only(root)
                and subject(root.diagnosis.hint) == about]
        if same:
            return sorted(same, key=lambda r: r.id == "shape-mismatch")[0], False
    # A net's gradient dict with a bias (weight) gradient of the wrong shape, when a layer's own
    # backward makes its bias (weight) gradient wrong the same way: the layer's bug, seen
    # through the net (CS231n's affine_backward db (1, 1) -> TwoLayerNet's grads['b2'] (2, 2)).
    layer = same_bug_root(cause, roots)
    if layer is not None:
        return layer, False
    if cause.tier >= 2 and training_only(cause):
        for root in roots:
            if root.tier == 0 and not training_only(root):
                return root, True
    return None, False


# What a gradient is of, by its name in each contract: dW / dLdW / dw / grads['W1'] (a weight),
# db / dLdb / grads['b1'] (a bias). A net's gradient dict is grads[...].
_WEIGHT_GRAD = re.compile(r"^(?:d(?:Ld)?[Ww]\d*|grads\[['\"]W\d*['\"]\])$")
_BIAS_GRAD = re.compile(r"^(?:d(?:Ld)?b\d*|grads\[['\"]b\d*['\"]\])$")
# "has shape (2, 2); the contract requires (2,)", "has shape (64, 64); the contract is (64,)",
# "has shape (2, 3), the transpose of the required (3, 2)".
_SHAPES = re.compile(r"has shape (\([\d, ]*\))[,;:]? (?:the contract (?:requires|is)|the transpose of the required) "
                     r"(\([\d, ]*\))")


def _gradient_defect(hint: str) -> tuple[str, str] | None:
    """("weight" | "bias", how its shape is wrong) for a hint about a gradient's shape, else
    None. How: "transposed", "extra axis" (one axis more than the contract), or "other"."""
    about = subject(hint)
    shapes = _SHAPES.search(hint)
    if about is None or shapes is None:
        return None
    kind = "weight" if _WEIGHT_GRAD.match(about[1]) else "bias" if _BIAS_GRAD.match(about[1]) else None
    if kind is None:
        return None
    got, want = (tuple(int(n) for n in re.findall(r"\d+", g)) for g in shapes.groups())
    how = "transposed" if len(got) == 2 and got == want[::-1] and got != want else \
        "extra axis" if len(got) == len(want) + 1 else "other"
    return kind, how


def _layer_gradient_root(cause: Cause[C], roots: list[Cause[C]]) -> Cause[C] | None:
    """The layer's shape bug that `cause` (a net's grads[...] of the wrong shape) follows from:
    a root outside training on a layer's own gradient (not grads[...]) of the same kind, wrong
    in the same way; None when there is none or `cause` is not such a symptom."""
    if cause.id != "shape-mismatch" or cause.diagnosis is None:
        return None
    about, defect = subject(cause.diagnosis.hint), _gradient_defect(cause.diagnosis.hint)
    if about is None or defect is None or not about[1].startswith("grads["):
        return None
    for root in roots:
        if root is cause or root.tier != 0 or root.diagnosis is None or training_only(root):
            continue
        root_about = subject(root.diagnosis.hint)
        if root_about is not None and not root_about[1].startswith("grads[") \
                and _gradient_defect(root.diagnosis.hint) == defect:
            return root
    return None


# "ReLU 1 of 2: forward differs ...", "Linear 3 of 3, (1, 2) weights: dx uses dW": a layer's
# bug found inside a network; the layer's class opens it.
_INSIDE = re.compile(r"^([A-Z]\w*) \d+ of \d+(?:, [^:]{0,40})?: ")
# "... but your ReLU.forward is not the function it differentiates": the bug is in the forward.
_BLAMES_FORWARD = re.compile(r"\byour ([A-Za-z_]\w*\.forward) is not the function it differentiates")


# A hint about the whole network (the assignment's model classes), not one of its layers.
_NETWORK = re.compile(r"^(?:MLP\d*|TwoLayerNet|FullyConnectedNet)\b")


def _opening_name(hint: str) -> str:
    found = re.match(r"[A-Za-z_]\w*(?:\.\w+)?", hint.strip())
    return found.group(0) if found else ""


def same_bug_root(cause: Cause[C], roots: list[Cause[C]]) -> Cause[C] | None:
    """The root that is the same bug as `cause`, told elsewhere: a layer's bug that a network
    check found inside the network ("ReLU 1 of 2: forward differs" -> the ReLU check's
    "ReLU.forward differs from max(x, 0)", same id); a backward check that blames the forward
    ("... your ReLU.forward is not the function it differentiates") -> the forward's cause; a
    net's grads[...] of the wrong shape -> the layer's gradient wrong the same way."""
    if cause.diagnosis is None:
        return None
    hint = cause.diagnosis.hint.strip()
    others = [r for r in roots if r is not cause and r.diagnosis is not None and r.explained_by is None
              and not training_only(r)]
    inside = _INSIDE.match(hint)
    if inside:
        for root in others:
            if (root.id == cause.id or (cause.tier == 1 and root.tier == 0)) \
                    and not _INSIDE.match(root.diagnosis.hint.strip()) \
                    and _opening_name(root.diagnosis.hint).split(".")[0] == inside.group(1) \
                    and _components(root) != _components(cause):
                return root
    blamed = _BLAMES_FORWARD.search(hint)
    if blamed:
        # The forward's own cause, by name, else the named bug its component's checks found
        # ("the loss is N times the contract's value" in the same cross-entropy checks).
        named = [r for r in others if _opening_name(r.diagnosis.hint) == blamed.group(1)]
        same_part = [r for r in others if r.tier == 0 and _components(r) & _components(cause)]
        if named or same_part:
            return (named or same_part)[0]
    if _NETWORK.match(hint) and cause.id != "shape-mismatch":  # which array: _layer_gradient_root
        # "MLP.forward's output has dtype float32" beside "Linear.forward's output has dtype
        # float32": the network shows its layer's bug (same diagnosis, a layer's check).
        for root in others:
            # (an unexplained difference of the network follows from a layer's bug)
            if (root.id == cause.id or (cause.tier == 1 and root.tier <= 1)) \
                    and not _NETWORK.match(root.diagnosis.hint.strip()) \
                    and not _components(root) & _components(cause):
                return root
    if cause.tier == 0 and training_only(cause):
        # The training checks finding the bug a component's check named ("the first update of
        # W1 is not sgd's step" beside "sgd: step 1 differs"): that card, not a second one.
        for root in others:
            if root.id == cause.id:
                return root
    name = _opening_name(hint)
    if cause.tier == 1 and name:
        # "Linear.forward's Z differs from the definition" beside "Linear.forward centres the
        # batch": the difference is the named bug of the same function.
        for root in others:
            if root.tier == 0 and _opening_name(root.diagnosis.hint) == name:
                return root
    if cause.tier == 2:
        # "MLP0.backward() raised TypeError: ReLU.backward() takes 1 positional argument" when
        # ReLU.backward's own check named the bug ("ReLU.backward takes no dLdA").
        called = set(re.findall(r"\b([A-Za-z_]\w*\.\w+)\(\)", hint))
        for root in others:
            if root.tier <= 1 and _opening_name(root.diagnosis.hint) in called:
                return root
    return _layer_gradient_root(cause, roots)


def _components(cause: Cause[C]) -> set[str]:
    return {c.tags[0] for c in cause.checks if c.tags}

