"""Token heatmaps: a self-contained HTML page, and rich text for the terminal.

Every piece of user text goes through jinja2's autoescape; the page has no script."""

from __future__ import annotations

from typing import Sequence

from jinja2 import Environment
from rich.text import Text

from intuitions.experiments.density.core import TextDensity

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Token surprisal: {{ model }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;line-height:2.1}
.t{white-space:pre-wrap;border-radius:3px;padding:1px 0}
.t:hover{outline:1px solid #333}
.legend span{display:inline-block;width:2.2rem;text-align:center;font-size:.8rem}
table{border-collapse:collapse;font-size:.9rem}td,th{padding:2px 8px;border-bottom:1px solid #ddd}
</style></head><body>
<h1>Token surprisal</h1>
<p>Model <code>{{ model }}</code> (fingerprint <code>{{ fingerprint }}</code>). Colour = surprisal
in bits (-log<sub>2</sub> p of the token given everything before it); hover a token for its numbers.</p>
<p class="legend">{% for b, c in legend %}<span style="background:{{ c }}">{{ b }}</span>{% endfor %} bits</p>
{% for t in texts %}
<h2>Text {{ loop.index }}</h2>
<p>{% for u in t.units -%}
<span class="t" style="background:{{ u.colour }}" title="{{ u.title }}">{{ u.text }}</span>{% endfor %}</p>
<table><tr><th>tokens scored</th><th>mean (nats)</th><th>median (nats)</th><th>top 10% share</th><th>bits/char</th></tr>
<tr><td>{{ t.s.n_tokens }}</td><td>{{ '%.3f'|format(t.s.mean_nats) }}</td><td>{{ '%.3f'|format(t.s.median_nats) }}</td>
<td>{{ '%.1f'|format(100 * t.s.top10_share) }}%</td><td>{{ '%.3f'|format(t.s.bits_per_char) }}</td></tr></table>
{% endfor %}
</body></html>
"""

LN2 = 0.6931471805599453


def colour(bits: float, vmax: float = 12.0) -> str:
    """White (free) to deep red (dense)."""
    x = max(0.0, min(1.0, bits / vmax))
    g = int(255 - 200 * x)
    return f"rgb(255,{g},{g})"


def html(model: str, fingerprint: str, texts: Sequence[TextDensity]) -> str:
    env = Environment(autoescape=True)
    view = []
    for t in texts:
        us = [
            {
                "text": u.text,
                "colour": colour(u.surprisal_nats / LN2),
                "title": f"{u.surprisal_nats / LN2:.2f} bits ({u.surprisal_nats:.3f} nats), tokens {list(u.tokens)}",
            }
            for u in t.units
        ]
        view.append({"units": us, "s": t.summary})
    legend = [(b, colour(b)) for b in (0, 2, 4, 6, 8, 10, 12)]
    return env.from_string(_PAGE).render(model=model, fingerprint=fingerprint, texts=view, legend=legend)


def terminal(t: TextDensity) -> Text:
    out = Text()
    for u in t.units:
        bits = u.surprisal_nats / LN2
        x = max(0.0, min(1.0, bits / 12))
        out.append(u.text, style=f"on rgb(255,{int(255 - 200 * x)},{int(255 - 200 * x)}) black")
    return out
