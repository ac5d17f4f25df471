"""The sentences under the charts, from hand-made records and views: numbers in a beginner's words."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from nnexplore.ui.sentences import (
    percent_words,
    push_words,
    pushes_sentence,
    reach_sentence,
    share_words,
    units_sentence,
)


@pytest.mark.parametrize(
    ("ratio", "words"),
    [
        (1 / 40, ("about 1/40", "of")),
        (0.0012, ("about 1/830", "of")),
        (0.3, ("about 1/3", "of")),
        (0.52, ("about half", "of")),
        (0.73, ("about 70%", "of")),
        (1.04, ("about the same size", "as")),
        (2.56, ("about 2.6 times as big", "as")),
        (1234.0, ("about 1,200 times as big", "as")),
        (1e-9, ("less than a millionth", "of")),
        (0.0, ("zero", "")),
    ],
)
def test_a_ratio_in_words(ratio: float, words: tuple[str, str]) -> None:
    assert share_words(ratio) == words


@pytest.mark.parametrize("ratio", [math.nan, math.inf, -0.5])
def test_no_words_for_a_ratio_that_is_not_one(ratio: float) -> None:
    assert share_words(ratio) is None


def _records(*norms: list[float] | None) -> list[dict]:
    return [{"step": i, "grad_norm": n or []} for i, n in enumerate(norms)]


def test_reach_sentence_one_clause_per_run_with_data_from_its_newest_record() -> None:
    runs = [
        ("softmax → nothing", _records([1.0, 1.0], [0.01, 0.2, 0.4])),  # newest: 0.01 / 0.4 = 1/40
        ("queued", []),
        ("logistic", _records([0.3])),  # no hidden layer: no ratio
        ("ReLU → softmax", _records([0.2, 0.4], [math.nan, 0.4])),  # newest is NaN: the one before, 1/2
    ]
    assert reach_sentence(runs) == (
        "In *softmax → nothing*, the first layer's gradient is now about 1/40 of the output layer's; "
        "in *ReLU → softmax*, about half."
    )


def test_reach_sentence_with_one_run_and_with_none() -> None:
    assert reach_sentence([("a [b]", _records([2.0, 1.0]))]) == (
        "In *a \\[b\\]*, the first layer's gradient is now about 2 times as big as the output layer's."
    )
    assert reach_sentence([("empty", []), ("linear", _records([1.0]))]) == ""


def _pushes(run: str, p_right: list[float], push: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"run": run, "p_right": p_right, "push": push})


def test_pushes_sentence_averages_the_confidently_wrong_examples_of_each_run() -> None:
    df = pd.concat(
        [
            _pushes("CE", [0.05, 0.1, 0.9, math.nan], [0.95, 0.91, 0.1, 5.0]),  # NaN row dropped
            _pushes("MSE", [0.02, 0.15, 0.8], [0.1, 0.06, 0.3]),
            _pushes("sure", [0.9, 0.95], [0.1, 0.05]),
        ],
        ignore_index=True,
    )
    assert pushes_sentence(df, ["CE", "waiting", "MSE", "sure"]) == (
        "Confidently wrong test examples (the right class gets under 20%): *CE* pushes them 0.93 on "
        "average, *MSE* 0.08; *sure* has none right now."
    )
    assert pushes_sentence(df, ["MSE"]) == (
        "Confidently wrong test examples (the right class gets under 20%): *MSE* pushes them 0.08 on average."
    )


def test_pushes_sentence_when_nothing_is_confidently_wrong_or_there_are_no_dots() -> None:
    df = pd.concat([_pushes("a", [0.9], [0.1]), _pushes("b", [0.7], [0.3])], ignore_index=True)
    assert pushes_sentence(df, ["a", "b"]) == (
        "No test example is confidently wrong (the right class under 20%) in *a* or *b* right now."
    )
    assert pushes_sentence(pd.DataFrame(), ["a"]) == ""


def test_push_words() -> None:
    assert [push_words(x) for x in (0.934, 0.08, 1.25, 0.004, 0.0)] == [
        "0.93",
        "0.08",
        "1.2",
        "under 0.01",
        "0",
    ]


def test_percent_words_keep_0_and_100_for_none_and_all() -> None:
    assert [percent_words(x) for x in (0.0, 0.004, 0.454, 0.996, 1.0)] == [
        "0%",
        "under 1%",
        "45%",
        "over 99%",
        "100%",
    ]


def _units(weak: list[float], off: list[float], dead: list[float]) -> list[dict]:
    return [
        {"step": 10, "weak_frac": [], "off_frac": [], "dead_frac": [0.0]},
        {"step": 20, "weak_frac": weak, "off_frac": off, "dead_frac": dead},
    ]


def test_units_sentence_says_the_kinds_each_run_has_averaged_over_its_layers() -> None:
    runs = [
        ("softmax", _units([0.95, 0.93], [], [0.0, 0.0])),
        ("queued", []),
        ("logistic", [{"step": 10, "weak_frac": [], "off_frac": [], "dead_frac": []}]),  # no hidden layer
        ("ReLU", _units([], [0.45, 0.55], [0.03, 0.13])),
    ]
    assert units_sentence(runs) == (
        "Now, averaged over the hidden layers: *softmax* 94% of unit values weak, 0% of units dead; "
        "*ReLU* 50% of unit values off, 8% of units dead."
    )
    assert units_sentence([("queued", [])]) == ""
