"""The page's timeline control: one slider labelled "epoch", and Play / Pause.

It moves every picture of the page to the same moment of training, in the
browser: each chart that shows a timeline has a Vega-Lite parameter bound to a
hidden range input (nnexplore.ui.charts.timeline), and this control sets those
inputs. Nothing is sent to the server while a learner scrubs or plays, so a class
scrubbing costs the one-core server nothing, and the slider works while the
server is busy. A chart drawn anew (a live tick, a view opened) gets the
control's moment as soon as it appears.

Its position lives in the browser tab (``window.__nnexploreTimeline``), so the
live page's redraws keep it; at the right end it follows the newest pictures.

A Streamlit custom component v2, inline: HTML, CSS and JS strings, no build
step, nothing fetched.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from nnexplore.ui.charts.timeline import END, PARAM

#: Play runs through a run's moments in this many seconds: a pace a person can follow.
PLAY_S = 5.0

HTML = """
<div class="nnx-timeline" role="group" aria-label="Timeline">
  <button type="button" class="nnx-play" title="Play the run's pictures from the start, in about 5 s">Play</button>
  <label class="nnx-label">epoch
    <input class="nnx-slider" type="range" min="0" max="0" step="1" value="0"
      aria-label="epoch" title="Drag to see every picture at this epoch; at the right end, the newest">
  </label>
  <span class="nnx-when" aria-live="polite"></span>
</div>
"""

# Unscoped (isolate_styles=False): the rule that hides Vega's own inputs must reach the charts.
CSS = f"""
.vega-bind:has(input[name="{PARAM}"]) {{ display: none !important; }}
.nnx-timeline {{ display: flex; align-items: center; gap: 0.75rem; font-family: inherit;
  font-size: 0.95rem; padding: 0.25rem 0; }}
.nnx-timeline .nnx-label {{ display: flex; align-items: center; gap: 0.5rem; flex: 1; }}
.nnx-timeline .nnx-slider {{ flex: 1; accent-color: #0072B2; }}
.nnx-timeline .nnx-when {{ min-width: 11rem; font-variant-numeric: tabular-nums; }}
.nnx-timeline .nnx-play {{ min-width: 4.5rem; padding: 0.25rem 0.75rem; border-radius: 0.5rem;
  border: 1px solid rgba(49, 51, 63, 0.3); background: white; cursor: pointer; font: inherit; }}
.nnx-timeline .nnx-play:focus-visible, .nnx-timeline .nnx-slider:focus-visible {{
  outline: 2px solid #0072B2; outline-offset: 2px; }}
"""

JS = f"""
const PARAM = "{PARAM}", END = {END:.0f}, PLAY_MS = {PLAY_S * 1000:.0f};

export default function (component) {{
  const {{ data, parentElement }} = component;
  const root = parentElement.querySelector(".nnx-timeline");
  const slider = root.querySelector(".nnx-slider");
  const when = root.querySelector(".nnx-when");
  const play = root.querySelector(".nnx-play");
  const times = (data && data.times) || [];
  // at: the epoch shown, or null for "the newest"; kept by the tab across the page's redraws,
  // one per page part (a card's slider does not move another card's)
  const all = (window.__nnexploreTimeline ||= {{}});
  const state = (all[data.id] ||= {{ at: null, timer: null }});
  const last = times.length - 1;
  const index = () => {{
    if (state.at === null) return last;
    let i = 0;
    while (i < last && times[i + 1] <= state.at) i += 1;
    return i;
  }};
  const epoch = (t) => (t < 10 ? t.toFixed(2) : t.toFixed(1));
  const show = () => {{
    slider.max = String(Math.max(last, 0));
    slider.value = String(index());
    when.textContent = last < 0 ? "" : state.at === null
      ? `${{epoch(times[last])}} (the newest)` : `${{epoch(state.at)}} of ${{epoch(times[last])}}`;
    play.textContent = state.timer ? "Pause" : "Play";
  }};
  const apply = () => {{
    const value = state.at === null ? END : state.at;
    document.querySelectorAll(`input[name="${{PARAM}}"]`).forEach((input) => {{
      if (Number(input.value) !== value) {{
        input.value = String(value);
        input.dispatchEvent(new Event("input", {{ bubbles: true }}));
      }}
    }});
  }};
  const stop = () => {{ clearInterval(state.timer); state.timer = null; }};
  state.tick = () => {{
    const i = index();
    if (!root.isConnected || i >= last) {{ state.at = null; stop(); }}
    else state.at = times[i + 1];
    show(); apply();
  }};
  slider.oninput = () => {{
    const i = Number(slider.value);
    state.at = i >= last ? null : times[i];
    stop(); show(); apply();
  }};
  play.onclick = () => {{
    if (state.timer) stop();
    else if (last > 0) {{
      if (state.at === null) state.at = times[0];
      state.timer = setInterval(() => state.tick(), PLAY_MS / times.length);
    }}
    show(); apply();
  }};
  // A chart drawn after the slider moved starts at the newest moment: set it at once.
  const observer = new MutationObserver(() => {{ if (state.at !== null) apply(); }});
  observer.observe(document.body, {{ childList: true, subtree: true }});
  show(); apply();
  return () => observer.disconnect();
}}
"""

_COMPONENT = st.components.v2.component("nnexplore_timeline", html=HTML, css=CSS, js=JS, isolate_styles=False)


def timeline_control(times: Sequence[float], key: str) -> None:
    """The slider over ``times`` (the epochs of every run's moments on the page, any order)."""
    moments = sorted({round(float(t), 4) for t in times})
    _COMPONENT(data={"times": moments, "id": key}, key=key)
