"""Alert coverage evidence: metric names used by PromQL, Grafana dashboards, runbooks.

ALERT asks three things of the rules a release ships, and this module gathers the facts (the
Rego decides):

* **metric names used** by an expression. promtool has no command that lists them, so
  :func:`metric_names` is a small PromQL tokenizer: it returns the identifiers that stand as
  metric names (and ``__name__="x"`` / Prometheus 3 ``{"x"}`` selectors), skipping string
  literals, label matchers, ``[range]`` brackets, function names, keywords, the label lists of
  ``by``/``without``/``on``/``ignoring``/``group_left``/``group_right``, numbers and durations,
  ``#`` comments and Grafana ``$variables``. A name is used only as a whole token:
  ``model_latency`` is not used by ``model_latency_seconds_bucket``.
* **Grafana dashboards**: every ``panels[*].targets[*].expr``, rows' nested ``panels`` and the
  pre-5 ``rows[*].panels`` included, in the dashboard model or an export that wraps it in
  ``{"dashboard": ...}``.
* **runbooks**: the ``runbook_url`` annotation (the Prometheus community's convention) or
  ``runbook``: a file in the project (project-relative, contained like every manifest path) or
  an http(s) URL, which ALERT accepts only under a prefix the organisation lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aigate.errors import InputError
from aigate.paths import resolve_inside

RUNBOOK_ANNOTATIONS = ("runbook_url", "runbook")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# monitoring.metrics keys whose metric may be a histogram/summary (used as _bucket/_sum/_count)
HISTOGRAM_KEYS = ("latency",)
USAGE_KEYS = ("invocations", "latency", "errors")
MAX_FOUND = 5
MAX_PANELS = 5000
MAX_DEPTH = 8

GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
KEYWORDS = GROUPING | frozenset({"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"})
MATCH_OPS = ("=~", "!~", "!=", "=")
QUOTES = "\"'`"


def _ident_start(c: str) -> bool:
    return c.isascii() and (c.isalpha() or c in "_:")


def _ident_char(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c in "_:")


def _read_string(s: str, i: int) -> tuple[str, int]:
    """The string literal starting at ``s[i]`` (a quote): its content and the index after it."""
    quote, i, out = s[i], i + 1, []
    while i < len(s):
        c = s[i]
        if c == "\\" and quote != "`" and i + 1 < len(s):
            out.append(s[i + 1])
            i += 2
            continue
        if c == quote:
            return "".join(out), i + 1
        out.append(c)
        i += 1
    return "".join(out), i  # unterminated: promtool reports it; here it just ends


def _read_ident(s: str, i: int) -> tuple[str, int]:
    j = i
    while j < len(s) and _ident_char(s[j]):
        j += 1
    return s[i:j], j


def _skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def _skip_group(s: str, i: int, open_: str, close: str) -> int:
    """Skip a bracketed group starting at ``s[i] == open_`` (strings inside are skipped whole)."""
    depth = 0
    while i < len(s):
        c = s[i]
        if c in QUOTES:
            _, i = _read_string(s, i)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _matchers(s: str, i: int, names: set[str]) -> int:
    """Read ``{...}`` at ``s[i]``; add ``__name__="x"`` and bare quoted names; return the index after."""
    i += 1
    while i < len(s):
        i = _skip_ws(s, i)
        if i >= len(s):
            break
        c = s[i]
        if c == "}":
            return i + 1
        if c == ",":
            i += 1
            continue
        if c in QUOTES:
            key, i = _read_string(s, i)
            quoted = True
        elif _ident_start(c):
            key, i = _read_ident(s, i)
            quoted = False
        else:
            i += 1  # a Grafana $variable or a stray character: not a name
            continue
        i = _skip_ws(s, i)
        op = next((o for o in MATCH_OPS if s.startswith(o, i)), None)
        if op is None:
            if quoted:
                names.add(key)  # Prometheus 3: {"metric.name", label="x"}
            continue
        i = _skip_ws(s, i + len(op))
        if i < len(s) and s[i] in QUOTES:
            value, i = _read_string(s, i)
            if key == "__name__" and op == "=":
                names.add(value)
    return i


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (see the module docstring for what is skipped)."""
    names: set[str] = set()
    s, i = expr, 0
    while i < len(s):
        c = s[i]
        if c in QUOTES:
            _, i = _read_string(s, i)
        elif c == "#":
            nl = s.find("\n", i)
            i = len(s) if nl < 0 else nl + 1
        elif c == "{":
            i = _matchers(s, i, names)
        elif c == "[":
            i = _skip_group(s, i, "[", "]")
        elif c == "$":
            i += 1
            if i < len(s) and s[i] == "{":
                i = _skip_group(s, i, "{", "}")
            else:
                _, i = _read_ident(s, i)
        elif c.isdigit() or (c == "." and i + 1 < len(s) and s[i + 1].isdigit()):
            while i < len(s) and (s[i].isalnum() or s[i] in "._"):
                i += 1  # numbers (1e3, 0x1f), durations (1h30m)
        elif _ident_start(c):
            word, i = _read_ident(s, i)
            after = _skip_ws(s, i)
            is_call = after < len(s) and s[after] == "("
            if not is_call and _ident_start(s[after : after + 1] or " "):
                # `sum by (le) (...)`: an aggregation operator before its grouping clause
                is_call = _read_ident(s, after)[0].lower() in ("by", "without")
            if word.lower() in GROUPING and is_call:
                i = _skip_group(s, after, "(", ")")  # a label list, not metric names
            elif is_call or word.lower() in KEYWORDS:
                pass  # a function name or an operator keyword
            else:
                names.add(word)
        else:
            i += 1
    return names


