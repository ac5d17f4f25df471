"""Altair chart builders: pure functions DataFrame -> chart, no state, no streamlit.

* frames: run records -> tidy pandas frames (the input of the run charts);
* labels: run names in legends ("ReLU · softmax · CE · lr 0.1");
* style: what every run chart shares (run colours, layer colours, the epoch axis);
* training, gradients, predictions, regions, fit, units: the charts of the Playground and the
  Experiments;
* theory: the charts of the Theory lessons.
"""

from altair.utils import schemapi

# Altair checks every schema object against the Vega-Lite schema as it is made (its "debug
# mode"): 45% of the Python time of a finished page's charts (devtools/bench_draw, profiled).
# These charts are built by code, not from what a learner types, and the tests validate whole
# specs instead (``chart.to_dict()`` in tests/unit/test_charts.py; every chart a finished page sends,
# against the Vega-Lite schema, in tests/app/test_page_specs.py), so the app builds them without.
schemapi.disable_debug_mode()
