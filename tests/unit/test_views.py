"""The views a page can show (nnexplore.views): each is offered only where some run has something
for it to show, and a regression's R² and fit stand where a classification's accuracy and
decision regions do."""

from __future__ import annotations

from nnexplore import views


def test_a_regression_is_offered_its_r2_and_fit_never_accuracy_regions_or_pushes():
    sine = set(views.offered({"sine"}, hidden=True))
    assert {"r2", "fit", "loss", "outside", "units", "gradient_flow"} <= sine
    assert not {"accuracy", "regions", "pushes", "digits", "hidden_units"} & sine  # one input: no plane
    surface = set(views.offered({"surface"}, hidden=True))
    assert {"r2", "fit", "hidden_units"} <= surface and not {"accuracy", "regions"} & surface
    moons = set(views.offered({"moons"}, hidden=True))
    assert {"accuracy", "regions", "pushes", "hidden_units"} <= moons and not {"r2", "fit"} & moons


def test_a_page_mixing_the_two_kinds_offers_both_and_the_playground_leads_with_them():
    mixed = views.offered({"sine", "moons"}, hidden=False)
    assert {"accuracy", "r2", "regions", "fit", "pushes"} <= set(mixed) and "hidden_units" not in mixed
    for datasets, first in (({"sine"}, ["r2", "fit"]), ({"moons"}, ["accuracy", "regions"])):
        offered = views.offered(datasets, hidden=True)
        assert [name for name in views.PLAYGROUND_HEADLINE if name in offered] == first
    assert views.BY_NAME["r2"].title == "R² (1 is a perfect fit)" and views.BY_NAME["fit"].per_run
