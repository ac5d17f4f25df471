"""The Theory page's chart builders: real theory tables -> Altair specs, checked through to_dict()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nnexplore import output_gradients as G
from nnexplore import theory as T
from nnexplore.theory_facts import negative_curvature_regions
from nnexplore.ui.charts import theory as LC

W = np.linspace(-8.0, 8.0, 121)


def layer_data(spec: dict, layer: dict) -> list[dict]:
    """The rows a layer draws: its own named dataset, or the chart's shared one."""
    name = (layer.get("data") or spec.get("data"))["name"]
    return spec["datasets"][name]


def marks(spec: dict) -> list[str]:
    return [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]
    ]


@pytest.fixture(scope="module")
def curve() -> pd.DataFrame:
    return T.loss_curve(W)


@pytest.fixture(scope="module")
def surface() -> pd.DataFrame:
    return T.loss_surface(np.linspace(-8, 8, 31), np.linspace(-4, 4, 21))


# --------------------------------------------------------------------------- activations


@pytest.mark.parametrize("quantity, field", [("value", "value"), ("derivative", "derivative")])
def test_activation_chart_draws_picked_curves_with_hover(quantity, field):
    table = T.activation_table()
    picked = table[table["activation"].isin(["sigmoid", "relu"])]
    spec = LC.activation_chart(picked, quantity).to_dict()
    assert marks(spec) == ["line", "point", "rule"]
    line = spec["layer"][0]["encoding"]
    assert line["x"]["field"] == "z" and line["y"]["field"] == field
    assert line["color"]["scale"]["domain"] == ["ReLU", "sigmoid"]  # screen names, the table's order
    # The hover selection lives on the dots and filters the rule.
    (hover,) = spec["params"]
    assert hover["select"]["nearest"] is True and hover["views"] == [spec["layer"][1]["name"]]
    assert spec["layer"][2]["transform"][0]["filter"]["param"] == "hover_z"
    rows = layer_data(spec, spec["layer"][0])
    assert {r["activation"] for r in rows} == {"sigmoid", "relu"}
    sig_max = max(r["derivative"] for r in rows if r["activation"] == "sigmoid")
    assert sig_max == pytest.approx(0.25)


def test_activation_chart_rejects_unknown_quantity():
    with pytest.raises(ValueError, match="quantity"):
        LC.activation_chart(T.activation_table(), "curvature")


# --------------------------------------------------------------------------- Jacobian


def test_jacobian_heatmap_cells_labels_and_centred_colours():
    spec = LC.jacobian_heatmap(T.jacobian_table([2.0, 1.0, 0.1])).to_dict()
    assert marks(spec) == ["rect", "text"]
    cells = spec["layer"][0]["encoding"]
    assert cells["x"]["field"] == "col" and cells["y"]["field"] == "row"
    scale = cells["color"]["scale"]
    assert scale["domainMid"] == 0 and scale["domain"][0] == -scale["domain"][1]
    rows = layer_data(spec, spec["layer"][0])
    assert len(rows) == 9
    assert {r["row"] for r in rows} == {1, 2, 3}  # counted from 1, as in the formula
    s = T.softmax([2.0, 1.0, 0.1])
    top_left = next(r["value"] for r in rows if r["row"] == 1 and r["col"] == 1)
    assert top_left == pytest.approx(s[0] * (1 - s[0]))
    assert spec["layer"][1]["encoding"]["text"]["field"] == "value"


# --------------------------------------------------------------------------- loss vs probability


def test_loss_probability_value_chart():
    spec = LC.loss_probability_chart(T.loss_vs_probability(), "value").to_dict()
    assert spec["mark"]["type"] == "line"
    assert spec["encoding"]["y"]["field"] == "value"
    assert spec["encoding"]["color"]["scale"]["domain"] == [T.LOSS_CE, T.LOSS_MSE]


def test_loss_probability_gradient_chart_is_log_of_positive_push():
    spec = LC.loss_probability_chart(T.loss_vs_probability(), "gradient").to_dict()
    y = spec["encoding"]["y"]
    assert y["field"] == "push" and y["scale"]["type"] == "log"
    rows = layer_data(spec, spec)
    assert all(r["push"] > 0 for r in rows)  # log scale: the zero slope at p = 1 is left out
    ce_first = min((r for r in rows if r["loss"] == T.LOSS_CE), key=lambda r: r["p"])
    assert ce_first["push"] == pytest.approx(1 / ce_first["p"])
    assert spec["title"] == "Each loss's slope in p"  # not "how hard it pushes": that is the slope in z


@pytest.mark.parametrize("factor", T.PUSH_FACTORS)
def test_push_factor_charts_share_one_log_axis(factor):
    table = T.push_factors()
    spec = LC.push_factor_chart(table, factor).to_dict()
    y = spec["encoding"]["y"]
    assert y["field"] == "size" and y["scale"]["type"] == "log" and y["scale"]["domain"] == list(LC.PUSH_AXIS)
    rows = layer_data(spec, spec)
    assert all(r["size"] > 0 and r["size"] == pytest.approx(abs(r["value"])) for r in rows)
    if factor == "dp/dz":  # the same for both losses: one grey line
        assert {r["loss"] for r in rows} == {T.LOSS_CE} and "color" not in spec["encoding"]
    else:
        assert spec["encoding"]["color"]["scale"]["domain"] == [T.LOSS_CE, T.LOSS_MSE]
    # every value sits inside the shared axis, so no line is cut off
    assert all(LC.PUSH_AXIS[0] <= r["size"] <= LC.PUSH_AXIS[1] for r in rows)


