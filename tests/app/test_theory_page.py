"""The Theory page and its panels in streamlit's AppTest: headings, math, typing, the gradient check."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from nnexplore import output_gradients as G
from nnexplore import theory as T
from nnexplore import theory_facts
from nnexplore.ui import safe_text

TIMEOUT = 60


def _panels_app() -> None:
    from nnexplore.ui.pages.panels import render_gradient_check, render_loss_landscape
    from nnexplore.ui.pages.theory import render_theory_page

    render_theory_page(include_panels=False)
    render_loss_landscape()
    render_gradient_check()


def _sections_app() -> None:
    from nnexplore.ui.pages.theory import render_theory_page

    render_theory_page(include_panels=False)


def _full_page_app() -> None:
    from nnexplore.ui.pages.theory import render_theory_page

    render_theory_page()


def _batch_app(logits, targets, source) -> None:
    from nnexplore.ui.pages.panels import render_gradient_check

    render_gradient_check(logits, targets, source=source)


def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert len(found) == 1, f"no single metric {label!r}: {[m.label for m in at.metric]}"
    return found[0]


def softmax_table(at: AppTest):
    for frame in at.dataframe:
        df = frame.value
        if "softmax S" in df.columns:
            return df
    raise AssertionError("no softmax table on the page")


@pytest.fixture(scope="module")
def page() -> AppTest:
    at = AppTest.from_function(_panels_app, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    return at


def test_headings_math_and_help(page):
    assert [h.value for h in page.header] == ["Theory: why the standard recipe is standard"]
    subheaders = " | ".join(s.value for s in page.subheader)
    for part in (
        "Activation functions",
        "Softmax and its Jacobian",
        "Cross-entropy or squared error",
        "loss landscape",
        "Gradient check",
    ):
        assert part in subheaders
    latex = " ".join(x.value for x in page.latex)
    assert r"S_i\,(\delta_{ij}-S_j)" in latex
    assert r"-\log p" in latex and "o-t" in latex and r"2\,(o-t)\,o\,(1-o)" in latex
    # section 3: the chain rule, and each loss's push on z worked out
    assert r"\frac{\partial L}{\partial p}\cdot\frac{\partial p}{\partial z}" in latex
    assert "=-(1-p)" in latex and r"=-2\,p\,(1-p)^2" in latex
    # the landscape panel: the Hessian, not only the curvature along w
    assert r"\succeq" in latex and "pmatrix" in latex
    # Every control explains itself.
    controls = [*page.multiselect, *page.text_input, *page.slider]
    assert len(controls) == 3 and all(c.help for c in controls)
    assert not page.warning


def test_default_vector_jacobian(page):
    s = T.softmax([2.0, 1.0, 0.1])
    table = softmax_table(page)
    assert table["softmax S"].to_numpy() == pytest.approx(s)
    biggest = float(metric(page, "Largest entry of J (size)").value)
    assert biggest == pytest.approx(np.abs(T.softmax_jacobian([2.0, 1.0, 0.1])).max(), abs=1e-3)


def test_bad_vector_warns_in_plain_words_then_recovers():
    at = AppTest.from_function(_sections_app, default_timeout=TIMEOUT).run()
    at.text_input(key="theory_vector").input("1, banana").run()
    assert not at.exception
    assert len(at.warning) == 1 and "not a number" in at.warning[0].value
    assert [c.value for c in at.code] == ["banana"]  # the typo, shown verbatim
    assert not [m for m in at.metric if m.label == "Largest entry of J (size)"]  # no stale Jacobian
    # A good vector brings the Jacobian back, for the new numbers: a saturated softmax.
    at.text_input(key="theory_vector").input("10, 0, 0").run()
    assert not at.exception and not at.warning
    table = softmax_table(at)
    assert table["softmax S"].iloc[0] == pytest.approx(T.softmax([10.0, 0.0, 0.0])[0])
    biggest = float(metric(at, "Largest entry of J (size)").value)
    assert biggest == pytest.approx(np.abs(T.softmax_jacobian([10.0, 0.0, 0.0])).max(), rel=1e-2)
    assert biggest < 1e-3


def test_typed_markdown_is_not_rendered():
    at = AppTest.from_function(_sections_app, default_timeout=TIMEOUT).run()
    at.text_input(key="theory_vector").input("![x](http://e.co/a.png)").run()
    assert not at.exception and len(at.warning) == 1
    assert "http" not in at.warning[0].value  # the warning is our words only
    assert at.code[0].value.startswith("![x](http://e.co")  # the typed text (cut at 20), in a code block


def check_table(at: AppTest):
    return next(f.value for f in at.dataframe if "push per example" in f.value.columns)


def test_gradient_check_default_batch(page):
    table = check_table(page)
    assert table["recipe"].tolist() == [r.name for r in G.RECIPES]
    assert (table["largest difference"] < 1e-6).all()
    assert any("64 examples × 10 classes" in c.value for c in page.caption)
    # the push is the module's, on the same stand-in batch
    logits, labels = theory_facts.default_batch()
    expected = G.gradient_check(logits, labels)["recipes"]
    for name, push in zip(table["recipe"], table["push per example"], strict=True):
        assert push == pytest.approx(expected[name]["push"])


def test_the_chain_rule_table_shows_the_cancellation(page):
    table = next(f.value for f in page.dataframe if "dp/dz = p(1 − p)" in f.value.columns)
    assert table["p"].tolist() == list(theory_facts.PUSH_TABLE_P)
    first = table.iloc[0]
    assert first["dL/dp, squared error"] == pytest.approx(-1.98)
    assert first["dL/dz, cross-entropy"] == pytest.approx(-0.99)
    assert first["dL/dz, squared error"] == pytest.approx(-0.019602)
    text = " ".join(m.value for m in page.markdown)
    assert "squared error's slope in p, 1.98, is larger than cross-entropy's push on z, 0.99" in text
    assert "its push on z is 0.0196, 51 times weaker" in text


def test_activation_picker_softmax_note_and_facts(page):
    at = AppTest.from_function(_sections_app, default_timeout=TIMEOUT).run()
    at.multiselect(key="theory_activations").set_value(["sigmoid", "softmax"]).run()
    assert not at.exception
    assert any("Jacobian" in i.value for i in at.info)
    facts = next(f.value for f in at.dataframe if "largest slope" in f.value.columns)
    assert facts["activation"].tolist() == ["sigmoid"]
    assert facts["largest slope"].iloc[0] == pytest.approx(0.25)


def test_landscape_sentences_come_from_the_numbers(page):
    text = " ".join(m.value for m in page.markdown)
    assert "**Cross-entropy ∘ sigmoid is convex**" in text
    assert "**Squared error ∘ sigmoid is not convex**" in text
    assert "Flat plateau: for w below" in text
    # Moving the bias recomputes the curves, and the sentence follows the new numbers.
    at = AppTest.from_function(_panels_app, default_timeout=TIMEOUT).run()
    at.slider(key="landscape_bias").set_value(1.5).run()
    assert not at.exception
    moved = next(m.value for m in at.markdown if "Squared error ∘ sigmoid is not" in m.value)
    before = next(m.value for m in page.markdown if "Squared error ∘ sigmoid is not" in m.value)
    assert moved != before


def test_landscape_facts():
    curve = T.loss_curve(np.linspace(-8, 8, 121))
    surface = T.loss_surface(np.linspace(-8, 8, 21), np.linspace(-4, 4, 11))
    facts = theory_facts.landscape_facts(curve, surface)
    ce, se = facts[T.LOSS_CE], facts[T.LOSS_MSE]
    assert ce["regions"] == [] and ce["non_convex_share"] == 0 and ce["min_curvature"] >= 0
    assert ce["plateau"] is None  # cross-entropy keeps a steep slope wherever it is high
    assert se["regions"] and se["non_convex_share"] > 0.5
    plateau = se["plateau"]
    assert plateau is not None and plateau["w_from"] == -8.0 and plateau["loss"] > 0.5


def test_gradient_check_on_a_model_batch():
    """A float32 batch straight from a model (with grad) and one-hot targets, like an MNIST card passes."""
    gen = torch.Generator().manual_seed(1)
    layer = torch.nn.Linear(784, 10)
    images = torch.rand(32, 784, generator=gen)
    logits = layer(images)  # requires grad, float32
    targets = torch.nn.functional.one_hot(torch.randint(0, 10, (32,), generator=gen), 10).float()
    at = AppTest.from_function(
        _batch_app, args=(logits, targets, "the test batch"), default_timeout=TIMEOUT
    ).run()
    assert not at.exception and not at.warning
    assert any("the test batch, 32 examples × 10 classes" in c.value for c in at.caption)
    table = check_table(at)
    assert (table["largest difference"] < 1e-5).all()
    expected = G.gradient_check(logits, targets)["recipes"]
    assert table["push per example"].tolist() == pytest.approx([r["push"] for r in expected.values()])


def test_gradient_check_mismatched_batch_warns_and_falls_back():
    at = AppTest.from_function(
        _batch_app, args=(np.zeros((4, 3)), np.zeros((5, 3)), None), default_timeout=TIMEOUT
    ).run()
    assert not at.exception
    assert len(at.warning) == 1 and "Could not check that batch" in at.warning[0].value
    assert any("64 examples" in c.value for c in at.caption)


def test_full_page_includes_both_panels():
    at = AppTest.from_function(_full_page_app, default_timeout=TIMEOUT).run()
    assert not at.exception
    subheaders = [s.value for s in at.subheader]
    assert len(subheaders) == 5 and subheaders[-1].startswith("Gradient check")


def test_split_quoted():
    assert safe_text.split_quoted('"x" is not a number.') == ("The part shown below is not a number.", "x")
    assert safe_text.split_quoted("Type at least 2 numbers.") == ("Type at least 2 numbers.", None)


def test_plain_text_escapes_markdown():
    assert safe_text.plain_text("a [b](c) $x$ :red[y]") == r"a \[b\]\(c\) \$x\$ \:red\[y\]"


def _own_batches_app(logits, targets, own) -> None:
    from nnexplore.ui.pages.panels import render_gradient_check

    render_gradient_check(logits, targets, source="a shared batch", own_batches=own)


def test_a_card_checks_each_recipe_on_its_own_runs_batch():
    """On a card, a recipe's push per example is its own run's: raw outputs + squared error checked on
    a sigmoid run's large scores would read as a push of 100 and more."""
    rng = np.random.default_rng(0)
    shared = rng.normal(0.0, 30.0, size=(16, 10))  # a sigmoid run's scores: large
    raw = rng.normal(0.3, 0.2, size=(16, 10))  # a raw-outputs run's outputs: near the targets
    labels = rng.integers(0, 10, size=16)
    own = {G.RECIPE_RAW: (raw, labels, "raw outputs + squared error")}
    at = AppTest.from_function(_own_batches_app, args=(shared, labels, own), default_timeout=TIMEOUT).run()
    assert not at.exception and not at.warning
    table = check_table(at).set_index("recipe")
    assert table.loc[G.RECIPE_RAW, "push per example"] == pytest.approx(
        G.gradient_check(raw, labels)["recipes"][G.RECIPE_RAW]["push"]
    )
    assert (
        table.loc[G.RECIPE_RAW, "push per example"]
        < 10
        < G.gradient_check(shared, labels)["recipes"][G.RECIPE_RAW]["push"]
    )
    assert table.loc[G.RECIPE_CE, "push per example"] == pytest.approx(
        G.gradient_check(shared, labels)["recipes"][G.RECIPE_CE]["push"]
    )
    assert any("its own run" in c.value for c in at.caption)
