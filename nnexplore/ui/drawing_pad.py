"""A drawing pad: a learner draws a digit with a mouse, a finger or a pen, and the server gets it.

The pad is a square canvas about 280 CSS px wide (its backing store scaled by the
screen's devicePixelRatio, so strokes are sharp), white ink on black as in MNIST,
and a Clear button. Input comes through Pointer Events, so mouse, touch and pen
draw alike; the canvas takes ``touch-action: none`` so a finger draws instead of
scrolling the page.

What travels: on pen up (pointerup or pointercancel) the browser renders the
strokes at 112×112 and sends that grayscale ink once, as the base64 text of its
12,544 bytes (16,728 characters), through a trigger value; Clear sends "". A
trigger is sent once and then forgotten by the browser, so the drawing does not
ride along with every later rerun the way a state value would. The server keeps
the decoded array in session state: ``drawing_pad`` returns the latest drawing on
every rerun until the learner draws again or clears.

The drawing stays on the canvas across reruns: Streamlit keeps the component's
DOM while its key is unchanged (in Streamlit 1.67 the HTML is built again only
when the HTML or CSS strings change, and the JS function is called again only
when ``data`` changes, on the same DOM, without the previous call's cleanup; so
the JS sets its handlers with ``on…=`` and keeps its own state on the canvas),
and the strokes (in pad coordinates, 0..1) are
kept in the tab (``window.__nnexploreDrawingPad``, one entry per key), so a pad
that is mounted anew repaints them, at whatever size and pixel ratio it then has.

A Streamlit custom component v2, inline: HTML, CSS and JS strings, no build
step, nothing fetched. Triggers are ignored inside ``st.form`` (Streamlit's rule),
so the pad must not be put in a form.
"""

from __future__ import annotations

import base64
import binascii

import numpy as np
import streamlit as st

