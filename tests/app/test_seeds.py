"""Run with 5 seeds: every recipe of a card from five seeds, a thin line each and the median bold,
and a sentence whose numbers are the runs' own."""

from __future__ import annotations

import json
import statistics
import time

import pandas as pd
from streamlit.testing.v1 import AppTest

from nnexplore import train
from nnexplore.experiments import EXPERIMENTS
from nnexplore.ui.charts import seeds as charts
from nnexplore.ui.safe_text import plain_text
from nnexplore.ui.seeds import SEEDS, seed_runs, split_label, spread_sentence

CARD = "vanishing-depth"  # three toy recipes: fifteen short runs


def test_seed_runs_start_from_the_cards_own_seed_and_name_each_seed():
    recipes = list(zip(EXPERIMENTS[CARD].labels, EXPERIMENTS[CARD].configs))
    runs = seed_runs(recipes)
    assert len(runs) == SEEDS * len(recipes)
    first_label, first_cfg = runs[0]
    assert first_cfg == recipes[0][1]  # seed s itself: the card's run, served from the store
    assert [cfg.seed for _, cfg in runs[:SEEDS]] == [recipes[0][1].seed + k for k in range(SEEDS)]
    for label, cfg in runs:
        recipe, seed = split_label(label)
        assert seed == cfg.seed and cfg.replace(seed=recipes[0][1].seed) in [c for _, c in recipes]
        assert recipe in EXPERIMENTS[CARD].labels


def test_the_sentence_gives_each_recipes_spread():
    text = spread_sentence({"A": [0.5, 0.9, 0.7], "B": [0.995, 0.995], "C": []})
    assert "*A* from 50.0% to 90.0% (median 70.0%, 40.0 points apart)" in text
    assert "*B* 99.5% from every seed" in text and "C" not in text
    assert spread_sentence({"A": []}) == ""
    broke = spread_sentence({"A": [0.5, 1.0], "B": []}, {"A": 1, "B": 2})
    assert "*A* from 50.0% to 100.0% (median 75.0%, 50.0 points apart), 1 seed diverged" in broke
    assert "*B*: 2 seeds diverged" in broke


def test_a_regressions_seeds_are_scored_by_r2_as_a_number():
    text = spread_sentence({"fit": [0.91, 0.95, 0.93], "class": [0.5, 0.9]}, r2=frozenset({"fit"}))
    assert text.startswith("Final test accuracy (R² for a regression) over the seeds")
    assert "*fit (R²)* from 0.91 to 0.95 (median 0.93, 0.04 apart)" in text
    assert "*class* from 50.0% to 90.0%" in text
    runs = [("fit", 0, [{"step": 10, "epoch": 1.0, "test_r2": 0.8, "test_mse": 0.1}])]
    runs += [("class", 0, [{"step": 10, "epoch": 1.0, "test_acc": 0.6}])]
    frame = charts.seeds_frame(runs)
    assert frame["score"].tolist() == [0.8, 0.6]
    spec = charts.seeds_chart(frame, ["fit", "class"], None, r2=True).to_dict()
    assert "R²" in json.dumps(spec, ensure_ascii=False) and "rule" not in json.dumps(spec)


def test_the_median_line_leaves_out_steps_not_every_seed_reached():
    df = pd.DataFrame(
        {
            "run": ["A"] * 5,
            "seed": [0, 1, 2, 0, 1],
            "step": [10, 10, 10, 20, 20],
            "epoch": [1, 1, 1, 2, 2],
            "score": [0.5, 0.7, 0.9, 0.8, 0.6],
        }
    )
    median = charts.median_frame(df)
    assert median["step"].tolist() == [10] and median["score"].tolist() == [0.7]


def test_the_chart_draws_thin_seeds_a_bold_median_and_chance():
    runs = [("A", s, [{"step": 10, "epoch": 1.0, "test_acc": 0.5 + s / 10}]) for s in range(3)]
    spec = charts.seeds_chart(charts.seeds_frame(runs), ["A"], chance=0.25).to_dict()
    marks = [layer["mark"] for layer in spec["layer"]]
    widths = [m.get("strokeWidth") for m in marks if m["type"] == "line"]
    assert widths == [1, 3]
    rule = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    data = spec["datasets"][rule["data"]["name"]]
    assert data[0]["value"] == 0.25 and data[0]["note"] == "chance"
    assert spec["height"] == 280 and spec["autosize"]["type"] == "fit-x"  # never squeezed to a line


def _card_script():
    import streamlit as st

    from nnexplore.ui.pages.experiments import render_experiments

    st.set_page_config(layout="wide")
    render_experiments()


def test_run_with_five_seeds_trains_them_all_and_says_how_far_they_disagree():
    exp = EXPERIMENTS[CARD]
    at = AppTest.from_function(_card_script, default_timeout=60)
    at.query_params["experiment"] = CARD
    at.run()
    next(b for b in at.button if b.label == f"Run with {SEEDS} seeds").click().run()
    assert not at.exception
    total = SEEDS * len(exp.runs)
    deadline = time.time() + 240
    while time.time() < deadline:
        at.run()
        if any(f"{total} of {total} seed runs ended" in p.proto.text for p in at.get("progress")):
            break
        time.sleep(1)
    assert not at.exception
    assert any(f"{total} of {total} seed runs ended" in p.proto.text for p in at.get("progress"))
    sentence = next(m.value for m in at.markdown if m.value.startswith("Final test accuracy over the seeds"))
    labels = [f"{label}, {exp.depth} layers" for label in exp.labels]
    for label, cfg in zip(labels, exp.configs):
        lasts = [list(train(cfg.replace(seed=cfg.seed + k, device="cpu")))[-1] for k in range(SEEDS)]
        finals = [last["test_acc"] for last in lasts if last["status"] == "done"]
        broke = sum(last["status"] == "diverged" for last in lasts)
        if broke:
            assert f"{broke} seed{'s' if broke > 1 else ''} diverged" in sentence
        low, high, mid = min(finals), max(finals), statistics.median(finals)
        name = plain_text(label)  # as the page writes a run's name: as text, never as markup
        if high - low < 0.01:
            assert f"*{name}* {mid:.1%} from every seed" in sentence
        else:
            assert f"*{name}* from {low:.1%} to {high:.1%} (median {mid:.1%}" in sentence
