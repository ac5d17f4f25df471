"""Predict, then look: a card asks what the learner expects before its first run, and shows the
guess beside the result once its runs end.

Optional, never a gate: Run works with or without a guess. The guess is kept per card in the
tab's PageState, since Streamlit drops a widget's value while it is not drawn, and the question
is not drawn once the card has runs. The answer a card marks as right is checked on the card's
own trained runs (tests/unit/test_experiments.py), so the verdict compares the guess with it
only when the runs that ended are the card's own, with the settings it opens with (not another
depth). A teacher's link turns the question off with ``predict=0`` (nnexplore.links).

The Experiments page's card calls ``place`` above its Run button, ``show`` once the button is
handled (so a run that ended at once is answered in the same script run), and ``why_section``
for its Why column.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from nnexplore.experiments import EXPERIMENTS, Experiment, Prediction
from nnexplore.links import PREDICT, parse_predict
from nnexplore.runs import Job
from nnexplore.runs.job import DIVERGED, DONE
from nnexplore.ui.page_state import page_state

ASK = "Before you run it: what do you expect?"
HELP = (
    "Optional: pick what you expect, then press Run this experiment (it runs with or without a "
    "guess). When the runs end, your guess is shown beside what they show, and Why opens."
)
WAITING = "Your guess: *{guess}*. The answer shows here when the runs end."
RIGHT = (
    "**{question}** You guessed *{guess}*, and that is what the runs show. Well predicted: *Why* "
    "says what makes it so."
)
WRONG = (
    "**{question}** You guessed *{guess}*; the runs show *{answer}*. A surprise is the best moment "
    "to read *Why*: it explains what happened."
)
NOT_OWN = (
    "You guessed *{guess}*. Your guess is checked once the card's own runs, with the settings it "
    "opens with, have run to their end."
)
WHY_OPEN = "The explanation"
WHY_WAITING = "The explanation: it opens when your runs end"
#: A run that ended in one of these ran to its end, so it shows what the card claims.
RAN_TO_THE_END = (DONE, DIVERGED)


def link_param() -> dict[str, str]:
    """``predict=`` as the link has it, for a page that rewrites its address to keep."""
    return {PREDICT: st.query_params[PREDICT]} if PREDICT in st.query_params else {}


def place() -> DeltaGenerator:
    """Where the question, and later the guess and its verdict, go (``show`` fills it)."""
    return st.container()


def show(slot: DeltaGenerator, exp: Experiment, jobs: Sequence[Job]) -> bool:
    """Ask, wait or answer in ``slot``, for the card ``exp`` (at its depth) whose runs are ``jobs``.

    Returns whether the card's Why is open: closed only while a guess waits for its runs.
    """
    asking, problem = parse_predict(
        {PREDICT: st.query_params.get_all(PREDICT)} if PREDICT in st.query_params else {}
    )
    if problem:
        slot.warning(problem)
        del st.query_params[PREDICT]  # the default, as the address now says
    card = EXPERIMENTS.get(exp.slug, exp)
    prediction = card.prediction
    if not asking or prediction is None:
        return True
    guess = page_state().guesses.get(card.slug)
    guess = guess if guess in prediction.answers else None
    if not jobs:
        if exp.runs != card.runs:  # another depth: the question is about the card's own runs
            return True
        return _ask(slot, card.slug, prediction, guess) is None
    if guess is None:
        return True
    if any(job.is_active for job in jobs):
        slot.caption(WAITING.format(guess=_end(guess)))
        return False
    ended = [job.cfg for job in jobs if job.status in RAN_TO_THE_END]
    if not all(cfg in ended for cfg in card.configs):
        slot.info(NOT_OWN.format(guess=_end(guess)))
    elif guess == prediction.answer:
        slot.success(RIGHT.format(question=prediction.question, guess=guess))
    else:
        slot.info(WRONG.format(question=prediction.question, guess=guess, answer=prediction.answer))
    return True


def why_section(column: DeltaGenerator, is_open: bool) -> DeltaGenerator:
    """The card's Why in its column: the heading, then the text in an expander, closed while a
    guess waits for its runs (compact: no border, so each formula keeps the column's width)."""
    column.subheader("Why")
    return column.expander(WHY_OPEN if is_open else WHY_WAITING, expanded=is_open, type="compact")


def _key(slug: str) -> str:
    return f"guess_{slug}"


def _keep(slug: str) -> None:
    """The radio's callback: it runs before the script, so a click on Run in the same rerun
    already finds the guess."""
    choice = st.session_state.get(_key(slug))
    if choice is not None:
        page_state().guesses[slug] = choice


def _ask(slot: DeltaGenerator, slug: str, prediction: Prediction, guess: str | None) -> str | None:
    choice = slot.radio(
        f"**{ASK}** {prediction.question}",
        prediction.answers,
        index=None if guess is None else prediction.answers.index(guess),
        key=_key(slug),
        on_change=_keep,
        args=(slug,),
        help=HELP,
    )
    if choice is not None:
        page_state().guesses[slug] = choice
    return choice


def _end(text: str) -> str:
    """An answer as the end of a sentence (in italics: the stop after it)."""
    return text if text.endswith((".", "?", "!")) else text + "."
