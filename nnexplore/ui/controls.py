"""Sidebar controls generated from the RunConfig table, kept in sync with the URL.

The widgets, their limits and their tooltips all come from the field metadata
in nnexplore.config, so a new setting appears here without touching this file.
A setting marked ``own_widget`` has a widget of its own instead: the points of the
dataset "Your own points" are placed on a pad (nnexplore.ui.point_pad), drawn in
place of the number of points while that dataset is chosen.
A teacher's link may lock settings (shown, greyed out) or hide them (not shown,
the link's value used): see nnexplore.links. The rules come from the first link
a session opens and stay in its address bar.
"""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace
from typing import Any

import streamlit as st

from nnexplore import own_points
from nnexplore.advice import config_notes
from nnexplore.config import (
    FIELDS,
    GROUPS,
    LIMIT_TEXT,
    MORE,
    RunConfig,
    _check,
    allowed_text,
    field_kind,
    format_value,
    parse_value,
)
from nnexplore.links import LinkRules, link_params, parse_link
from nnexplore.problems import OWN, PROBLEMS, RECIPES, recipe_problem, start_problem
from nnexplore.ui.page_state import page_state
from nnexplore.ui.point_pad import point_pad

PREFIX = "cfg_"
SIZE_FIELDS = ("n_samples", "train_size", "hidden", "batch_size", "epochs")  # their help states the run limit
# Settings that only matter for some choices: shown greyed out otherwise (their value is kept).
RELEVANT = {
    "n_samples": lambda v: v["dataset"] != "mnist",
    "noise": lambda v: v["dataset"] != "mnist",
    "train_size": lambda v: v["dataset"] == "mnist",
    "init_std": lambda v: v["init"] == "normal",
}


def key(name: str) -> str:
    return PREFIX + name


def widget_value(f: dataclasses.Field, value: Any) -> Any:
    return format_value(f, value) if field_kind(f) == "layers" else value


LOCKED_NOTE = "Set by this link."
#: The point pad's key (its class control's is this plus "_class").
POINT_PAD = "own_points_pad"


def link_rules() -> LinkRules:
    """The lock/hide rules of the link this session opened (none for a plain link)."""
    return page_state().link_rules


def set_controls(cfg: RunConfig) -> None:
    """Put a config into the widgets (before they are drawn, e.g. from a button callback).

    Settings the link locks or hides keep the link's value: the lesson is about them.
    """
    rules = link_rules()
    for f in FIELDS:
        if not rules.fixed(f.name):
            st.session_state[key(f.name)] = widget_value(f, getattr(cfg, f.name))


def init_from_url() -> list[str]:
    """Once per session: fill the controls from the URL; returns the problems found, in words."""
    state = page_state()
    if not state.url_loaded:
        params = {k: st.query_params.get_all(k) for k in st.query_params.keys()}
        cfg, rules, problems = parse_link(params)
        set_controls(cfg)  # before the rules are kept: the link's own values go into every control
        state.link_rules = rules
        # A hidden setting has no widget, and Streamlit drops the state of a widget that is not
        # drawn: its value is kept here instead.
        state.link_cfg = cfg
        state.url_problems = problems
        state.url_loaded = True
    return state.url_problems


def keep_controls(cfg: RunConfig) -> None:
    """Put ``cfg`` in the controls and keep it there: the Playground then does not read its link
    (a button on another page that opens the Playground with these settings)."""
    set_controls(cfg)
    state = page_state()
    state.url_loaded = True
    state.url_problems = []


def _widget(f: dataclasses.Field, disabled: bool) -> Any:
    m = f.metadata
    kind = field_kind(f)
    if kind == "choice":  # the choices as the box shows them ("ReLU"), not as the URL spells them
        allowed = "one of " + ", ".join(m["names"].get(c, c) for c in m["choices"])
    else:
        allowed = allowed_text(f)
    help_text = f"{m['help']} Allowed: {allowed}."
    if f.name in SIZE_FIELDS:
        help_text += " " + LIMIT_TEXT
    common = {"key": key(f.name), "help": help_text, "disabled": disabled}
    if kind == "choice":
        names = m["names"]
        if f.name == "dataset":
            common["on_change"] = _recipe_follows_dataset
        return st.selectbox(m["label"], m["choices"], format_func=lambda c: names.get(c, c), **common)
    if kind == "layers":
        return st.text_input(m["label"], placeholder="e.g. 32,16 (empty: no hidden layer)", **common)
    if kind == "int":
        return st.number_input(
            m["label"], min_value=int(m["low"]), max_value=int(m["high"]), step=1, **common
        )
    return st.number_input(
        m["label"], min_value=float(m["low"]), max_value=float(m["high"]), format="%g", **common
    )


RECIPE_FIELDS = ("output_activation", "loss")


def _recipe_follows_dataset() -> None:
    """When the learner picks a dataset, put its kind's usual output activation and loss in their
    boxes (nnexplore.problems.RECIPES) if the ones there are the other kind's recipe or cannot
    train it (``problems.recipe_problem``); a recipe the learner chose that still makes sense stays.

    So picking sine after moons gives raw outputs and squared error, not a refusal to train; going
    back to moons gives softmax and cross-entropy again; a sigmoid with squared error, which both
    kinds can train, is kept. Settings a link fixes are left as the link set them.
    """
    problem = PROBLEMS.get(st.session_state.get(key("dataset")))
    if problem is None:
        return
    fields = {f.name: f for f in FIELDS}
    output, loss = (st.session_state.get(key(name), fields[name].default) for name in RECIPE_FIELDS)
    other_kind = (output, loss) in RECIPES.values() and (output, loss) != problem.recipe
    impossible = recipe_problem(SimpleNamespace(dataset=problem.name, output_activation=output, loss=loss))
    if not (other_kind or impossible):
        return
    for name, value in zip(RECIPE_FIELDS, problem.recipe, strict=True):
        if not link_rules().fixed(name):
            st.session_state[key(name)] = value