def test_push_factor_chart_rejects_unknown_factor():
    with pytest.raises(ValueError, match="dL/dp"):
        LC.push_factor_chart(T.push_factors(), "d2L/dz2")


# --------------------------------------------------------------------------- loss landscape


def test_negative_curvature_regions_on_a_made_up_curve():
    df = pd.DataFrame(
        {"w": [0.0, 1.0, 2.0, 3.0, 4.0], "loss": "x", "curvature": [1.0, -1.0, -2.0, 1.0, -1.0]}
    )
    regions = negative_curvature_regions(df)
    assert regions[["w_start", "w_end"]].values.tolist() == [[0.5, 2.5], [3.5, 4.0]]
    convex = df.assign(curvature=1.0)
    assert negative_curvature_regions(convex).empty


def test_negative_curvature_regions_on_logistic_regression(curve):
    regions = negative_curvature_regions(curve)
    assert set(regions["loss"]) == {T.LOSS_MSE}  # cross-entropy∘sigmoid is convex
    assert len(regions) >= 1


def test_loss_curve_chart_shades_only_the_non_convex_loss(curve):
    mse = LC.loss_curve_chart(curve[curve["loss"] == T.LOSS_MSE]).to_dict()
    assert marks(mse) == ["rect", "line"]
    shade = mse["layer"][0]
    assert shade["encoding"]["x"]["field"] == "w_start" and shade["encoding"]["x2"]["field"] == "w_end"
    shaded = layer_data(mse, shade)
    assert shaded and all(r["loss"] == T.LOSS_MSE for r in shaded)
    # Each shaded stretch really has negative curvature inside it.
    part = curve[curve["loss"] == T.LOSS_MSE]
    for r in shaded:
        inside = part[(part["w"] >= r["w_start"]) & (part["w"] <= r["w_end"])]
        assert (inside["curvature"] < 0).all()

    ce = LC.loss_curve_chart(curve[curve["loss"] == T.LOSS_CE], title="CE").to_dict()
    assert marks(ce) == ["rect", "line"]  # the shaded layer is there, with nothing to shade
    assert layer_data(ce, ce["layer"][0]) == []
    assert ce["title"] == "CE"


def test_loss_surface_chart_marks_exactly_the_non_convex_points(surface):
    mse_rows = surface[surface["loss"] == T.LOSS_MSE]
    spec = LC.loss_surface_chart(mse_rows).to_dict()
    assert marks(spec) == ["rect", "point", "point"]
    cells, crosses, star = spec["layer"]
    assert cells["encoding"]["color"]["scale"]["type"] == "log"
    assert crosses["mark"]["shape"] == "cross" and star["mark"]["shape"] == "diamond"
    rows = layer_data(spec, cells)
    assert len(rows) == len(mse_rows)
    assert sum(r["flag"] for r in rows) == int(mse_rows["non_convex"].sum()) > 0
    assert {"filter": "datum.flag == 1"} in crosses["transform"]
    # An even grid: the cell edges are computed in the browser, not shipped.
    assert any(t.get("as") == "w0" for t in cells["transform"])

    ce = LC.loss_surface_chart(surface[surface["loss"] == T.LOSS_CE]).to_dict()
    assert sum(r["flag"] for r in layer_data(ce, ce["layer"][0])) == 0


def test_loss_surface_chart_uneven_grid_and_one_loss_at_a_time(surface):
    uneven = T.loss_surface([-2.0, 0.0, 1.0, 5.0], [-1.0, 0.0, 1.0])
    spec = LC.loss_surface_chart(uneven[uneven["loss"] == T.LOSS_MSE]).to_dict()
    rows = layer_data(spec, spec["layer"][0])
    first = min(rows, key=lambda r: (r["w"], r["b"]))
    assert first["w0"] == pytest.approx(-3.0) and first["w1"] == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="one loss at a time"):
        LC.loss_surface_chart(surface)


# --------------------------------------------------------------------------- output gradient


def test_gradient_output_chart():
    spec = LC.gradient_output_chart(G.gradient_vs_output()).to_dict()
    assert spec["mark"]["type"] == "line"
    enc = spec["encoding"]
    assert enc["x"]["field"] == "o" and enc["y"]["field"] == "gradient"
    order = [G.RECIPE_CE, G.RECIPE_BCE, G.RECIPE_RAW, G.RECIPE_MSE]
    assert enc["color"]["scale"]["domain"] == order == enc["strokeDash"]["scale"]["domain"]
    dashes = dict(zip(order, enc["strokeDash"]["scale"]["range"], strict=True))
    assert dashes[G.RECIPE_BCE] != dashes[G.RECIPE_CE]  # the two o − t lines coincide: one is dashed
    rows = layer_data(spec, spec)
    wrong = {r["recipe"]: r["gradient"] for r in rows if r["o"] == pytest.approx(0.001)}
    assert wrong[G.RECIPE_CE] > 100 * wrong[G.RECIPE_MSE]  # confidently wrong: CE pushes, SE barely
    assert wrong[G.RECIPE_BCE] == pytest.approx(wrong[G.RECIPE_CE])
    assert wrong[G.RECIPE_RAW] == pytest.approx(2 * wrong[G.RECIPE_CE])