# --- Grafana dashboards ------------------------------------------------------------------------


def _walk_panels(panels: Any, depth: int) -> Iterator[dict[str, Any]]:
    if not isinstance(panels, list) or depth > MAX_DEPTH:
        return
    for panel in panels:
        if isinstance(panel, dict):
            yield panel
            yield from _walk_panels(panel.get("panels"), depth + 1)


def dashboard_queries(doc: Any) -> tuple[int, list[tuple[str, str]]]:
    """(panel count, [(panel title, expr)]) of a Grafana dashboard model or API export."""
    if isinstance(doc, dict) and "panels" not in doc and isinstance(doc.get("dashboard"), dict):
        doc = doc["dashboard"]
    if not isinstance(doc, dict):
        return 0, []
    panels: list[dict[str, Any]] = []
    for panel in _walk_panels(doc.get("panels"), 0):
        panels.append(panel)
        if len(panels) >= MAX_PANELS:
            break
    for row in doc.get("rows") or [] if isinstance(doc.get("rows"), list) else []:
        if isinstance(row, dict):
            panels.extend(_walk_panels(row.get("panels"), 1))
    queries: list[tuple[str, str]] = []
    for panel in panels[:MAX_PANELS]:
        title = panel.get("title") if isinstance(panel.get("title"), str) else f"panel {panel.get('id')}"
        for target in panel.get("targets") or [] if isinstance(panel.get("targets"), list) else []:
            if isinstance(target, dict) and isinstance(target.get("expr"), str) and target["expr"].strip():
                queries.append((str(title)[:200], target["expr"]))
    return len(panels), queries


# --- runbooks -----------------------------------------------------------------------------------


def _has_dot_segment(path: str) -> bool:
    from urllib.parse import unquote

    return any(seg in (".", "..") for seg in unquote(path).split("/"))


