"""Predict, then look (nnexplore/ui/predict.py): a card asks what the learner expects before its
first run, Run works with or without a guess, and once the runs end the guess is shown beside
what they show and Why opens. A teacher's link turns the question off with predict=0.

The card is why-log: three runs of a network with no hidden layer on four blobs, a second or two
(the third stops at its first record)."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from nnexplore.experiments import EXPERIMENTS
from nnexplore.links import parse_predict
from nnexplore.ui import predict

CARD = EXPERIMENTS["why-log"]
PREDICTION = CARD.prediction


def _script():
    import streamlit as st

    from nnexplore.ui.pages.experiments import render_experiments

    st.set_page_config(layout="wide")
    render_experiments()


def open_card(**params: str) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=60)
    at.query_params["experiment"] = CARD.slug
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def question(at: AppTest):
    """The card's prediction radio, or None when it is not drawn."""
    return next((r for r in at.radio if r.key == f"guess_{CARD.slug}"), None)


def why(at: AppTest):
    """The expander that holds the card's Why."""
    return next(e for e in at.expander if e.label in (predict.WHY_OPEN, predict.WHY_WAITING))


def run_to_the_end(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Run this experiment").click().run()
    deadline = time.time() + 90
    while time.time() < deadline:
        at.run()
        if sum(any(w in s.value for w in (": done", ": diverged")) for s in [*at.success, *at.error]) >= len(
            CARD.runs
        ):
            break
        time.sleep(0.5)
    at.run()  # the page as drawn once every run has ended
    assert not at.exception
    return at


def verdicts(at: AppTest) -> list[str]:
    return [e.value for e in [*at.success, *at.info] if "You guessed" in e.value]


def test_the_question_shows_before_the_runs_with_nothing_picked_and_why_open():
    at = open_card()
    assert not at.exception
    radio = question(at)
    assert radio is not None and radio.value is None and radio.index is None
    assert predict.ASK in radio.label and PREDICTION.question in radio.label
    assert list(radio.options) == list(PREDICTION.answers)
    assert radio.help
    assert why(at).proto.expanded and why(at).label == predict.WHY_OPEN
    assert [s.value for s in at.subheader][:2] == ["What to look for", "Why"]
    assert len(why(at).get("latex")) == sum(1 for _, formula in CARD.why if formula)
    # A guess closes Why until the runs end; the guess is kept for the card.
    radio.set_value(PREDICTION.answers[1]).run()
    assert not why(at).proto.expanded and why(at).label == predict.WHY_WAITING
    assert question(at).value == PREDICTION.answers[1]


def test_the_guess_is_kept_for_its_card_while_another_card_is_open():
    at = open_card()
    question(at).set_value(PREDICTION.answers[2]).run()
    at.query_params["experiment"] = "dying-relu"
    at.run()
    assert question(at) is None  # that card's own question, with nothing picked
    assert next(r for r in at.radio if r.key == "guess_dying-relu").value is None
    at.query_params["experiment"] = CARD.slug
    at.run()
    assert question(at).value == PREDICTION.answers[2] and not why(at).proto.expanded


def test_at_another_depth_the_card_does_not_ask_about_its_own_runs():
    """vanishing-depth's question is about its six hidden layers: at three it is not asked."""
    at = AppTest.from_function(_script, default_timeout=60)
    at.query_params["experiment"] = "vanishing-depth"
    at.run()
    assert any(r.key == "guess_vanishing-depth" for r in at.radio)
    at.slider(key="depth_vanishing-depth").set_value(3).run()
    assert not any(r.key == "guess_vanishing-depth" for r in at.radio) and why(at).proto.expanded
    at.slider(key="depth_vanishing-depth").set_value(6).run()
    assert any(r.key == "guess_vanishing-depth" for r in at.radio)


def test_run_works_without_a_guess_and_shows_no_verdict():
    at = run_to_the_end(open_card())
    assert question(at) is None  # asked only before the card's first run
    assert verdicts(at) == []
    assert why(at).proto.expanded


def test_after_the_runs_end_a_wrong_guess_is_shown_beside_what_the_runs_show_and_why_opens():
    at = open_card()
    wrong = next(a for a in PREDICTION.answers if a != PREDICTION.answer)
    question(at).set_value(wrong).run()
    at = run_to_the_end(at)
    assert question(at) is None
    [said] = [i.value for i in at.info if "You guessed" in i.value]
    assert wrong in said and PREDICTION.answer in said and "the runs show" in said
    assert why(at).proto.expanded and why(at).label == predict.WHY_OPEN


def test_a_right_guess_is_said_right():
    at = open_card()
    question(at).set_value(PREDICTION.answer).run()
    at = run_to_the_end(at)
    [said] = [s.value for s in at.success if "You guessed" in s.value]
    assert PREDICTION.answer in said and "Well predicted" in said
    assert why(at).proto.expanded


def test_predict_0_hides_the_question_and_stays_in_the_link():
    at = open_card(predict="0")
    assert not at.exception
    assert question(at) is None and why(at).proto.expanded
    assert not at.warning
    # Another card keeps predict=0 in the address (the page rewrites it to name the card).
    at.selectbox[0].set_value("dying-relu").run()
    assert at.query_params["experiment"] in ("dying-relu", ["dying-relu"])
    assert at.query_params["predict"] in ("0", ["0"])
    assert question(at) is None and not at.exception


def test_predict_1_asks_and_stays_in_the_link():
    at = open_card(predict="1")
    assert question(at) is not None and not at.warning
    at.selectbox[0].set_value("dying-relu").run()
    assert at.query_params["predict"] in ("1", ["1"])


def test_a_broken_predict_value_is_a_warning_in_words_and_the_question_is_asked():
    at = open_card(predict="<b>maybe</b>")
    assert not at.exception
    [warning] = [w.value for w in at.warning]
    assert "predict=" in warning and "0" in warning and "1" in warning
    assert question(at) is not None  # the default: ask
    assert "predict" not in at.query_params  # the address now says the default


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, (True, "")),
        ({"predict": "0"}, (False, "")),
        ({"predict": "1"}, (True, "")),
        ({"predict": [" 1 ", "0"]}, (False, "")),  # a repeated key: the last one wins
        ({"predict": " 0 "}, (False, "")),
    ],
)
def test_parse_predict_reads_0_and_1(params, expected):
    assert parse_predict(params) == expected


@pytest.mark.parametrize("raw", ["", "yes", "2", "off", "x" * 10_000, "\x00", []])
def test_parse_predict_never_raises_and_says_what_was_wrong(raw):
    asking, problem = parse_predict({"predict": raw})
    assert asking is True and problem.startswith("Ignored predict=") and len(problem) < 200
