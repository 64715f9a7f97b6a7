"""Fast, strict JSON Schema format checks for CycloneDX validation (RFC 3987 IRIs).

Why this exists: ``jsonschema`` checks the ``iri``/``iri-reference`` formats with
``rfc3987-syntax``, a lark Earley parser that takes ~30 ms per string and ~1 s just to build
its grammar at import, so validating one SBOM took ~10 s (``cyclonedx-py environment``). The
CycloneDX 1.6 schema uses ``iri-reference`` for every URL, so the check must stay (a
malformed reference is an invalid SBOM); here it is one compiled regular expression built
from the RFC 3987 ABNF (section 2.2), plus ``ipaddress`` for IPv6 literals. It accepts
exactly the ABNF's language: tests compare it with ``rfc3987-syntax`` on valid and
invalid samples.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import sys
from types import ModuleType
from typing import Any

# --- RFC 3987 section 2.2 ABNF, transcribed ---------------------------------------------
_UCSCHAR = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
    "\U00010000-\U0001fffd\U00020000-\U0002fffd\U00030000-\U0003fffd"
    "\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    "\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd"
    "\U000a0000-\U000afffd\U000b0000-\U000bfffd\U000c0000-\U000cfffd"
    "\U000d0000-\U000dfffd\U000e1000-\U000efffd"
)
_IPRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_IUNRESERVED = "A-Za-z0-9\\-._~" + _UCSCHAR
_SUB_DELIMS = "!$&'()*+,;="
_PCT = "%[0-9A-Fa-f]{2}"

_IPCHAR = f"(?:[{_IUNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_ISEGMENT = f"{_IPCHAR}*"
_ISEGMENT_NZ = f"{_IPCHAR}+"
_ISEGMENT_NZ_NC = f"(?:[{_IUNRESERVED}{_SUB_DELIMS}@]|{_PCT})+"
_IQUERY = f"(?:{_IPCHAR}|[{_IPRIVATE}/?])*"
_IFRAGMENT = f"(?:{_IPCHAR}|[/?])*"
_SCHEME = "[A-Za-z][A-Za-z0-9+\\-.]*"
_IUSERINFO = f"(?:[{_IUNRESERVED}{_SUB_DELIMS}:]|{_PCT})*"
_IREG_NAME = f"(?:[{_IUNRESERVED}{_SUB_DELIMS}]|{_PCT})*"
# IP-literal: "[" ( IPv6address / IPvFuture ) "]"; IPv6 checked by ipaddress afterwards
_IP_LITERAL = "\\[(?P<ipv6>[0-9A-Fa-f:.]+)\\]|\\[v[0-9A-Fa-f]+\\.[A-Za-z0-9\\-._~!$&'()*+,;=:]+\\]"
_IHOST = f"(?:{_IP_LITERAL}|{_IREG_NAME})"  # IPv4address is a subset of ireg-name
_IAUTHORITY = f"(?:{_IUSERINFO}@)?{_IHOST}(?::[0-9]*)?"
_IPATH_ABEMPTY = f"(?:/{_ISEGMENT})*"
_IPATH_ABSOLUTE = f"/(?:{_ISEGMENT_NZ}(?:/{_ISEGMENT})*)?"
_IPATH_NOSCHEME = f"{_ISEGMENT_NZ_NC}(?:/{_ISEGMENT})*"
_IPATH_ROOTLESS = f"{_ISEGMENT_NZ}(?:/{_ISEGMENT})*"

_IHIER_PART = f"(?://{_IAUTHORITY}{_IPATH_ABEMPTY}|{_IPATH_ABSOLUTE}|{_IPATH_ROOTLESS}|)"
_IRELATIVE_PART = f"(?://{_IAUTHORITY}{_IPATH_ABEMPTY}|{_IPATH_ABSOLUTE}|{_IPATH_NOSCHEME}|)"
_TAIL = f"(?:\\?{_IQUERY})?(?:#{_IFRAGMENT})?"

IRI_PATTERN = f"{_SCHEME}:{_IHIER_PART}{_TAIL}"
IRELATIVE_REF_PATTERN = f"{_IRELATIVE_PART}{_TAIL}"


@functools.lru_cache(maxsize=2)
def _compiled(pattern: str) -> re.Pattern[str]:
    """Compiled on first use (the character classes take ~40 ms to compile)."""
    return re.compile(pattern)


def _ipv6_ok(m: re.Match[str]) -> bool:
    literal = m.groupdict().get("ipv6")
    if literal is None:
        return True
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return True


def _ipv6_literals_ok(text: str) -> bool:
    # the only place brackets are legal is the authority's IP-literal
    for lit in re.findall(r"\[([^\]]*)\]", text):
        if lit.startswith("v"):
            continue
        try:
            ipaddress.IPv6Address(lit)
        except ValueError:
            return False
    return True


def is_iri(text: str) -> bool:
    """RFC 3987 ``IRI`` (absolute, with scheme)."""
    m = _compiled(IRI_PATTERN).fullmatch(text)
    return m is not None and _ipv6_ok(m) and _ipv6_literals_ok(text)


def is_iri_reference(text: str) -> bool:
    """RFC 3987 ``IRI-reference`` = ``IRI`` / ``irelative-ref``."""
    if is_iri(text):
        return True
    m = _compiled(IRELATIVE_REF_PATTERN).fullmatch(text)
    return m is not None and _ipv6_ok(m) and _ipv6_literals_ok(text)


def import_jsonschema() -> ModuleType:
    """Import ``jsonschema`` without building rfc3987-syntax's lark grammar (~1 s at import).

    Only effective when nothing imported ``jsonschema`` before; harmless otherwise. The
    ``iri`` formats are then checked by :func:`format_checker` instead.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # import raises ImportError
        try:
            import jsonschema
        finally:
            del sys.modules["rfc3987_syntax"]
        return jsonschema
    import jsonschema

    return jsonschema


def format_checker() -> Any:
    """A Draft 7 format checker with every stock check plus the fast IRI checks above."""
    jsonschema = import_jsonschema()
    base = jsonschema.Draft7Validator.FORMAT_CHECKER
    fc = jsonschema.FormatChecker(formats=())
    fc.checkers = dict(base.checkers)
    fc.checkers["iri"] = (lambda x: not isinstance(x, str) or is_iri(x), ())
    fc.checkers["iri-reference"] = (lambda x: not isinstance(x, str) or is_iri_reference(x), ())
    return fc