def render_controls() -> tuple[RunConfig | None, str]:
    """Draw the sidebar; return (the current config, "") or (None, what to fix, in words)."""
    values: dict[str, Any] = {}
    problems = False
    rules = link_rules()
    with st.sidebar:
        if rules.locked or rules.hidden:
            st.info(
                "This link fixes some settings for the lesson: greyed-out ones are set by the link, "
                "and some are not shown. Open the [plain Playground](/) to change everything."
            )
        for group in GROUPS:
            shown = [f for f in FIELDS if f.metadata["group"] == group and f.name not in rules.hidden]
            folded = group == MORE and shown and not _more_switch(shown)
            if shown and group != MORE:
                st.subheader(group)
            for f in (f for f in FIELDS if f.metadata["group"] == group):
                if f.name in rules.hidden:
                    values[f.name] = _link_value(f.name)
                    continue
                if folded:
                    values[f.name] = _kept_value(f)
                    continue
                if f.metadata["own_widget"] or f.name == "n_samples":
                    # The points have no control of their own but the pad, drawn in place of the
                    # number of points while the dataset is your own points (which do not use
                    # the number of points: its value is kept).
                    current = {**_current(), **values}
                    own = current["dataset"] == OWN
                    if own and f.metadata["own_widget"]:
                        _points_pad(f.name in rules.locked, current)
                    if own or f.metadata["own_widget"]:
                        values[f.name] = _kept_value(f)
                        continue
                relevant = RELEVANT.get(f.name, lambda v: True)
                locked = f.name in rules.locked
                raw = _widget(f, disabled=locked or not relevant({**_current(), **values}))
                if locked:
                    st.caption(LOCKED_NOTE)
                try:
                    values[f.name] = _check(f, parse_value(f, raw) if isinstance(raw, str) else raw)
                except ValueError as err:
                    st.error(str(err))
                    problems = True
            if group == "Output and loss" and not problems:
                # The Training settings below are not drawn yet: their widget values stand in.
                so_far, _ = build_config({**_current(), **values})
                for level, text in config_notes(so_far) if so_far else ():  # too big: said at the end
                    (st.warning if level == "warning" else st.info)(text)
    if problems:
        return None, "Fix the setting marked in the sidebar to train."
    cfg, problem = build_config(values)
    if cfg is None:
        st.sidebar.error(problem)
        return None, problem
    params = link_params(cfg, rules)
    if {k: st.query_params.get(k) for k in st.query_params.keys()} != params:
        st.query_params.from_dict(params)
    problem = start_problem(cfg)  # too few points of your own: kept in the link all the same
    if problem:
        return None, problem
    return cfg, ""


def _points_pad(locked: bool, current: dict[str, Any]) -> None:
    """The pad for your own points, what they are in words, and why Train waits if it does."""
    text = point_pad(POINT_PAD, key("points"), locked=locked)
    if locked:
        st.caption(LOCKED_NOTE)
    points, _ = own_points.parse(text)
    st.caption(own_points.summary(points))
    problem = own_points.cannot_train(points)
    if problem:
        st.info(problem)
        return
    trained = len(own_points.split(points)[0])
    if math.ceil(trained / current["batch_size"]) == 1:
        # One update step an epoch: 20 epochs are 20 steps, too few for a network to learn.
        st.caption(
            f"With {trained} points to train on in batches of {current['batch_size']}, an epoch is "
            "a single update step: a smaller batch size (say 4) or more epochs lets the network "
            "learn more."
        )


def build_config(values: dict[str, Any]) -> tuple[RunConfig | None, str]:
    """(the RunConfig of these values, "") or (None, why not in plain words).

    Each value has passed its own check, but together they can still make a run too big
    for a shared server (a toy set of 20,000 points in batches of 1 for 50 epochs is
    800,000 steps), which RunConfig refuses with a ValueError. Every RunConfig the
    sidebar builds goes through here, so such a run gets a message, not a crashed page.
    """
    try:
        return RunConfig(**values), ""
    except ValueError as err:
        return None, str(err)


def _more_switch(fields: list[dataclasses.Field]) -> bool:
    """The switch that shows the folded group, and whether it is on."""
    names = ", ".join(f.metadata["label"].lower() for f in fields)
    return st.toggle(MORE, key=key("more"), help=f"Show the settings a first run rarely needs: {names}.")


def _kept_value(f: dataclasses.Field) -> Any:
    """The value of a setting whose widget is folded away: its widget's last value, kept.

    Streamlit drops the state of a widget that a run does not draw; writing the value back
    keeps it for when the switch is on again (and for the link and Train meanwhile).
    """
    name = key(f.name)
    if name not in st.session_state:
        st.session_state[name] = widget_value(f, f.default)
    st.session_state[name] = st.session_state[name]
    value = st.session_state[name]
    try:
        return _check(f, parse_value(f, value) if isinstance(value, str) else value)
    except ValueError:
        return f.default


def _link_value(name: str) -> Any:
    """The link's value of a setting the link hides (it has no widget to hold it)."""
    return getattr(page_state().link_cfg or RunConfig(), name)


def _current() -> dict[str, Any]:
    """Widget values as they stand, for deciding which controls are relevant."""
    out = {}
    hidden = link_rules().hidden
    for f in FIELDS:
        if f.name in hidden:
            out[f.name] = _link_value(f.name)
            continue
        value = st.session_state.get(key(f.name), f.default)
        try:
            out[f.name] = _check(f, parse_value(f, value) if isinstance(value, str) else value)
        except ValueError:
            out[f.name] = f.default
    return out
