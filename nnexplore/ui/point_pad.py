"""The point pad: a learner places their own points on a plane by clicking, in the sidebar.

A square plane as wide as the sidebar's content, 260 CSS px at most (238 px at Streamlit's
default sidebar width, measured in Chromium at 1400 and 800 px wide), drawn on a canvas whose
backing store follows its size and the screen's devicePixelRatio. The points are dots in the class
colours (nnexplore.ui.charts.style.CLASS_PALETTE, never a run's colour): filled for the
points trained on, rings for the ones kept for testing, as the decision-regions chart draws
them. A click (mouse, finger or pen: Pointer Events; ``touch-action: none`` so a finger
places a point instead of scrolling) adds a point of the class chosen above the pad (a
``st.segmented_control``); Undo takes the last one back, Clear empties the plane. A click in
the margin around the plane does nothing, and at 200 points a click is refused with a sentence.

The sidebar rather than the main page: the points are a setting like the others (the link
keeps them, Train uses them), and beside the other Data settings a learner sees the dataset
they edit while they choose the network for it.

What travels: each click, Undo or Clear sends the whole new points text (nnexplore.own_points,
3 characters a point, 600 for 200) once, through a trigger value, with a sequence number.
The server keeps the text in the ``points`` setting's session key, so the link updates as for
any other setting (nnexplore.ui.controls). The text is checked, never trusted: anything that is
not a points code is dropped, and the pad then shows the server's points again.

Who holds the points: the server. The JS keeps its own copy (on the canvas, and per pad in
``window.__nnexplorePointPad`` so that a pad mounted anew continues its numbering) and draws a
click at once; it takes the server's points whenever the server has seen its latest click
(the server's sequence number has caught up), so a click still on its way is not undone by the
rerun of an earlier one, and a change from elsewhere (Load into controls) shows. A token per
session tells the JS of a new session (a server restart), whose numbering starts again.

As with the drawing pad (nnexplore.ui.drawing_pad, whose docstring lists what the v2 API does):
the JS is called again only when ``data`` changes, on the same DOM, so it sets its handlers with
``on…=`` and keeps its state on the canvas; triggers are ignored inside ``st.form``. A Streamlit
custom component v2, inline: HTML, CSS and JS strings, no build step, nothing fetched.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import MutableMapping, Sequence
from typing import Any

import streamlit as st

from nnexplore import own_points
from nnexplore.ui.charts.style import CLASS_PALETTE

#: The pad's widest, in CSS px; it takes the sidebar's content width below that (238 px at
#: Streamlit's default width). Its margin and dots are given for this width and scale with it.
PAD_CSS_PX = 260
#: The margin around the plane: a dot at the plane's edge (radius 5) is drawn whole, and a
#: click there is outside the plane. The plane is then 244 px (223 at 238): 256 levels, ~1 px each.
MARGIN_CSS_PX = 8
#: A dot's radius in CSS px: 10 px across, easy to see and to tell from its neighbours.
DOT_CSS_PX = 5
COLOURS = CLASS_PALETTE[: own_points.MAX_CLASSES]

FULL = f"The plane holds {own_points.MAX_POINTS} points at most: Undo or Clear to place others."
LOCKED = "This link fixes the points: they are shown, and cannot be changed here."

HTML = f"""
<div class="nnx-pp">
  <div class="nnx-pp-next" aria-live="polite"><span class="nnx-pp-swatch"></span><span class="nnx-pp-next-text"></span></div>
  <canvas class="nnx-pp-canvas" width="{PAD_CSS_PX}" height="{PAD_CSS_PX}" role="img"
    aria-label="Your points on the plane: click to place a point of the chosen class"></canvas>
  <div class="nnx-pp-bar">
    <button type="button" class="nnx-pp-undo" title="Take back the last point you placed">Undo</button>
    <button type="button" class="nnx-pp-clear" title="Remove every point: start from an empty plane">Clear</button>
    <span class="nnx-pp-count"></span>
  </div>
  <div class="nnx-pp-say" role="status" aria-live="polite"></div>
