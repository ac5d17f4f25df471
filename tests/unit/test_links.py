"""Link rules (lock=, hide=): parsed, fuzzed and round-tripped through the address bar."""

from hypothesis import given
from hypothesis import strategies as st

from nnexplore.config import FIELDS, RunConfig
from nnexplore.links import LinkRules, link_params, parse_link, parse_rules

NAMES = [f.name for f in FIELDS]


def test_lock_and_hide_are_read_in_table_order_and_hide_wins():
    rules, problems = parse_rules({"lock": "epochs, dataset,lr", "hide": "lr,init"})
    assert problems == []
    assert rules.locked == ("dataset", "epochs")  # table order, lr went to hidden
    assert rules.hidden == ("lr", "init")
    assert rules.fixed("lr") and rules.fixed("dataset") and not rules.fixed("seed")


def test_unknown_names_are_problems_in_words_and_the_rest_still_applies():
    rules, problems = parse_rules({"lock": ["ignored", "dataset,colour"], "hide": ",,"})
    assert rules == LinkRules(locked=("dataset",))
    assert problems == ["Ignored unknown setting 'colour' in lock=."]


def test_the_rules_are_not_settings():
    cfg, rules, problems = parse_link({"dataset": "xor", "lock": "dataset", "hide": "seed"})
    assert problems == [] and cfg.dataset == "xor"
    assert rules == LinkRules(locked=("dataset",), hidden=("seed",))


def test_a_plain_link_has_no_rules():
    assert link_params(RunConfig()) == RunConfig().to_query_params()
    assert parse_link(RunConfig().to_query_params())[1] == LinkRules()


@given(
    st.lists(st.sampled_from(NAMES)),
    st.lists(st.sampled_from(NAMES)),
    st.sampled_from(["moons", "spiral", "mnist"]),
    st.integers(1, 50),
)
def test_round_trip(locked, hidden, dataset, epochs):
    cfg = RunConfig(dataset=dataset, epochs=epochs)
    rules = LinkRules.of(locked, hidden)
    assert parse_link(link_params(cfg, rules)) == (cfg, rules, [])


@given(
    st.dictionaries(
        st.sampled_from(["lock", "hide", "dataset", "x"]), st.text(max_size=60) | st.lists(st.text())
    )
)
def test_any_link_parses_without_raising(params):
    cfg, rules, problems = parse_link(params)
    assert isinstance(cfg, RunConfig)
    assert set(rules.locked) | set(rules.hidden) <= set(NAMES)
    assert not set(rules.locked) & set(rules.hidden)
    assert all(isinstance(p, str) and p for p in problems)


def test_a_share_link_is_the_pages_address_with_the_settings_and_rules():
    from nnexplore.ui.share import share_link

    cfg, rules = RunConfig(dataset="xor"), LinkRules.of(locked=["dataset"])
    link = share_link("http://127.0.0.1:8501", cfg, rules)
    assert link.startswith("http://127.0.0.1:8501/?dataset=xor&") and link.endswith("&lock=dataset")
    assert share_link("https://x.streamlit.app/playground", cfg, rules).startswith(
        "https://x.streamlit.app/playground?dataset=xor"
    )
