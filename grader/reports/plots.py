"""PNG plots of a run's artifacts for the HTML report (matplotlib, Agg, no pyplot).

Figures are made with `matplotlib.figure.Figure` and the Agg canvas directly:
no pyplot state, no backend switch in whoever imported us, safe in threads.
The default style is forced so a user's matplotlibrc cannot change the
images, and the PNG "Software" text chunk (matplotlib's version) is dropped
so the same data gives the same bytes on every run with a given matplotlib.

Artifacts are plain JSON written by other parts of the grader, possibly from a
broken run: every function validates its input and raises ValueError with a
reason instead of drawing nonsense.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 100
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _matplotlib() -> tuple[Any, Any]:
    """(matplotlib's style module, its Figure class), imported on the first plot: a grading
    run that writes no HTML never pays matplotlib's ~0.4 s import and ~30 MB (issue 21)."""
    from matplotlib import style
    from matplotlib.figure import Figure

    return style, Figure


def _integer_locator() -> Any:
    """A tick locator that only puts ticks on whole numbers (epochs, submissions)."""
    from matplotlib.ticker import MaxNLocator
    return MaxNLocator(integer=True)


def _to_png(fig: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _series(value: Any, name: str) -> list[float]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{name} must be a non-empty list of numbers")
    out: list[float] = []
    for x in value:
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            if x is None:  # a diverged epoch may be recorded as null
                out.append(math.nan)
                continue
            raise ValueError(f"{name} holds a non-number: {x!r}")
        out.append(float(x))
    return out


def curves_coincide(curve: Any, rel_tol: float = 1e-3) -> bool:
    """Whether the student's and the reference's loss per epoch are the same curve to the eye.

    A correct submission often reproduces the reference exactly; the report
    then says so, since one line drawn over the other looks like one line.
    """
    if not isinstance(curve, dict) or not curve.get("reference"):
        return False
    student = _series(curve.get("student"), "learning_curve.student")
    reference = _series(curve["reference"], "learning_curve.reference")
    return len(student) == len(reference) and all(
        math.isclose(s, r, rel_tol=rel_tol, abs_tol=1e-9) for s, r in zip(student, reference))


def learning_curve_png(curve: Any) -> bytes:
    """Loss per epoch of the student's network, and of the reference if given (a PNG)."""
    return _to_png(learning_curve_figure(curve))


#: A loss that grows past this many times its smallest value is drawn on a log axis: on a
#: linear one from zero, the rest of the curve would lie flat on the floor.
LOG_SCALE_RATIO = 50.0


def learning_curve_figure(curve: Any) -> Figure:
    """The learning curve, drawn honestly: the loss axis starts at zero (a loss that never moves
    looks flat, not like a cliff between 2.3024 and 2.3038), epochs are whole numbers, and
    the legend sits outside the plot, so it never covers a point."""
    if not isinstance(curve, dict) or "student" not in curve:
        raise ValueError("learning_curve must be an object with a 'student' list")
    student = _series(curve["student"], "learning_curve.student")
    reference = _series(curve["reference"], "learning_curve.reference") if curve.get("reference") else None
    mpl_style, Figure = _matplotlib()
    with mpl_style.context("default"):
        fig = Figure(figsize=(6.5, 3.5))
        ax = fig.add_subplot()
        if reference is not None:
            # Drawn first as a wide pale band, so the student's thin line on top
            # stays visible inside it when the two curves coincide.
            ref = [x if math.isfinite(x) else math.nan for x in reference]
            ax.plot(range(1, len(reference) + 1), ref, linewidth=7, color="#f4a259", alpha=0.55,
                    solid_capstyle="round", label="reference")
        # Non-finite losses (divergence) are drawn as gaps and called out, since
        # autoscaling to inf would flatten the rest of the curve.
        finite = [x if math.isfinite(x) else math.nan for x in student]
        ax.plot(range(1, len(student) + 1), finite, marker="o", markersize=3, linewidth=1.5,
                color="#1f77b4", label="your network")
        bad = next((i for i, x in enumerate(student, start=1) if not math.isfinite(x)), None)
        if bad is not None:
            ax.set_title(f"Learning curve (loss is inf/NaN at epoch {bad})", color="firebrick")
        else:
            ax.set_title("Learning curve")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_locator(_integer_locator())
        _loss_axis(ax, [x for x in finite + (reference or []) if math.isfinite(x)])
        # Outside the axes, right of them: a legend inside would cover points of some curve.
        ax.legend(title="the two curves\ncoincide" if curves_coincide(curve) else None, title_fontsize=9,
                  loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
        fig.tight_layout()
        return fig


def _loss_axis(ax: Any, values: list[float]) -> None:
    """From zero to a little above the largest loss; a log axis when the loss explodes."""
    positive = [x for x in values if x > 0]
    if not positive:
        return
    if max(positive) > LOG_SCALE_RATIO * min(positive):
        ax.set_yscale("log")
        ax.set_ylabel("training loss (log scale)")
        return
    ax.set_ylim(0.0, max(positive) * 1.08)


def _matrix(value: Any) -> list[list[int]]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError("confusion_matrix must be a non-empty list of rows")
    n = len(value)
    rows: list[list[int]] = []
    for row in value:
        if not isinstance(row, (list, tuple)) or len(row) != n:
            raise ValueError(f"confusion_matrix must be square ({n} x {n})")
        if any(isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x < 0
               for x in row):
            raise ValueError("confusion_matrix must hold non-negative counts")
        rows.append([int(x) for x in row])
    return rows


def confusion_matrix_png(matrix: Any) -> bytes:
    """Counts of (true class, predicted class); rows = true class, columns = predicted."""
    rows = _matrix(matrix)
    n = len(rows)
    mpl_style, Figure = _matplotlib()
    with mpl_style.context("default"):
        fig = Figure(figsize=(5, 4.5))
        ax = fig.add_subplot()
        # Colour by the share of each true class, so a small class that is
        # always wrong stands out as much as a large one.
        shares = [[x / max(1, sum(r)) for x in r] for r in rows]
        image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
        for i, r in enumerate(rows):
            for j, x in enumerate(r):
                ax.text(j, i, str(x), ha="center", va="center", fontsize=7,
                        color="white" if shares[i][j] > 0.5 else "black")
        ax.set_xticks(range(n))
        ax.set_yticks(range(n))
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title("Confusion matrix (test set)")
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of true class")
        fig.tight_layout()
        return _to_png(fig)


def class_histogram_png(predicted: Any, labels: Any) -> bytes:
    """How often each class is predicted vs. how often it occurs: shows single-class collapse."""
    return _to_png(class_histogram_figure(predicted, labels))


def class_histogram_figure(predicted: Any, labels: Any) -> Figure:
    """The class histogram's figure; its legend sits outside the bars (a collapse's one tall bar
    is where a legend in the corner would go)."""
    pred = _series(predicted, "predicted_histogram")
    true: Sequence[float] | None = _series(labels, "label_histogram") if labels else None
    if true is not None and len(true) != len(pred):
        raise ValueError("predicted_histogram and label_histogram differ in length")
    mpl_style, Figure = _matplotlib()
    with mpl_style.context("default"):
        fig = Figure(figsize=(6.5, 3.2))
        ax = fig.add_subplot()
        xs = list(range(len(pred)))
        width = 0.4 if true is not None else 0.8
        ax.bar([x - (width / 2 if true is not None else 0) for x in xs], pred, width=width,
               label="predicted")
        if true is not None:
            ax.bar([x + width / 2 for x in xs], true, width=width, color="gray", alpha=0.6, label="true")
        ax.set_xticks(xs)
        ax.set_xlabel("class")
        ax.set_ylabel("count")
        ax.set_title("Predicted vs. true class counts")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
        fig.tight_layout()
        return fig


def distribution_png(values: Any, *, title: str, xlabel: str, bins: Sequence[float] | int = 10) -> bytes:
    """A histogram of one number per submission (score percent, runtime seconds) for the class report."""
    return _to_png(distribution_figure(values, title=title, xlabel=xlabel, bins=bins))


def distribution_figure(values: Any, *, title: str, xlabel: str, bins: Sequence[float] | int = 10) -> Figure:
    """The class report's histogram; submissions are counted in whole numbers."""
    data = [x for x in _series(values, xlabel) if math.isfinite(x)]
    if not data:
        raise ValueError(f"{xlabel}: no finite values")
    mpl_style, Figure = _matplotlib()
    with mpl_style.context("default"):
        fig = Figure(figsize=(5.5, 3.2))
        ax = fig.add_subplot()
        ax.hist(data, bins=bins, edgecolor="white")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("submissions")
        ax.yaxis.set_major_locator(_integer_locator())  # never "1.5 submissions"
        ax.set_title(title)
        ax.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        return fig
