"""A teacher's link in the app (AppTest): locked controls are greyed out, hidden ones absent."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from nnexplore.config import RunConfig
from nnexplore.links import LinkRules, link_params, parse_link
from nnexplore.ui.controls import LOCKED_NOTE

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")


def app(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def controls(at: AppTest) -> dict[str, object]:
    return {
        w.key.removeprefix("cfg_"): w
        for kind in ("selectbox", "number_input", "text_input")
        for w in getattr(at.sidebar, kind)
        if w.key and w.key.startswith("cfg_")
    }


def address(at: AppTest) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def test_locked_is_disabled_hidden_is_absent_and_both_stay_in_the_address_bar():
    cfg = RunConfig(dataset="spiral", hidden=(8, 8), seed=3)
    at = app(link_params(cfg, LinkRules.of(locked=["dataset", "hidden"], hidden=["seed", "init"])))
    assert not at.exception
    shown = controls(at)
    assert shown["dataset"].disabled and shown["hidden"].disabled and not shown["lr"].disabled
    assert "seed" not in shown and "init" not in shown
    assert shown["dataset"].value == "spiral"
    assert [c.value for c in at.sidebar.caption].count(LOCKED_NOTE) == 2
    assert "plain Playground" in at.sidebar.info[0].value

    shown["lr"].set_value(0.05)
    at.run()
    back, rules, problems = parse_link(address(at))
    assert problems == [] and rules == LinkRules(locked=("dataset", "hidden"), hidden=("init", "seed"))
    assert back.lr == 0.05 and back.seed == 3 and back.dataset == "spiral"  # hidden: the link's value


def _load_a_run_into_the_controls() -> None:

    from nnexplore.config import RunConfig
    from nnexplore.links import LinkRules
    from nnexplore.ui import controls
    from nnexplore.ui.page_state import page_state

    page_state().link_rules = LinkRules.of(locked=["dataset"], hidden=["seed"])
    controls.set_controls(RunConfig(dataset="xor", seed=7, lr=0.5))


def test_loading_a_run_into_the_controls_keeps_what_the_link_fixes():
    """What "Load into controls" and the experiments' "Try next" do: the lesson's settings stay."""
    at = AppTest.from_function(_load_a_run_into_the_controls).run()
    assert not at.exception
    assert at.session_state["cfg_lr"] == 0.5
    assert "cfg_dataset" not in at.session_state and "cfg_seed" not in at.session_state


def test_unknown_names_warn_in_words_and_a_plain_link_has_no_rules():
    at = app({"lock": "dataset,colour"})
    assert not at.exception
    assert any("'colour' in lock=" in w.value for w in at.warning)
    assert controls(at)["dataset"].disabled

    plain = app({})
    assert not plain.exception and not plain.sidebar.info
    assert not any(c.disabled for name, c in controls(plain).items() if name in ("dataset", "hidden", "seed"))


def test_share_with_a_class_builds_the_locking_link():
    at = app(RunConfig(dataset="circles").to_query_params())
    assert not at.multiselect  # nothing of it drawn (nor sent to the browser) until the switch is on
    at.toggle(key="share_open").set_value(True).run()
    at.multiselect(key="share_lock").set_value(["dataset", "epochs"])
    at.multiselect(key="share_hide").set_value(["init"])
    at.run()
    assert not at.exception
    link = at.code[0].value
    query = dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))
    cfg, rules, problems = parse_link({k: v.replace("%2C", ",") for k, v in query.items()})
    assert problems == [] and cfg.dataset == "circles"
    assert rules == LinkRules(locked=("dataset", "epochs"), hidden=("init",))
