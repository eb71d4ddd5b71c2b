"""Honest plots, tested on the figure objects: where the axes start, which ticks they carry and
where the legend sits (the pictures themselves are checked in test_reports_html_browser.py)."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg

from grader.reports import plots

# A network that never learns: the loss wobbles between 2.3024 and 2.3038 (as the relu-mask
# mutant's does); auto-zoomed, that was drawn as a cliff.
FLAT = [2.3024, 2.3038, 2.3037, 2.3038, 2.3036, 2.3035, 2.3038, 2.3034]
REFERENCE = [0.81, 0.37, 0.30, 0.25, 0.22, 0.20, 0.18, 0.16]


def _drawn(fig):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return fig.axes[0], canvas.get_renderer()


def test_a_flat_loss_is_drawn_flat_from_zero() -> None:
    ax, _ = _drawn(plots.learning_curve_figure({"student": FLAT, "reference": REFERENCE}))
    bottom, top = ax.get_ylim()
    assert bottom == 0.0 and top >= max(FLAT)
    # The wobble covers under 0.1% of the axis' height: flat to the eye.
    assert (max(FLAT) - min(FLAT)) / (top - bottom) < 0.001
    assert ax.get_yscale() == "linear"


def test_epochs_are_whole_numbers_even_for_a_few_epochs() -> None:
    for n in (2, 5, 8, 30):
        ax, _ = _drawn(plots.learning_curve_figure({"student": FLAT[:1] * n}))
        lo, hi = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert ticks and all(float(t).is_integer() for t in ticks), (n, ticks)


def test_an_exploding_loss_gets_a_log_axis() -> None:
    ax, _ = _drawn(plots.learning_curve_figure({"student": [2.3 * 10 ** (10 * i) for i in range(8)],
                                                "reference": REFERENCE}))
    assert ax.get_yscale() == "log" and "log scale" in ax.get_ylabel()


def _legend_clear_of_the_plot(fig) -> None:
    ax, renderer = _drawn(fig)
    legend = ax.get_legend().get_window_extent(renderer)
    plot = ax.get_window_extent(renderer)
    assert not legend.overlaps(plot), (legend, plot)
    assert legend.x1 <= fig.bbox.x1 + 0.5  # and still inside the picture


def test_the_learning_curve_legend_never_covers_a_point() -> None:
    _legend_clear_of_the_plot(plots.learning_curve_figure({"student": FLAT, "reference": REFERENCE}))
    _legend_clear_of_the_plot(plots.learning_curve_figure({"student": REFERENCE, "reference": REFERENCE}))


def test_the_class_histogram_legend_never_covers_a_bar() -> None:
    collapse = [0] * 9 + [1000]  # the one tall bar sits where a corner legend would go
    _legend_clear_of_the_plot(plots.class_histogram_figure(collapse, [100] * 10))


def test_the_class_histograms_count_whole_submissions() -> None:
    ax, _ = _drawn(plots.distribution_figure([71.4, 74.3, 89.1, 100.0], title="Scores", xlabel="score (%)"))
    lo, hi = ax.get_ylim()
    ticks = [t for t in ax.get_yticks() if lo <= t <= hi]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
