"""The live part of a page: run status, the charts and the comparison table, in fragments.

While a run of the group trains, fragments redraw the status lines and the
charts from the run buffers, at a pace shared with every other live page of
the server (nnexplore.ui.live.pace); while its runs only wait in the queue, the
page polls slowly for its place and draws no live charts; once every run has
ended, the page draws them once and stops polling. Used by the Playground and
by every guided experiment.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from nnexplore.runs import Job
from nnexplore.runs.job import DIVERGED, DONE, JOINED, LOADING, QUEUED, RUNNING, STOPPED, STORED
from nnexplore.ui.charts import frames
from nnexplore.ui.charts.labels import run_labels, unique_labels
from nnexplore.ui.live.pace import ENDS_SOON_S, chart_interval, queued_interval, status_interval
from nnexplore.ui.live.repair import note_drawn_live, note_redraw_asked
from nnexplore.ui.live.specs import ChartCache
from nnexplore.ui.page_state import page_state
from nnexplore.ui.pausing import paused_words
from nnexplore.ui.sections import (
    LOADING_DATA,
    LiveRuns,
    curves,
    drawing,
    extras,
    fit,
    gradient_flow,
    models,
    pushes,
    queue_words,
    units,
)
from nnexplore.ui.state import job_manager, live_pages, queued_pages
from nnexplore.ui.timeline import timeline_control
from nnexplore.views import BY_NAME, VIEWS

alt.data_transformers.disable_max_rows()  # frames.downsample already caps every series

#: How each view (nnexplore.views) is drawn.
DRAW: dict[str, Callable[[LiveRuns], None]] = {
    "accuracy": curves.draw_accuracy,
    "r2": curves.draw_r2,
    "loss": curves.draw_loss,
    "outside": curves.draw_outside,
    "units": curves.draw_units,
    "gradient_flow": gradient_flow.draw_panels,
    "reach": gradient_flow.draw_reach,
    "layers": gradient_flow.draw_layers,
    "regions": models.draw_regions,
    "fit": fit.draw,
    "digits": models.draw_digits,
    "drawing": drawing.draw,
    "pushes": pushes.draw,
    "hidden_units": units.draw,
    "output_gradient": extras.draw_output_gradient,
    "gradient_check": extras.draw_gradient_check,
    "landscape": extras.draw_landscape,
}
MORE_VIEWS = "More views"
MORE_HELP = (
    "Other charts of these runs. Each is drawn when you pick it (and costs nothing until then); "
    "pick it again to put it away."
)


def labels_for(jobs: Sequence[Job]) -> list[str]:
    """Run names: the ones given at submit (guided experiments), else what differs between the
    runs ("ReLU · softmax · CE · lr 0.1"); repeated names get "(2)", "(3)"."""
    generated = run_labels([job.cfg for job in jobs])
    return unique_labels([job.label or auto for job, auto in zip(jobs, generated)])


def render_runs(
    jobs: Sequence[Job], key: str, headline: Sequence[str], offered: Sequence[str] | None = None
) -> None:
    """Status, charts and table for these runs; live while any of them is active.

    ``headline``: the views (nnexplore.views) drawn first; ``offered``: every view the page can
    show (default: all), the ones not in the headline under "More views", each drawn only once
    the learner picks it.

    Every mode (finished, queued, live) draws the same two blocks in the same place: the
    status lines, then the charts (a fragment is a block too). Streamlit removes what a run
    did not redraw only when a full run ends uninterrupted; under load one was cut short,
    and the final charts, drawn loose on the page, sat beside the live charts' block. Drawn
    into the same block, the final page replaces the live one in place.
    """
    if not jobs:
        return
    views = (tuple(headline), tuple(v.name for v in VIEWS) if offered is None else tuple(offered))
    active = [job for job in jobs if job.is_active]
    if not active:
        with st.container():
            _statuses(list(jobs))
        with st.container():
            _draw(list(jobs), key, views)
        return
    ids = [job.id for job in jobs]
    note_drawn_live(ids)
    page = f"{page_state().page_id}/{key}"
    if all(job.status == QUEUED for job in active):
        # Nothing trains yet: poll for the place in the queue, at a pace shared with the other
        # waiting pages; the charts of the runs that ended are drawn once.
        waiting = queued_pages().note(page)
        ended = [job.id for job in jobs if not job.is_active]
        st.fragment(run_every=queued_interval(waiting))(_queued_status)(ids, page, ended)
        with st.container():
            _draw(list(jobs), key, views)
        return
    live = live_pages().note(page)
    st.fragment(run_every=status_interval(live))(_live_status)(ids)
    st.fragment(run_every=chart_interval(live))(_live_charts)(ids, key, views, page)


def _jobs(job_ids: list[str]) -> list[Job]:
    manager = job_manager()
    return [job for job in (manager.get(i) for i in job_ids) if job is not None]


def _queued_status(job_ids: list[str], page: str, ended: list[str]) -> None:
    """Status lines of a page whose runs all wait: once one trains or ends, redraw the page.

    ``ended``: the runs that had ended when the page was drawn (their charts are on it). A run
    that left the queue is drawn live only once it trains and has more than ENDS_SOON_S to go:
    while its data loads there is nothing to chart, and a run about to end would be drawn live
    for a moment and then again once it ended (two full page runs where one does).
    """
    queued_pages().note(page)  # still waiting: counted in every waiting page's pace
    jobs = _jobs(job_ids)
    for job in jobs:
        job_manager().heartbeat(job.id)
    _statuses(jobs)
    newly_ended = any(not job.is_active and job.id not in ended for job in jobs)
    if newly_ended or any(_worth_drawing_live(job) for job in jobs):
        note_redraw_asked()
        st.rerun()  # draw its charts: live, or finished


def _worth_drawing_live(job: Job) -> bool:
    """True for a run that trains and, at its pace so far, has more than ENDS_SOON_S to go."""
    to_go = job.seconds_to_go()
    if to_go is None:
        return job.status == RUNNING  # training, no record yet: its pace is not known
    return to_go > ENDS_SOON_S


def _live_status(job_ids: list[str]) -> None:
    """Status lines and progress bars: cheap, so they refresh often (a fragment, see render_runs)."""
    jobs = _jobs(job_ids)
    for job in jobs:
        job_manager().heartbeat(job.id)
    _statuses(jobs)
    if not any(job.is_active for job in jobs):
        note_redraw_asked()
        st.rerun()  # everything ended: redraw the whole page once, then stop polling


def _live_charts(
    job_ids: list[str], key: str, views: tuple[tuple[str, ...], tuple[str, ...]], page: str
) -> None:
    live_pages().note(page)  # still live: counted in every page's pace
    _draw(_jobs(job_ids), key, views)


#: Said under a run's status when it is not its own computation (nnexplore.runs.shared).
SHARED_NOTES = {
    JOINED: "This exact run (same settings, same seed) was already asked for, so this copy follows "
    "it: it trains once for everyone who asked, and Stop stops only this copy.",
    STORED: "This exact run (same settings, same seed) was trained before, so it is shown at once "
    "instead of being trained again.",
}


def _statuses(jobs: list[Job]) -> None:
    for job, label in zip(jobs, labels_for(jobs)):
        _status_line(job, label)
        if job.shared_from in SHARED_NOTES:
            st.caption(SHARED_NOTES[job.shared_from])


def _status_line(job: Job, label: str) -> None:
    manager = job_manager()
    last = job.last_record
    if job.status == QUEUED:
        wait = manager.estimate_wait_s(job.id)
        eta = f", about {wait:.0f} s to go" if wait else ""
        st.info(f"**{label}**: {queue_words(manager.queue_position(job.id))}{eta}.")
    elif job.status == LOADING:
        fraction, message = job.progress or (0.0, LOADING_DATA)
        st.progress(min(1.0, max(0.0, fraction)), text=f"**{label}**: {message or LOADING_DATA}")
    elif job.status == RUNNING:
        fraction = last["step"] / last["total_steps"] if last else 0.0
        epoch = f"epoch {last['epoch']:.1f} of {job.cfg.epochs}" if last else "starting"
        if job.is_paused and not last:
            epoch = "its start (it holds after its first record)"
        score = frames.score_words(last) if last else ""
        acc = f", {score}" if score else ""
        doing = "paused at" if job.is_paused else "training,"
        st.progress(min(1.0, fraction), text=f"**{label}**: {doing} {epoch}{acc}")
        if paused_words(job):
            st.caption(paused_words(job))
    elif job.status == DONE:
        score = frames.score_words(last)
        st.success(f"**{label}**: done, {score + ' ' if score else ''}in {last['elapsed_s']:.1f} s.")
    elif job.status == STOPPED:
        st.warning(f"**{label}**: stopped. {last['reason'] if last else ''}")
    elif job.status == DIVERGED:
        st.error(f"**{label}**: diverged. {last['reason'] if last else ''}")
    else:
        st.error(f"**{label}**: could not run. {job.error}")


def _draw(jobs: list[Job], key: str, views: tuple[tuple[str, ...], tuple[str, ...]]) -> None:
    """The headline views, then the More-views choice and the views picked there, then the table."""
    labels = labels_for(jobs)
    runs = [(label, job.records_since(0)) for label, job in zip(labels, jobs)]
    if not any(records for _, records in runs):
        return
    headline, offered = views
    live = LiveRuns(jobs, labels, runs, ChartCache(jobs, key, labels), key, job_manager().queue_position)
    try:
        live.choose_pictured()
        _timeline(live)
        for name in headline:
            DRAW[name](live)
        more = [name for name in offered if name not in headline]
        if more:
            picked = st.pills(
                MORE_VIEWS,
                more,
                selection_mode="multi",
                format_func=lambda name: BY_NAME[name].title,
                key=f"{key}_more",
                help=MORE_HELP,
            )
            for name in (name for name in more if name in (picked or ())):
                DRAW[name](live)
        live.charts.close()
    finally:
        live.charts.release()  # a draw cut short (a rerun) leaves no other page waiting for it
    _summary(runs)


def _timeline(live: LiveRuns) -> None:
    """The page part's timeline control, over every pictured run's moments, once there are two."""
    times = {float(moment["epoch"]) for i in live.pictured for moment in live.moments(i)}
    if len(times) > 1:
        live.timeline = True
        timeline_control(sorted(times), key=f"{live.key}_timeline")


#: The table's shares, shown as percentages with one decimal like the status lines (Streamlit's
#: "percent" format drops trailing zeros, so 99.5% stood next to 41.79%).
PERCENT_COLUMNS = ("test accuracy", "outside [0, 1]")


def _summary(runs) -> None:
    st.subheader("Compare runs")
    table = frames.summary_table(runs)
    table[list(PERCENT_COLUMNS)] *= 100
    # Each score belongs to one kind of run (docs/metrics.md): a column no run can fill is left out.
    if table["test R²"].isna().all():  # no regression on the page
        table = table.drop(columns="test R²")
    elif table["test accuracy"].isna().all():  # only regressions: no accuracy to show
        table = table.drop(columns="test accuracy")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            **{name: st.column_config.NumberColumn(format="%.1f%%") for name in PERCENT_COLUMNS},
            "test R²": st.column_config.NumberColumn(format="%.3f"),
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
