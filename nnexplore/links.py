"""A shared link: the settings it carries, and which of them the learner may change.

A teacher's link fixes what a lesson is about, as TensorFlow Playground's
``<control>_hide=true`` does. Two link parameters, beside one key per setting:

* ``lock=epochs,dataset``: those settings are shown but cannot be changed;
* ``hide=init,init_std``: those settings are not shown; the link's value (or the
  default) is used.

A name in both is hidden. Names are setting names (RunConfig's fields); an unknown
name is ignored with a problem in words, never an error. The rules are a guide for a
class, not a security boundary: a plain link always opens an unlocked Playground.

On the Experiments page, ``predict=0`` turns off the question a card asks before its
first run ("what do you expect?"); ``predict=1``, the default, asks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nnexplore.config import FIELDS, RunConfig, _quote

LOCK = "lock"
HIDE = "hide"
RULE_KEYS = (LOCK, HIDE)
PREDICT = "predict"
PREDICT_VALUES = {"0": False, "1": True}
_NAMES = tuple(f.name for f in FIELDS)


@dataclass(frozen=True)
class LinkRules:
    """Which settings a link locks and hides (setting names, in the settings table's order)."""

    locked: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()

    @classmethod
    def of(cls, locked: Iterable[str] = (), hidden: Iterable[str] = ()) -> LinkRules:
        """Known names only, each once, in table order; a hidden name is not also locked."""
        hide = set(hidden)
        lock = set(locked) - hide
        return cls(tuple(n for n in _NAMES if n in lock), tuple(n for n in _NAMES if n in hide))

    def fixed(self, name: str) -> bool:
        """True when the learner may not change this setting (locked or hidden)."""
        return name in self.locked or name in self.hidden

    def to_query_params(self) -> dict[str, str]:
        """``lock``/``hide`` as comma-separated names; a rule with no names is left out."""
        out = {}
        if self.locked:
            out[LOCK] = ",".join(self.locked)
        if self.hidden:
            out[HIDE] = ",".join(self.hidden)
        return out


def _last(raw: Any) -> str:
    if isinstance(raw, (list, tuple)):
        return str(raw[-1]) if raw else ""
    return str(raw)


def parse_rules(params: Mapping[str, Any]) -> tuple[LinkRules, list[str]]:
    """``lock``/``hide`` from a link's parameters. Never raises: unknown names become problems."""
    problems: list[str] = []
    names: dict[str, list[str]] = {LOCK: [], HIDE: []}
    for rule in RULE_KEYS:
        if rule not in params:
            continue
        for name in (part.strip() for part in _last(params[rule]).split(",")):
            if not name:
                continue
            if name in _NAMES:
                names[rule].append(name)
            else:
                problems.append(f"Ignored unknown setting {_quote(name)} in {rule}=.")
    return LinkRules.of(names[LOCK], names[HIDE]), problems


def parse_predict(params: Mapping[str, Any]) -> tuple[bool, str]:
    """``predict=`` from a link: (whether the cards ask what the learner expects, "" or what was
    wrong in words). Never raises: without the key, or with a value other than 0 or 1, they ask."""
    if PREDICT not in params:
        return True, ""
    raw = _last(params[PREDICT]).strip()
    if raw in PREDICT_VALUES:
        return PREDICT_VALUES[raw], ""
    return True, (
        f"Ignored predict={_quote(raw)} in the link: it can be 0 (no question before the runs) or 1 "
        "(ask what you expect before the runs, as by default)."
    )


def parse_link(params: Mapping[str, Any]) -> tuple[RunConfig, LinkRules, list[str]]:
    """A whole link: its settings, its rules and every problem found, in words. Never raises."""
    rules, rule_problems = parse_rules(params)
    settings = {k: v for k, v in params.items() if k not in RULE_KEYS}
    cfg, problems = RunConfig.from_query_params(settings)
    return cfg, rules, [*problems, *rule_problems]


def link_params(cfg: RunConfig, rules: LinkRules = LinkRules()) -> dict[str, str]:
    """The address bar's parameters for these settings and rules (the inverse of parse_link)."""
    return {**cfg.to_query_params(), **rules.to_query_params()}