</div>
"""

# Scoped to the component's shadow root (isolate_styles=True): nothing here reaches the page.
# Theme colours come from Streamlit's --st-* custom properties, with fallbacks.
CSS = f"""
.nnx-pp {{ display: flex; flex-direction: column; align-items: flex-start; gap: 0.4rem;
  font-family: var(--st-font, sans-serif); font-size: 0.875rem; color: var(--st-text-color, inherit); }}
.nnx-pp-canvas {{ display: block; width: min({PAD_CSS_PX}px, 100%); aspect-ratio: 1; touch-action: none;
  cursor: crosshair; border-radius: 0.5rem; border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.3));
  box-sizing: border-box; }}
.nnx-pp-canvas.nnx-pp-locked {{ cursor: not-allowed; }}
.nnx-pp-next {{ display: flex; align-items: center; gap: 0.4rem; min-height: 1.2rem; }}
.nnx-pp-swatch {{ width: 0.8rem; height: 0.8rem; border-radius: 50%; flex: none; }}
.nnx-pp-bar {{ display: flex; align-items: center; gap: 0.5rem; }}
.nnx-pp-bar button {{ min-width: 4rem; padding: 0.2rem 0.7rem; font: inherit; cursor: pointer;
  border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.3));
  border-radius: var(--st-button-radius, 0.5rem);
  background: var(--st-background-color, white); color: var(--st-text-color, inherit); }}