#: The side of the ink the browser sends: 4 × MNIST's 28, so nnexplore.drawing can centre the
#: digit by its mass and scale it the way MNIST's digits were (20 px box in 28) without
#: working from pixels already as coarse as the model's.
INK_SIZE = 112
#: Bytes of one drawing: one byte of ink (0 = paper, 255 = full ink) per pixel.
INK_BYTES = INK_SIZE * INK_SIZE
#: Characters of its base64 text: 4 per 3 bytes, the last group padded (12,544 bytes → 16,728).
INK_B64_CHARS = 4 * -(-INK_BYTES // 3)
#: The pad's width on the page in CSS px: 10 × MNIST's 28, big enough to draw with a finger.
PAD_CSS_PX = 280
#: The pen's width as a share of the pad's: MNIST's strokes are about 2 px in 28 (1/14).
PEN_SHARE = 1 / 14

HTML = f"""
<div class="nnx-pad">
  <div class="nnx-pad-frame">
    <canvas class="nnx-pad-canvas" width="{PAD_CSS_PX}" height="{PAD_CSS_PX}" role="img"
      aria-label="Drawing pad: draw a digit with the mouse, a finger or a pen"></canvas>
    <div class="nnx-pad-hint" aria-hidden="true">Draw a digit here</div>
  </div>
  <button type="button" class="nnx-pad-clear" title="Wipe the pad to draw again">Clear</button>
</div>
"""

# Scoped to the component's shadow root (isolate_styles=True): nothing here reaches the page.
# Theme colours come from Streamlit's --st-* custom properties, with fallbacks.
CSS = f"""
.nnx-pad {{ display: flex; flex-direction: column; align-items: flex-start; gap: 0.5rem;
  font-family: var(--st-font, sans-serif); }}
.nnx-pad-frame {{ position: relative; box-sizing: content-box;
  width: min({PAD_CSS_PX}px, calc(100% - 4px)); aspect-ratio: 1; border: 2px solid var(--st-gray-color, #808495);
  border-radius: 0.5rem; overflow: hidden; background: #000; background-clip: padding-box; }}
.nnx-pad-canvas {{ display: block; width: 100%; height: 100%; touch-action: none;
  cursor: crosshair; }}
.nnx-pad-hint {{ position: absolute; inset: 0; display: flex; align-items: center;
  justify-content: center; color: rgba(255, 255, 255, 0.6); font-size: 1.1rem;
  pointer-events: none; user-select: none; }}
.nnx-pad-hint[hidden] {{ display: none; }}
.nnx-pad-clear {{ min-width: 4.5rem; padding: 0.25rem 0.75rem; font: inherit; cursor: pointer;
  border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.3));
  border-radius: var(--st-button-radius, 0.5rem);
  background: var(--st-background-color, white); color: var(--st-text-color, inherit); }}
.nnx-pad-clear:disabled {{ cursor: default; opacity: 0.5; }}
.nnx-pad-clear:focus-visible {{ outline: 2px solid var(--st-primary-color, #0072B2);
  outline-offset: 2px; }}
"""

JS = f"""
const SIZE = {INK_SIZE}, PEN = {PEN_SHARE!r};

// One stroke (points in pad coordinates 0..1) on a context whose canvas is w px square.
function drawStroke(ctx, points, w) {{
  if (points.length === 1) {{
    ctx.beginPath();
    ctx.arc(points[0][0] * w, points[0][1] * w, (w * PEN) / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }}
  ctx.beginPath();
  ctx.moveTo(points[0][0] * w, points[0][1] * w);
  for (const [x, y] of points.slice(1)) ctx.lineTo(x * w, y * w);
  ctx.stroke();
}}

function pen(ctx, w) {{
  ctx.lineWidth = w * PEN;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = ctx.fillStyle = "#fff";
}}

// The strokes drawn anew at SIZE×SIZE on a transparent canvas: its alpha is the ink, 0..255.
function inkBase64(strokes) {{
  const small = document.createElement("canvas");
  small.width = small.height = SIZE;
  const ctx = small.getContext("2d", {{ willReadFrequently: true }});
  pen(ctx, SIZE);
  strokes.forEach((s) => drawStroke(ctx, s, SIZE));
  const rgba = ctx.getImageData(0, 0, SIZE, SIZE).data;
  const ink = new Uint8Array(SIZE * SIZE);
  for (let i = 0; i < ink.length; i += 1) ink[i] = rgba[4 * i + 3];
  let text = "";
  for (let i = 0; i < ink.length; i += 4096) text += String.fromCharCode.apply(null, ink.subarray(i, i + 4096));
  return btoa(text);
}}

export default function (component) {{
  const {{ data, parentElement, setTriggerValue }} = component;
  const canvas = parentElement.querySelector(".nnx-pad-canvas");
  const hint = parentElement.querySelector(".nnx-pad-hint");
  const clear = parentElement.querySelector(".nnx-pad-clear");
  const id = String(data && data.id);
  const inked = Boolean(data && data.inked);
  // The strokes live in the tab, one entry per pad, so a pad mounted anew repaints them;
  // pad: this canvas's own state, made on its first call (later calls come when data changes).
  const all = (window.__nnexploreDrawingPad ||= {{}});
  let pad = canvas.__nnxPad;
  if (!pad) {{
    const kept = all[id];
    // The server holds no drawing: what the tab kept is stale (the learner cleared, or the
    // session is new). The server holds one the tab lost: tell it the pad is empty.
    if (!inked || !kept || !kept.strokes.length) all[id] = {{ strokes: [] }};
    if (inked && (!kept || !kept.strokes.length)) setTriggerValue("ink", "");
    pad = canvas.__nnxPad = {{ store: all[id], pointer: null, observer: null }};
  }}
  const store = pad.store;
  const ctx = canvas.getContext("2d");

  const show = () => {{
    hint.hidden = store.strokes.length > 0;
    clear.disabled = store.strokes.length === 0;
  }};
  const paint = () => {{
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    pen(ctx, canvas.width);
    store.strokes.forEach((s) => drawStroke(ctx, s, canvas.width));
    show();
  }};
  // The backing store follows the pad's size on screen times devicePixelRatio (sharp ink).
  const fit = () => {{
    const px = Math.max(1, Math.round(canvas.clientWidth * (window.devicePixelRatio || 1)));
    if (canvas.width !== px || canvas.height !== px) {{ canvas.width = canvas.height = px; }}
    paint();
  }};
  const at = (e) => {{
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height];
  }};
  const send = () => setTriggerValue("ink", store.strokes.length ? inkBase64(store.strokes) : "");

  canvas.onpointerdown = (e) => {{
    if (pad.pointer !== null || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    pad.pointer = e.pointerId;
    const stroke = [at(e)];
    store.strokes.push(stroke);
    pen(ctx, canvas.width);
    drawStroke(ctx, stroke, canvas.width);
    show();
  }};
  canvas.onpointermove = (e) => {{
    if (e.pointerId !== pad.pointer) return;
    const stroke = store.strokes[store.strokes.length - 1];
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {{
      const last = stroke[stroke.length - 1];
      const next = at(ev);
      stroke.push(next);
      drawStroke(ctx, [last, next], canvas.width);
    }}
  }};
  const up = (e) => {{
    if (e.pointerId !== pad.pointer) return;
    pad.pointer = null;
    send();
  }};
  canvas.onpointerup = up;
  canvas.onpointercancel = up;
  canvas.onlostpointercapture = up;  // a pen up the canvas never heard of ends the stroke too
  clear.onclick = () => {{
    const had = store.strokes.length > 0;
    store.strokes.length = 0;
    pad.pointer = null;
    paint();
    if (had) send();
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

_COMPONENT = st.components.v2.component("nnexplore_drawing_pad", html=HTML, css=CSS, js=JS)


def decode_ink(value: object) -> np.ndarray | None:
    """The ink a pad sent, as an ``INK_SIZE``×``INK_SIZE`` float32 array in [0, 1] (read-only);
    None for an empty pad or anything that is not a drawing.

    The value comes from a browser, so it is checked, never trusted: it must be a str of exactly
    ``INK_B64_CHARS`` characters of strict base64 that decode to ``INK_BYTES`` bytes; anything
    else (another type, another length, characters outside the base64 alphabet) gives None and
    raises nothing. A drawing with no ink at all is None too: the learner cleared the pad.
    """
    # The length is checked first, so junk of any size is rejected without decoding it.
    if not isinstance(value, str) or len(value) != INK_B64_CHARS:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):  # ValueError: characters outside ASCII
        return None
    if len(raw) != INK_BYTES:
        return None
    ink = np.frombuffer(raw, dtype=np.uint8).reshape(INK_SIZE, INK_SIZE).astype(np.float32) / 255.0
    if not ink.any():
        return None
    ink.setflags(write=False)  # one array is returned on every rerun: no caller may change it
    return ink


def _ink_key(key: str) -> str:
    """Where the session keeps the pad's latest drawing (the pad's own key holds its widget)."""
    return f"_nnexplore_drawing_pad_ink:{key}"


def drawing_pad(key: str) -> np.ndarray | None:
    """Show the drawing pad; return the latest drawing as ``INK_SIZE``×``INK_SIZE`` ink in [0, 1]
    (0 = paper; float32, read-only), or None while the pad is empty or after Clear.

    The drawing is the one sent at the last pen up; it is returned on every rerun until the
    learner draws again or clears, so changing another widget keeps it. ``key`` names the pad
    (one pad per key on a page) and must stay the same across reruns. Not inside ``st.form``:
    Streamlit ignores a component's triggers there.
    """
    store = _ink_key(key)

    def received() -> None:
        # Runs before the script when a drawing arrives, so it is kept even if this run is
        # cut short or does not reach the pad. The latest of several queued drawings wins.
        sent = st.session_state.get(key)
        if isinstance(sent, dict) and "ink" in sent:
            st.session_state[store] = decode_ink(sent["ink"])

    ink = st.session_state.get(store)
    result = _COMPONENT(
        key=key,
        data={"id": key, "inked": ink is not None},
        on_ink_change=received,
    )
    if result.get("ink") is not None:  # a trigger seen by the body (e.g. one replayed) is the newest
        ink = st.session_state[store] = decode_ink(result["ink"])
    return ink if isinstance(ink, np.ndarray) else None