def runbook(root: Path, annotations: Any) -> dict[str, Any]:
    """The rule's runbook: which annotation, its value, and what it is (path/url/invalid/none).

    ``path``: project-relative (a ``#anchor`` or ``?query`` is dropped), contained like every
    manifest path, must be a non-empty file. ``url``: http(s) with a host and no credentials or
    dot segments; scheme and host are lower-cased for ALERT's prefix comparison."""
    ann = annotations if isinstance(annotations, dict) else {}
    key = next((k for k in RUNBOOK_ANNOTATIONS if isinstance(ann.get(k), str) and ann[k].strip()), None)
    out: dict[str, Any] = {"annotation": key, "value": None, "type": "none", "exists": None, "reason": None}
    if key is None:
        return out
    value = str(ann[key]).strip()
    out["value"] = value[:1024]

    def invalid(reason: str) -> dict[str, Any]:
        return {**out, "type": "invalid", "exists": False, "reason": reason}

    if any(ch.isspace() or ch == "\\" for ch in value) and "{{" not in value:
        return invalid("contains whitespace or a backslash")
    parts = urlsplit(value)
    if parts.scheme and len(parts.scheme) > 1:
        if parts.scheme.lower() not in ("http", "https"):
            return invalid(f"scheme {parts.scheme}: only http(s) URLs or files in the project")
        if not parts.hostname:
            return invalid("the URL names no host")
        if parts.username is not None or parts.password is not None:
            return invalid("the URL carries credentials (user@host)")
        if _has_dot_segment(parts.path):
            return invalid("the URL path has '.' or '..' segments")
        url = f"{parts.scheme.lower()}://{parts.netloc.lower()}{value[len(parts.scheme) + 3 + len(parts.netloc) :]}"
        return {**out, "type": "url", "url": url[:1024]}
    if value.startswith("//"):
        return invalid("a scheme-relative URL; write https://... or a project path")
    rel = value.split("#", 1)[0].split("?", 1)[0]
    if "{{" in rel:
        return invalid("a templated path cannot be checked; name the file")
    out["type"] = "path"
    out["path"] = rel[:1024]
    try:
        path = resolve_inside(root, rel, what="runbook")
    except InputError as exc:
        return {**out, "exists": False, "outside": True, "reason": exc.message}
    if not path.exists():
        return {**out, "exists": False, "reason": "no such file in the project"}
    if not path.is_file():
        return {**out, "exists": False, "reason": "not a regular file"}
    if path.stat().st_size == 0:
        return {**out, "exists": False, "reason": "the file is empty"}
    return {**out, "exists": True}


# --- usage metrics ------------------------------------------------------------------------------


def declared_metrics(metrics: Any) -> dict[str, str]:
    """monitoring.metrics names to look for (invocations, latency, errors; not the dashboard)."""
    if not isinstance(metrics, dict):
        return {}
    return {k: metrics[k] for k in USAGE_KEYS if isinstance(metrics.get(k), str) and metrics[k].strip()}


def usage(
    declared: dict[str, str],
    rules: list[dict[str, Any]],
    dashboards: list[tuple[str, list[tuple[str, str]]]],
) -> dict[str, dict[str, Any]]:
    """Where each declared metric is used: alert rules, recording rules feeding them, dashboards.

    ``rules`` are ``{"file", "name", "record": bool, "expr"}``. A recording rule counts when the
    series it records is used by an alert rule or a dashboard (transitively)."""
    places: list[tuple[dict[str, Any], set[str]]] = []
    records: list[tuple[dict[str, Any], str, set[str]]] = []
    live: set[str] = set()
    for r in rules:
        tokens = metric_names(r["expr"])
        if r["record"]:
            records.append(({"file": r["file"], "record": r["name"]}, r["name"], tokens))
        else:
            places.append(({"file": r["file"], "rule": r["name"]}, tokens))
            live |= tokens
    for file, queries in dashboards:
        for title, expr in queries:
            tokens = metric_names(expr)
            places.append(({"file": file, "panel": title}, tokens))
            live |= tokens
    pending = list(records)
    changed = True
    while changed:
        changed = False
        for item in list(pending):
            where, name, tokens = item
            if name in live:
                places.append((where, tokens))
                live |= tokens
                pending.remove(item)
                changed = True
    out: dict[str, dict[str, Any]] = {}
    for key, name in declared.items():
        wanted = [name, *(name + s for s in HISTOGRAM_SUFFIXES)] if key in HISTOGRAM_KEYS else [name]
        found = []
        for where, tokens in places:
            hit = next((w for w in wanted if w in tokens), None)
            if hit is not None:
                found.append({**where, "as": hit})
        out[key] = {"name": name, "found": found[:MAX_FOUND], "found_count": len(found)}
    return out
