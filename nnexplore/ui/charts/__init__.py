"""Altair chart builders: pure functions DataFrame -> chart, no state, no streamlit.

* frames: run records -> tidy pandas frames (the input of the run charts);
* labels: run names in legends ("ReLU · softmax · CE · lr 0.1");
* style: what every run chart shares (run colours, layer colours, the epoch axis);
* training, gradients, predictions, units: the charts of the Playground and the Experiments;
* theory: the charts of the Theory lessons.
"""
