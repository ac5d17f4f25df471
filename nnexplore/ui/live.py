"""The live part of a page: run status, the charts and the comparison table.

While any run of the group is active, a fragment redraws from the run buffers
twice a second; once every run has ended, the page draws them once and stops
polling. Used by the Playground and by every guided experiment.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from nnexplore import activations
from nnexplore.data import load_dataset
from nnexplore.runs import Job
from nnexplore.snapshots import data_points
from nnexplore.ui.charts import frames, gradients, predictions, training
from nnexplore.ui.charts.labels import run_labels, unique_labels
from nnexplore.ui.redraw import note_drawn_live, note_redraw_asked
from nnexplore.ui.state import job_manager

STATUS_REFRESH_S = 0.5
CHART_REFRESH_S = 1.0
DRAW_SHARE = 0.15  # at most this share of the time goes to rebuilding charts while runs train
alt.data_transformers.disable_max_rows()  # frames.downsample already caps every series


def labels_for(jobs: Sequence[Job]) -> list[str]:
    """Run names: the ones given at submit (guided experiments), else what differs between the
    runs ("ReLU · softmax · CE · lr 0.1"); repeated names get "(2)", "(3)"."""
    generated = run_labels([job.cfg for job in jobs])
    return unique_labels([job.label or auto for job, auto in zip(jobs, generated)])


def render_runs(jobs: Sequence[Job], key: str) -> None:
    """Status, charts and table for these runs; live while any of them is active."""
    if not jobs:
        return
    if any(job.is_active for job in jobs):
        ids = [job.id for job in jobs]
        note_drawn_live(ids)
        _live_status(ids)
        _live_charts(ids, key)
    else:
        _statuses(list(jobs))
        _draw(list(jobs), key)


def _jobs(job_ids: list[str]) -> list[Job]:
    manager = job_manager()
    return [job for job in (manager.get(i) for i in job_ids) if job is not None]


@st.fragment(run_every=STATUS_REFRESH_S)
def _live_status(job_ids: list[str]) -> None:
    """Status lines and progress bars: cheap, so they refresh often."""
    jobs = _jobs(job_ids)
    for job in jobs:
        job_manager().heartbeat(job.id)
    _statuses(jobs)
    if not any(job.is_active for job in jobs):
        note_redraw_asked()
        st.rerun()  # everything ended: redraw the whole page once, then stop polling


@st.fragment(run_every=CHART_REFRESH_S)
def _live_charts(job_ids: list[str], key: str) -> None:
    _draw(_jobs(job_ids), key)


def _statuses(jobs: list[Job]) -> None:
    for job, label in zip(jobs, labels_for(jobs)):
        _status_line(job, label)


def _status_line(job: Job, label: str) -> None:
    manager = job_manager()
    last = job.last_record
    if job.status == "queued":
        place = manager.queue_position(job.id)
        wait = manager.estimate_wait_s(job.id)
        eta = f", about {wait:.0f} s" if wait else ""
        st.info(f"**{label}**: waiting for a free training slot (place {place} in the queue{eta}).")
    elif job.status == "loading":
        fraction, message = job.progress or (0.0, "Loading the data…")
        st.progress(min(1.0, max(0.0, fraction)), text=f"**{label}**: {message}")
    elif job.status == "running":
        fraction = last["step"] / last["total_steps"] if last else 0.0
        epoch = f"epoch {last['epoch']:.1f} of {job.cfg.epochs}" if last else "starting"
        acc = f", test accuracy {last['test_acc']:.1%}" if last else ""
        st.progress(min(1.0, fraction), text=f"**{label}**: training, {epoch}{acc}")
    elif job.status == "done":
        st.success(f"**{label}**: done, test accuracy {last['test_acc']:.1%} in {last['elapsed_s']:.1f} s.")
    elif job.status == "stopped":
        st.warning(f"**{label}**: stopped. {last['reason'] if last else ''}")
    elif job.status == "diverged":
        st.error(f"**{label}**: diverged. {last['reason'] if last else ''}")
    else:
        st.error(f"**{label}**: could not run. {job.error}")


class _Charts:
    """Emits charts from cached Vega-Lite specs, rebuilding them only when it is worth it.

    Building an Altair chart and turning it into a spec costs tens of
    milliseconds of Python per chart, and every millisecond the page spends
    holding the GIL is taken from the training thread. So specs are rebuilt only
    when new records arrived *and* the last rebuild is far enough behind that
    drawing uses at most DRAW_SHARE of the time; in between, the cached specs
    are sent again (cheap, and the browser sees the same chart: no flicker).
    """

    def __init__(self, jobs: list[Job], key: str) -> None:
        self.state = st.session_state.setdefault("chart_cache", {}).setdefault(
            key, {"sig": None, "next": 0.0, "specs": {}}
        )
        sig = tuple((j.id, len(j.records), (j.view or {}).get("step"), j.status) for j in jobs)
        now = time.monotonic()
        finished = not any(job.is_active for job in jobs)
        self.rebuild = sig != self.state["sig"] and (finished or now >= self.state["next"])
        if self.rebuild:
            self.state.update(sig=sig, specs={})
        self.started = now

    def show(self, slot: str, build: Callable[[], alt.TopLevelMixin]) -> None:
        specs = self.state["specs"]
        if slot not in specs:
            spec = build().to_dict(validate=False)
            # Fit the width to the column but keep the plot's own height: Streamlit's default
            # ("fit") squeezes the plot to make room for the title and legend.
            spec.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
            specs[slot] = spec
        st.vega_lite_chart(specs[slot], width="stretch")

    def close(self) -> None:
        if self.rebuild:
            cost = time.monotonic() - self.started
            self.state["next"] = self.started + max(CHART_REFRESH_S, cost / DRAW_SHARE)


def _draw(jobs: list[Job], key: str) -> None:
    labels = labels_for(jobs)
    runs = [(label, job.records_since(0)) for label, job in zip(labels, jobs)]
    if not any(records for _, records in runs):
        return
    out = _Charts(jobs, key)
    table = functools.cache(lambda: frames.runs_frame(runs))
    grads = functools.cache(lambda: frames.layer_long(runs, "grad_norm"))
    focus = len(jobs) - 1

    left, right = st.columns(2)
    with left:
        st.subheader("Accuracy", help="Share of examples whose largest output is the right class.")
        out.show(
            "accuracy",
            lambda: training.accuracy_chart(frames.metric_long(runs, ["train_acc", "test_acc"]), labels),
        )
    with right:
        st.subheader("Loss", help="The number the training pushes down (lower is better).")
        out.show("loss", lambda: training.loss_chart(table(), labels))

    left, right = st.columns(2)
    with left:
        st.subheader("Outside [0, 1]", help="Probabilities live between 0 and 1; raw outputs need not.")
        out.show("outside", lambda: training.outside_chart(table(), labels))
        if all(activations.get(job.cfg.output_activation).probabilities for job in jobs):
            st.caption("Softmax and sigmoid squeeze every output into (0, 1), so these stay at zero.")
        if any(job.view for job in jobs):
            out.show(
                "histogram", lambda: predictions.output_histogram(_output_values(jobs, labels), runs=labels)
            )
    with right:
        st.subheader(
            "Gradient flow",
            help="How big each layer's weight gradient is. If the first layers' gradient is tiny, they barely learn.",
        )
        out.show("gradient lines", lambda: gradients.gradient_lines(grads(), labels))
        out.show(
            "gradient heatmap", lambda: gradients.gradient_heatmap(grads()[grads()["run"] == labels[focus]])
        )
        out.show("gradient bars", lambda: gradients.gradient_bars(frames.last_layer_bars(runs[focus][1])))
        if len(jobs) > 1:
            st.caption(f"Heatmap and bars: the newest run, {labels[focus]}.")

    left, right = st.columns(2)
    with left:
        st.subheader(
            "Saturation and dead units",
            help="Saturated: the activation's slope is under 1% of its maximum, so little gradient passes. "
            "Dead: a unit that outputs 0 for every example (ReLU) and so stops learning.",
        )
        out.show("saturation", lambda: training.saturation_chart(frames.saturation_long(runs), labels))
    with right:
        _model_views(jobs, labels, out)
    out.close()
    _summary(runs)


def _output_values(jobs: list[Job], labels: list[str]) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"value": job.view["outputs"], "run": label})
        for job, label in zip(jobs, labels)
        if job.view and "outputs" in job.view
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _model_views(jobs: list[Job], labels: list[str], out: _Charts) -> None:
    """Decision regions (2-D data) or test digits and confusion matrix (MNIST) of the newest run."""
    job, label = jobs[-1], labels[-1]
    view = job.view or {}
    if "grid" in view:
        st.subheader(
            "Decision regions", help="Colour: the class the network predicts there; paler where it is unsure."
        )
        out.show("decision", lambda: predictions.decision_chart(pd.DataFrame(view["grid"]), _points(job.cfg)))
        st.caption(f"{label}. Filled dots: training points; rings: test points.")
    elif "digits" in view:
        st.subheader("Test digits", help="The network's guess and how sure it is; red frames are mistakes.")
        out.show("digits", lambda: predictions.digits_chart(pd.DataFrame(view["digits"])))
        if "confusion" in view:
            st.subheader("Confusion matrix", help="Rows: the true digit. Columns: the guess.")
            out.show("confusion", lambda: predictions.confusion_chart(pd.DataFrame(view["confusion"])))


@st.cache_data(max_entries=32)
def _points(cfg) -> pd.DataFrame:
    return pd.DataFrame(data_points(load_dataset(cfg)))


def _summary(runs) -> None:
    st.subheader("Compare runs")
    table = frames.summary_table(runs)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "test accuracy": st.column_config.NumberColumn(format="percent"),
            "outside [0, 1]": st.column_config.NumberColumn(format="percent"),
            "gradient first/last layer": st.column_config.NumberColumn(format="%.2e"),
            "time (s)": st.column_config.NumberColumn(format="%.1f"),
        },
    )


def records_csv(records: list[dict]) -> str:
    """A run's records as CSV; per-layer lists become one column per layer."""
    flat = []
    for record in records:
        row = {}
        for name, value in record.items():
            if isinstance(value, list) and name != "layer_names":
                names = (
                    record["layer_names"]
                    if len(value) == len(record["layer_names"])
                    else record["layer_names"][:-1]
                )
                row.update({f"{name}[{n}]": v for n, v in zip(names, value)})
            elif name != "layer_names":
                row[name] = value
        flat.append(row)
    return pd.DataFrame(flat).to_csv(index=False)


def config_json(job: Job) -> str:
    return json.dumps(job.cfg.to_dict(), indent=2)