.nnx-pp-bar button:disabled {{ cursor: default; opacity: 0.5; }}
.nnx-pp-bar button:focus-visible {{ outline: 2px solid var(--st-primary-color, #0072B2); outline-offset: 2px; }}
.nnx-pp-count {{ opacity: 0.75; font-variant-numeric: tabular-nums; white-space: nowrap; }}
.nnx-pp-say {{ min-height: 1.2rem; color: var(--st-red-text-color, #b42318); }}
.nnx-pp-say:empty {{ display: none; }}
"""

JS = f"""
const SIZE = {PAD_CSS_PX}, MARGIN = {MARGIN_CSS_PX}, DOT = {DOT_CSS_PX};
const LEVELS = {own_points.LEVELS}, MAX = {own_points.MAX_POINTS}, TEST_EVERY = {own_points.TEST_EVERY};
const COLOURS = {json.dumps(list(COLOURS))};
const ALPHABET = "{own_points.ALPHABET}";
const FULL = {json.dumps(FULL)}, LOCKED = {json.dumps(LOCKED)};

// The points text the link keeps: 3 characters a point, 8 bits of x, 8 of y, 2 of class.
function encode(points) {{
  let text = "";
  for (const [x, y, c] of points) {{
    const code = (x << 10) | (y << 2) | c;
    text += ALPHABET[code >> 12] + ALPHABET[(code >> 6) & 63] + ALPHABET[code & 63];
  }}
  return text;
}}

export default function (component) {{
  const {{ data, parentElement, setTriggerValue }} = component;
  const canvas = parentElement.querySelector(".nnx-pp-canvas");
  const undo = parentElement.querySelector(".nnx-pp-undo");
  const clear = parentElement.querySelector(".nnx-pp-clear");
  const count = parentElement.querySelector(".nnx-pp-count");
  const say = parentElement.querySelector(".nnx-pp-say");
  const swatch = parentElement.querySelector(".nnx-pp-swatch");
  const next = parentElement.querySelector(".nnx-pp-next-text");
  const id = String(data.id);
  const server = (data.points || []).map((p) => p.slice());
  const serverSeq = Number(data.seq) || 0;
  // One entry per pad in the tab: its numbering and points outlive a pad mounted anew.
  const all = (window.__nnexplorePointPad ||= {{}});
  let store = all[id];
  if (!store || store.token !== data.token) store = all[id] = {{ token: data.token, seq: serverSeq, points: server }};
  // The server has seen every click sent: its points are the truth (a click's own rerun, or a
  // change from elsewhere). Otherwise a click is still on its way: keep what is drawn.
  if (serverSeq >= store.seq) {{ store.seq = serverSeq; store.points = server; }}
  let pad = canvas.__nnxPointPad;
  if (!pad) pad = canvas.__nnxPointPad = {{ observer: null }};
  pad.store = store;
  pad.cls = Number(data.cls) || 0;
  pad.locked = Boolean(data.locked);
  const ctx = canvas.getContext("2d");

  // The plane's side in canvas pixels, and where a level is drawn.
  const geometry = () => {{
    const scale = canvas.width / SIZE, margin = MARGIN * scale;
    return {{ scale, margin, side: canvas.width - 2 * margin }};
  }};
  const paint = () => {{
    const {{ scale, margin, side }} = geometry();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#f0f2f6";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#fff";
    ctx.fillRect(margin, margin, side, side);
    ctx.lineWidth = scale;
    for (let k = 1; k < 4; k += 1) {{  // a line at -1, 0 and 1: the axes darker
      const at = margin + (side * k) / 4;
      ctx.strokeStyle = k === 2 ? "#b8bcc6" : "#e3e5ea";
      ctx.beginPath(); ctx.moveTo(at, margin); ctx.lineTo(at, margin + side); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(margin, at); ctx.lineTo(margin + side, at); ctx.stroke();
    }}
    store.points.forEach(([x, y, c], i) => {{
      const px = margin + (x / (LEVELS - 1)) * side, py = margin + (1 - y / (LEVELS - 1)) * side;
      ctx.beginPath();
      ctx.arc(px, py, DOT * scale, 0, 2 * Math.PI);
      const test = i % TEST_EVERY === TEST_EVERY - 1;
      ctx.fillStyle = test ? "#fff" : COLOURS[c];
      ctx.fill();
      ctx.lineWidth = (test ? 2.5 : 1) * scale;
      ctx.strokeStyle = test ? COLOURS[c] : "#fff";
      ctx.stroke();
    }});
    const n = store.points.length;
    count.textContent = `${{n}} of ${{MAX}} points`;
    undo.disabled = clear.disabled = pad.locked || n === 0;
    canvas.classList.toggle("nnx-pp-locked", pad.locked);
    swatch.style.background = COLOURS[pad.cls];
    swatch.hidden = pad.locked;
    next.textContent = pad.locked ? LOCKED : `Click the plane to place a point of class ${{pad.cls}}`;
  }};
  const fit = () => {{
    const px = Math.max(1, Math.round(canvas.clientWidth * (window.devicePixelRatio || 1)));
    if (canvas.width !== px || canvas.height !== px) {{ canvas.width = canvas.height = px; }}
    paint();
  }};
  const send = () => {{
    store.seq += 1;
    setTriggerValue("points", {{ seq: store.seq, text: encode(store.points) }});
  }};

  canvas.onpointerdown = (e) => {{
    if (pad.locked || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    const margin = (MARGIN * r.width) / SIZE, side = r.width - 2 * margin;
    const fx = (e.clientX - r.left - margin) / side, fy = (e.clientY - r.top - margin) / side;
    if (!(fx >= 0 && fx <= 1 && fy >= 0 && fy <= 1)) return;  // the margin: outside the plane
    if (store.points.length >= MAX) {{ say.textContent = FULL; return; }}
    say.textContent = "";
    store.points.push([Math.round(fx * (LEVELS - 1)), Math.round((1 - fy) * (LEVELS - 1)), pad.cls]);
    paint();
    send();
  }};
  undo.onclick = () => {{
    if (pad.locked || !store.points.length) return;
    store.points.pop();
    say.textContent = "";
    paint();
    send();
  }};
  clear.onclick = () => {{
    if (pad.locked || !store.points.length) return;
    store.points.length = 0;
    say.textContent = "";
    paint();
    send();
  }};

  if (!pad.observer && window.ResizeObserver) {{
    pad.observer = new ResizeObserver(fit);
    try {{ pad.observer.observe(canvas, {{ box: "device-pixel-content-box" }}); }}
    catch {{ pad.observer.observe(canvas); }}
  }}
  fit();
  return () => {{ if (pad.observer) pad.observer.disconnect(); }};
}}
"""

_COMPONENT = st.components.v2.component("nnexplore_point_pad", html=HTML, css=CSS, js=JS)

CLASS_HELP = (
    "The class of the points your next clicks place. A network learns to tell the classes "
    f"apart; each has its colour, here and in the decision regions. Up to {own_points.MAX_CLASSES} "
    "classes."
)


def levels(points: Sequence[own_points.Point]) -> list[list[int]]:
    """The points as the pad draws them: [x level, y level, class], each level 0 to 255."""
    return [[own_points.level(x), own_points.level(y), int(c)] for x, y, c in points]


def read_sent(payload: object) -> tuple[int, str | None] | None:
    """(sequence number, points text or None when it cannot be read) of what a pad sent, or None
    when it is no message of a pad at all. Never raises: the browser sends it, so anything may come.
    """
    if not isinstance(payload, dict):
        return None
    seq = payload.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        return None
    text = payload.get("text")
    return seq, (text if own_points.fault(text) is None else None)


def apply_sent(
    state: MutableMapping[str, Any], payload: object, *, points_key: str, seq_key: str, locked: bool
) -> bool:
    """Take what a pad sent into ``state`` (the session state): True when the points changed.

    A message is applied once, in the order sent (a number not above the last one taken is
    dropped: the body sees the callback's message again, and a late message must not undo a
    later click). Its number is taken even when its text is not: the JS then shows the
    server's points again. The text is dropped when it is no points code, or when the link
    locks the points.
    """
    sent = read_sent(payload)
    if sent is None or sent[0] <= state.get(seq_key, 0):
        return False
    state[seq_key] = sent[0]
    if sent[1] is None or locked or state.get(points_key) == sent[1]:
        return False
    state[points_key] = sent[1]
    return True


def point_pad(key: str, points_key: str, *, locked: bool = False) -> str:
    """Show the class control and the pad for the points text in ``st.session_state[points_key]``
    (the ``points`` setting); return that text, with the learner's latest click in it.

    A click's text replaces the setting's before the script runs (the trigger's callback), so
    the rest of the page, the link included, sees it. ``locked``: a teacher's link fixes the
    points; the pad shows them and takes no click, and the server ignores any it is sent.
    ``key`` names the pad and must stay the same across reruns. Not inside ``st.form``.
    """
    seq_key, token_key = f"_nnexplore_point_pad_seq:{key}", f"_nnexplore_point_pad_token:{key}"
    token = st.session_state.setdefault(token_key, secrets.token_hex(4))

    def apply(payload: object) -> None:
        apply_sent(st.session_state, payload, points_key=points_key, seq_key=seq_key, locked=locked)

    def received() -> None:
        # Runs before the script when a click arrives, so it is kept even if this run is cut
        # short. Each message carries every point, so the latest of several queued wins.
        sent = st.session_state.get(key)
        if isinstance(sent, dict):
            apply(sent.get("points"))

    cls = st.segmented_control(
        "Class of the next point",
        options=list(range(own_points.MAX_CLASSES)),
        format_func=str,  # "0" to "3": the four fit on one row of the sidebar ("class 3" wrapped)
        default=0,
        required=True,
        key=f"{key}_class",
        help=CLASS_HELP,
        disabled=locked,
    )
    points, _ = own_points.parse(st.session_state.get(points_key, own_points.STARTER_TEXT))
    result = _COMPONENT(
        key=key,
        data={
            "id": key,
            "token": token,
            "seq": st.session_state.get(seq_key, 0),
            "points": levels(points),
            "cls": int(cls or 0),
            "locked": locked,
        },
        on_points_change=received,
    )
    apply(result.get("points"))  # a trigger the body sees (e.g. one replayed) is applied once
    return st.session_state.get(points_key, own_points.STARTER_TEXT)
