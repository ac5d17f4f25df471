"""Your own points in the Playground (AppTest): a link's points are trained on, junk in the link is a
warning and the starter points, too few points wait with a sentence; what the pad sends is checked."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nnexplore import own_points
from nnexplore.config import RunConfig
from nnexplore.ui.controls import POINT_PAD
from nnexplore.ui.point_pad import CLASS_HELP, apply_sent, read_sent

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")

#: Eight points of three classes, two of them (the 5th and the 10th placed) kept for testing.
POINTS = [(-1.5, -1.5, 0), (1.5, 1.5, 1), (-1.5, 1.5, 2), (-1.2, -1.4, 0), (1.4, 1.2, 1)] + [
    (-1.4, 1.2, 2),
    (-1.6, -1.2, 0),
    (1.2, 1.6, 1),
    (-1.2, 1.7, 2),
    (-1.3, -1.7, 0),
]
TEXT = own_points.format(POINTS)


def app(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def _param(at: AppTest, name: str) -> str:
    value = at.query_params[name]
    return value[-1] if isinstance(value, list) else value


def _sidebar_texts(at: AppTest) -> str:
    return " ".join(c.value for c in [*at.sidebar.caption, *at.sidebar.info])


def test_a_link_with_points_opens_your_own_points_and_trains_on_them():
    cfg = RunConfig(dataset="own", points=TEXT, hidden=(8,), batch_size=4, epochs=3, seed=41)
    at = app(cfg.to_query_params())
    assert not at.exception and not at.warning
    dataset = next(w for w in at.sidebar.selectbox if w.key == "cfg_dataset")
    assert dataset.value == "own" and dataset.format_func("own") == "Your own points"
    # The pad stands in for the number of points; its class control has a tooltip.
    assert "cfg_n_samples" not in [w.key for w in at.sidebar.number_input]
    assert "cfg_points" not in [w.key for w in at.sidebar.text_input]
    classes = next(g for g in at.get("button_group") if g.key == f"{POINT_PAD}_class")
    assert classes.value == 0 and classes.help == CLASS_HELP
    assert "10 points (4 of class 0, 3 of class 1, 3 of class 2); 2 of them" in _sidebar_texts(at)
    assert _param(at, "points") == TEXT and _param(at, "dataset") == "own"
    assert any(c.value.startswith("2 → 8 → 3:") for c in at.caption)  # the network: 3 classes, 3 outputs

    train = at.button[0]
    assert train.label == "Train" and not train.disabled
    train.click().run()
    deadline = time.time() + 90
    while time.time() < deadline and not any("done" in s.value for s in at.success):
        time.sleep(0.3)
        at.run()
    assert not at.exception
    assert any("done, test accuracy" in s.value for s in at.success)
    from nnexplore.ui import state

    [job] = [j for j in state.job_manager()._jobs.values() if j.cfg.seed == 41]
    assert job.cfg.dataset == "own" and job.cfg.points == TEXT
    assert job.records_since(0)[-1]["test_examples"] == 2  # the 5th and the 10th point


@pytest.mark.parametrize("junk", ["<b>hi</b>", "A" * 5000, "AAAA", "%%%"])
def test_a_junk_points_parameter_is_a_warning_in_words_and_the_starter_points(junk):
    at = app({"dataset": "own", "points": junk})
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert "Your own points (points)" in warning and "The starter points were used instead." in warning
    assert junk[:50] not in warning or len(junk) < 40  # a long value is never echoed whole
    assert _param(at, "points") == own_points.STARTER_TEXT  # the link now says what is used
    assert "12 points (6 of class 0, 6 of class 1)" in _sidebar_texts(at)
    assert not at.button[0].disabled


@pytest.mark.parametrize(
    ("points", "words"),
    [
        ("", "The plane is empty"),
        (own_points.format(POINTS[:3]), "3 points are too few"),
        (own_points.format([(0.0, 0.0, 1)] * 6), "Every point is of class 1"),
    ],
)
def test_too_few_points_disable_train_with_a_sentence_and_stay_in_the_link(points, words):
    at = app({"dataset": "own", "points": points})
    assert not at.exception and not at.warning
    assert at.button[0].label == "Train" and at.button[0].disabled
    assert any(words in e.value for e in at.error)  # beside Train
    assert any(words in i.value for i in at.sidebar.info)  # under the pad
    assert _param(at, "points") == points  # the link keeps the plane as it is


def test_points_the_pad_sends_become_the_setting_and_the_link():
    at = app({"dataset": "own", "points": ""})
    at.session_state["cfg_points"] = TEXT  # what the pad's message does before the script runs
    at.run()
    assert not at.exception and not at.button[0].disabled
    assert _param(at, "points") == TEXT
    # Another dataset keeps the points in the link, and shows no pad.
    next(w for w in at.sidebar.selectbox if w.key == "cfg_dataset").set_value("moons").run()
    assert _param(at, "points") == TEXT
    assert not [g for g in at.get("button_group") if g.key == f"{POINT_PAD}_class"]
    assert "cfg_n_samples" in [w.key for w in at.sidebar.number_input]


def test_from_a_regression_to_your_own_points_and_back_the_recipe_and_the_pad_follow():
    at = app({"dataset": "sine", "points": TEXT})  # the link gives sine its recipe
    assert not at.exception and not at.warning
    recipe = ("cfg_output_activation", "cfg_loss")

    def shown() -> tuple:
        return tuple(next(w.value for w in at.sidebar.selectbox if w.key == k) for k in recipe)

    def pad() -> list:
        return [g for g in at.get("button_group") if g.key == f"{POINT_PAD}_class"]

    assert shown() == ("none", "mse") and not pad()
    next(w for w in at.sidebar.selectbox if w.key == "cfg_dataset").set_value("own").run()
    assert not at.exception and shown() == ("softmax", "cross_entropy")  # classes: their recipe
    assert pad()  # in place of the number of points
    assert "cfg_n_samples" not in [w.key for w in at.sidebar.number_input]
    assert any(c.value.startswith("2 → ") and ": " in c.value for c in at.caption)
    assert not at.button[0].disabled
    next(w for w in at.sidebar.selectbox if w.key == "cfg_dataset").set_value("sine").run()
    assert not at.exception and shown() == ("none", "mse") and not at.button[0].disabled and not pad()
    assert _param(at, "points") == TEXT  # kept in the link for when your own points come back


def test_a_link_that_locks_the_points_shows_them_and_takes_no_click():
    at = app({"dataset": "own", "points": TEXT, "lock": "points"})
    assert not at.exception
    classes = next(g for g in at.get("button_group") if g.key == f"{POINT_PAD}_class")
    assert classes.disabled
    assert "Set by this link." in [c.value for c in at.sidebar.caption]


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "AAA",
        3,
        [],
        {},
        {"seq": "1", "text": "AAA"},
        {"seq": -1, "text": "AAA"},
        {"seq": True, "text": ""},
    ],
)
def test_what_is_no_message_of_a_pad_is_dropped(payload):
    assert read_sent(payload) is None
    state = {"cfg_points": TEXT}
    assert not apply_sent(state, payload, points_key="cfg_points", seq_key="seq", locked=False)
    assert state == {"cfg_points": TEXT}


def test_a_pads_messages_are_taken_once_in_order_and_junk_text_is_not():
    state: dict = {"cfg_points": TEXT}
    keys = {"points_key": "cfg_points", "seq_key": "seq"}
    assert apply_sent(state, {"seq": 1, "text": "AAA"}, locked=False, **keys)
    assert state == {"cfg_points": "AAA", "seq": 1}
    assert not apply_sent(state, {"seq": 1, "text": "BBB"}, locked=False, **keys)  # seen already
    assert apply_sent(state, {"seq": 3, "text": ""}, locked=False, **keys)  # Clear
    assert not apply_sent(state, {"seq": 2, "text": "CCC"}, locked=False, **keys)  # late: dropped
    assert state == {"cfg_points": "", "seq": 3}
    # Junk text, or any text while the link locks the points: the number is taken, not the text.
    assert not apply_sent(state, {"seq": 4, "text": "A" * 603}, locked=False, **keys)
    assert not apply_sent(state, {"seq": 5, "text": "<script>"}, locked=False, **keys)
    assert not apply_sent(state, {"seq": 6, "text": "AAA"}, locked=True, **keys)
    assert state == {"cfg_points": "", "seq": 6}
