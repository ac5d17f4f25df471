"""The server's NNEXPLORE_* settings: a number in range is used, anything else is the default and a warning."""

from __future__ import annotations

import logging

import pytest

from nnexplore.runs.environment import env_number
from nnexplore.runs.forkserver import WORKER_IDLE_S, default_worker_idle_s
from nnexplore.runs.manager import default_slots


def test_unset_or_blank_is_the_default_without_a_warning(monkeypatch, caplog):
    monkeypatch.delenv("NNEXPLORE_X", raising=False)
    assert env_number("NNEXPLORE_X", 7.5) == 7.5
    monkeypatch.setenv("NNEXPLORE_X", "  ")
    assert env_number("NNEXPLORE_X", 7.5) == 7.5
    assert caplog.records == []


@pytest.mark.parametrize(
    ("raw", "whole", "value"), [("3", True, 3), ("0", False, 0.0), (" 2.5 ", False, 2.5)]
)
def test_a_number_in_range_is_used(monkeypatch, raw, whole, value):
    monkeypatch.setenv("NNEXPLORE_X", raw)
    assert env_number("NNEXPLORE_X", 99, whole=whole) == value


@pytest.mark.parametrize("raw", ["many", "-1", "inf", "nan", "2.5"])
def test_anything_else_is_the_default_and_a_warning_naming_it(monkeypatch, caplog, raw):
    monkeypatch.setenv("NNEXPLORE_X", raw)
    with caplog.at_level(logging.WARNING):
        assert env_number("NNEXPLORE_X", 4, whole=True) == 4
    assert "NNEXPLORE_X" in caplog.text and repr(raw) in caplog.text


def test_the_three_settings_read_through_it(monkeypatch):
    monkeypatch.setenv("NNEXPLORE_SLOTS", "0")  # below its minimum of 1
    assert default_slots() >= 1
    monkeypatch.setenv("NNEXPLORE_SLOTS", "3")
    assert default_slots() == 3
    monkeypatch.setenv("NNEXPLORE_WORKER_IDLE_S", "soon")
    assert default_worker_idle_s() == WORKER_IDLE_S
    monkeypatch.setenv("NNEXPLORE_WORKER_IDLE_S", "900")
    assert default_worker_idle_s() == 900.0
