"""Stripe-style ``application/x-www-form-urlencoded`` bodies: encode and decode.

Stripe's official clients flatten a nested parameter tree into bracket paths::

    {"card": {"number": "4242", "exp_month": "12"}, "expand": ["card"]}
    card[number]=4242&card[exp_month]=12&expand[0]=card

(on the wire the brackets are percent-encoded as ``%5B``/``%5D``). This one module is
shared by the schemathesis serializer, the reference server and the fixture dump, so
the bytes a generator means are the bytes a checker reads. Standard library only.

Encoding rules: nested mappings become ``key[sub]``; lists and tuples become
``key[0]``, ``key[1]``, ...; ``True``/``False`` become ``true``/``false``; ``None``
and an empty mapping or list become the empty string (Stripe's "unset"); ``int`` and
``float`` go through ``str()``. Insertion order is kept.

Decoding rules: bracket paths rebuild nested dicts; ``key[]=x`` appends to a list;
a hash whose keys are exactly ``"0"`` .. ``"n-1"`` (in any order of appearance)
becomes a list placed by index. That last rule is an ambiguity of the wire format:
a genuine hash with keys ``"0"`` and ``"1"`` also decodes as a list; a caller that
knows the parameter tree (the reference server) can turn it back. Values are always
``str`` -- ``"true"`` stays a string, because ``1`` and ``"1"`` are the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, unquote_plus

__all__ = [
    "EncodingError",
    "as_requests_data",
    "decode",
    "decode_pairs",
    "encode",
    "encode_loose",
    "encode_pairs",
    "flatten_paths",
    "wire_tree",
]

# Keys (never values) up to this length are memoized when quoting, unquoting and
# splitting: real traffic repeats a few hundred bracket paths, while a fuzzer's
# one-off huge keys must not pin memory in the caches.
_CACHED_KEY_LEN = 256


class EncodingError(ValueError):
    """Malformed form body or key. ``.param`` holds the offending key (str) or None."""

    param: str | None

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


# --------------------------------------------------------------------------- encoding


def _check_key(key: object, prefix: str) -> str:
    """Return ``key`` if it can stand in a bracket path, else raise EncodingError."""
    if type(key) is not str:
        if isinstance(key, str):
            # A str subclass (e.g. a str-valued Enum) is keyed by its string content;
            # its own __str__/__format__ may print something else.
            key = str.__str__(key)
            return _check_key(key, prefix)
        # Why strict: an int key would encode exactly like a list index, so accepting
        # it would silently change the shape the caller meant.
        where = f" under {prefix!r}" if prefix else ""
        raise EncodingError(
            f"parameter key {key!r}{where} must be a str, not {type(key).__name__}",
            prefix or None,
        )
    if not key or "[" in key or "]" in key:
        # An empty key would read back as ``x[]`` (append) or ``=v`` (malformed), and
        # brackets inside a key cannot be told apart from nesting on the wire.
        path = f"{prefix}[{key}]" if prefix else key
        raise EncodingError(
            f"parameter key {key!r} cannot be form-encoded "
            "(keys must be non-empty and contain no '[' or ']')",
            path or None,
        )
    return key


def _flatten(value: Any, prefix: str, out: list[tuple[str, Any]], stringify: bool) -> None:
    """Append ``(bracket path, leaf)`` for every leaf under ``value`` to ``out``."""
    # Exact type checks first: they are the common case and much cheaper than the
    # isinstance(..., Mapping) ABC check, which only the rare exotic value reaches.
    tp = type(value)
    if tp is str:
        out.append((prefix, value))
    elif tp is dict:
        _flatten_mapping(value, prefix, out, stringify)
    elif tp is list or tp is tuple:
        if not value:
            out.append((prefix, "" if stringify else value))
            return
        for index, sub in enumerate(value):
            _flatten(sub, f"{prefix}[{index}]", out, stringify)
    elif isinstance(value, Mapping):
        _flatten_mapping(value, prefix, out, stringify)
    elif not stringify:
        out.append((prefix, value))
    elif tp is bool:
        out.append((prefix, "true" if value else "false"))
    elif value is None:
        out.append((prefix, ""))
    elif isinstance(value, (int, float)):
        out.append((prefix, str(value)))
    elif isinstance(value, str):
        # A str subclass (e.g. a str-valued Enum) travels as its string content, not
        # as its repr-like __str__.
        out.append((prefix, str.__str__(value)))
    else:
        raise EncodingError(f"cannot form-encode a {tp.__name__} at {prefix!r}", prefix)


def _flatten_mapping(
    value: Mapping[Any, Any], prefix: str, out: list[tuple[str, Any]], stringify: bool
) -> None:
    """Flatten a nested mapping; an empty one is a leaf (Stripe's "unset")."""
    if not value:
        out.append((prefix, "" if stringify else value))
        return
    for key, sub in value.items():
        _flatten(sub, f"{prefix}[{_check_key(key, prefix)}]", out, stringify)


def _walk(params: Mapping[str, Any], stringify: bool) -> list[tuple[str, Any]]:
    """Flatten a top-level mapping (whose keys carry no brackets) into leaf pairs."""
    if not isinstance(params, Mapping):
        raise EncodingError(f"form parameters must be a mapping, not {type(params).__name__}", None)
    out: list[tuple[str, Any]] = []
    for key, value in params.items():
        _flatten(value, _check_key(key, ""), out, stringify)
    return out


def encode_pairs(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flatten ``params`` into ``(bracket path, string value)`` pairs, in order.

    >>> encode_pairs({"card": {"number": "4242"}, "expand": ["card"], "flag": True})
    [('card[number]', '4242'), ('expand[0]', 'card'), ('flag', 'true')]

    Raises EncodingError for a key that is not a non-empty str free of ``[``/``]``
    and for a value that is not a mapping, list, tuple, str, bool, None, int or float.
    """
    return _walk(params, True)


def as_requests_data(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``params`` as the ``data=`` of :func:`requests.post`, sent exactly as :func:`encode`.

    Handing ``requests`` the nested dict itself goes wrong silently: it form-encodes only
    the top level, so ``{"card": {"number": "4242", "exp_month": "12"}}`` leaves as
    ``card=number&card=exp_month``. The ``(bracket path, string)`` pairs of
    :func:`encode_pairs` are what it needs:

    >>> as_requests_data({"card": {"number": "4242", "exp_month": 12}})
    [('card[number]', '4242'), ('card[exp_month]', '12')]

    (An empty ``params`` gives no pairs, and ``requests`` then sends an empty body.) Clients
    whose ``data=`` takes only a mapping (httpx, Flask's test client) should send
    ``encode(params)`` as the body with ``Content-Type: application/x-www-form-urlencoded``.
    """
    return _walk(params, True)


def flatten_paths(params: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Like :func:`encode_pairs`, but keep each leaf's Python value (not stringified).

    Used to name parameters in errors: ``[("card[number]", 4242), ...]``. An empty
    mapping or list is itself reported as the leaf, where encoding would send ``""``.
    Keys are checked as for encoding; leaf values of any type are passed through.
    """
    return _walk(params, False)


# Why cache: quoting a key costs about as much as the rest of encoding a pair.
_quote_key_cached = lru_cache(maxsize=4096)(quote_plus)


def _quote(text: str, cache: bool) -> str:
    """``quote_plus`` with fast paths; byte-identical to it."""
    # [A-Za-z0-9]* is never changed by quote_plus, and card numbers, dates and codes
    # are mostly that; the str methods run in C, far cheaper than quote_plus.
    if text.isascii() and text.isalnum():
        return text
    if cache and len(text) <= _CACHED_KEY_LEN:
        return _quote_key_cached(text)
    return quote_plus(text)


def encode(params: Mapping[str, Any]) -> str:
    """Return the urlencoded body for ``params``, byte-identical to ``urlencode(encode_pairs())``.

    >>> encode({"card": {"number": "4242"}, "expand": ["card"]})
    'card%5Bnumber%5D=4242&expand%5B0%5D=card'
    """
    pairs = _walk(params, True)
    try:
        return "&".join([f"{_quote(k, True)}={_quote(v, False)}" for k, v in pairs])
    except UnicodeEncodeError:
        # Only lone surrogates get here; find the culprit for the message (slow path).
        for key, value in pairs:
            try:
                key.encode()
                value.encode()
            except UnicodeEncodeError:
                raise EncodingError(f"parameter {key!r} is not encodable as UTF-8", key) from None
        raise  # pragma: no cover - unreachable: some pair must have failed


# --------------------------------------------------------------------------- decoding


def _split_key(key: str, max_depth: int) -> tuple[str, ...]:
    """Split ``a[b][c]`` into ``("a", "b", "c")``; ``""`` marks a trailing ``[]``."""
    parts = key.split("[")
    base = parts[0]
    if not base:
        if len(parts) == 1:
            raise EncodingError("empty parameter name", key)
        raise EncodingError(f"malformed parameter {key!r}: empty name before '['", key)
    if "]" in base:
        raise EncodingError(f"malformed parameter {key!r}: unbalanced ']'", key)
    if len(parts) == 1:
        return (base,)
    if len(parts) - 1 > max_depth:
        raise EncodingError(f"parameter {key!r} is nested deeper than {max_depth} levels", key)
    last = len(parts) - 1
    for i in range(1, len(parts)):
        part = parts[i]
        close = part.find("]")
        if close < 0:
            raise EncodingError(f"malformed parameter {key!r}: unbalanced '['", key)
        if close != len(part) - 1:
            if "]" in part[close + 1 :]:
                raise EncodingError(f"malformed parameter {key!r}: unbalanced ']'", key)
            raise EncodingError(f"malformed parameter {key!r}: text after ']'", key)
        segment = part[:-1]
        if not segment and i != last:
            raise EncodingError(
                f"malformed parameter {key!r}: '[]' is only allowed at the end", key
            )
        parts[i] = segment
    return tuple(parts)


# Why cache: a server sees the same few hundred bracket paths over and over.
_split_key_cached = lru_cache(maxsize=4096)(_split_key)


def _key_path(key: str, max_depth: int) -> tuple[str, ...]:
    """:func:`_split_key`, memoized for keys of ordinary length."""
    if len(key) <= _CACHED_KEY_LEN:
        return _split_key_cached(key, max_depth)
    return _split_key(key, max_depth)


def _display(path: tuple[str, ...], upto: int) -> str:
    """Render ``path[:upto]`` back as a bracket path for messages."""
    return path[0] + "".join(f"[{s}]" for s in path[1:upto])


_MISSING = object()


def _insert(root: dict[str, Any], path: tuple[str, ...], value: str, key: str) -> None:
    """Place ``value`` at ``path`` inside ``root``, raising on shape conflicts."""
    node = root
    append = not path[-1]
    # For ``a[b][]`` the list lives at ``a[b]``; for ``a[b][c]`` the scalar at ``c``.
    stop = len(path) - 2 if append else len(path) - 1
    for depth in range(stop):
        segment = path[depth]
        child = node.get(segment, _MISSING)
        if child is _MISSING:
            child = node[segment] = {}
        elif type(child) is not dict:
            kind = "a list" if type(child) is list else "a scalar"
            raise EncodingError(
                f"conflicting parameter {key!r}: {_display(path, depth + 1)!r} "
                f"is both {kind} and a hash",
                key,
            )
        node = child
    segment = path[stop]
    existing = node.get(segment, _MISSING)
    if append:
        if existing is _MISSING:
            node[segment] = [value]
        elif type(existing) is list:
            existing.append(value)
        else:
            kind = "a hash" if type(existing) is dict else "a scalar"
            raise EncodingError(
                f"conflicting parameter {key!r}: {_display(path, stop + 1)!r} "
                f"is both {kind} and a list",
                key,
            )
    elif existing is _MISSING:
        node[segment] = value
    elif type(existing) is str:
        raise EncodingError(f"parameter {key!r} is given more than once", key)
    else:
        kind = "a hash" if type(existing) is dict else "a list"
        raise EncodingError(
            f"conflicting parameter {key!r}: {key!r} is both {kind} and a scalar", key
        )


def _listify(node: dict[str, Any]) -> Any:
    """Turn every nested hash keyed exactly ``"0"``..``"n-1"`` into a list, bottom-up."""
    for k, v in node.items():
        if type(v) is dict:
            node[k] = _listify(v)
    # Why the "0" probe: it rejects almost every real hash before the full check.
    if "0" in node:
        n = len(node)
        for i in range(n):
            if str(i) not in node:
                return node
        return [node[str(i)] for i in range(n)]
    return node


def decode_pairs(pairs: Iterable[tuple[str, str]], *, max_depth: int = 16) -> dict[str, Any]:
    """Rebuild the nested parameter tree from already-unquoted ``(key, value)`` pairs.

    ``max_depth`` is the largest number of bracket groups a key may have (``a[b]``
    has one). Malformed keys and shape conflicts (``a=1&a[b]=2``, ``a[]=1&a[b]=2``,
    ``a=1&a=2``) raise EncodingError with ``.param`` set to the offending key. See
    the module docstring for the numeric-key ambiguity.
    """
    return _build([(key, _key_path(key, max_depth), value) for key, value in pairs])


def _build(items: list[tuple[str, tuple[str, ...], str]]) -> dict[str, Any]:
    """Assemble ``(key, path, value)`` triples into the decoded tree."""
    root: dict[str, Any] = {}
    for key, path, value in items:
        if len(path) == 1:
            # Flat keys are the bulk of real traffic at the top level; skip _insert.
            existing = root.get(key, _MISSING)
            if existing is _MISSING:
                root[key] = value
                continue
        _insert(root, path, value, key)
    for k, v in root.items():
        if type(v) is dict:
            root[k] = _listify(v)
    return root


def _unquote(text: str, key: str | None) -> str:
    """Percent-decode one key (``key`` None) or the value of ``key``, strictly as UTF-8."""
    if "%" not in text:
        return text.replace("+", " ")
    try:
        return unquote_plus(text, errors="strict")
    except UnicodeDecodeError:
        if key is None:
            raise EncodingError(
                f"parameter name {text!r} is not valid UTF-8 once percent-decoded", text
            ) from None
        raise EncodingError(
            f"value of {key!r} is not valid UTF-8 once percent-decoded", key
        ) from None


def decode(body: str | bytes, *, max_depth: int = 16, max_pairs: int = 5000) -> dict[str, Any]:
    """Decode a form body into a nested dict of strings (and lists of them).

    Brackets may arrive raw or as ``%5B``/``%5D``; ``+`` is a space. Empty segments
    (``a=1&&b=2``, a trailing ``&``) are skipped and a segment without ``=`` has the
    empty value, as in ``urllib.parse.parse_qsl(..., keep_blank_values=True)``.

    Raises EncodingError for bytes that are not UTF-8, for more than ``max_pairs``
    pairs, and for everything :func:`decode_pairs` rejects.
    """
    if isinstance(body, (bytes, bytearray, memoryview)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise EncodingError("request body is not valid UTF-8", None) from None
    if not body:
        return {}
    segments = body.split("&")
    if len(segments) > max_pairs:
        # Count only real pairs, but only when the cheap bound says we might be over.
        count = sum(1 for s in segments if s)
        if count > max_pairs:
            raise EncodingError(
                f"request body has {count} parameters, more than the limit of {max_pairs}",
                None,
            )
    items = []
    for segment in segments:
        if not segment:
            continue
        raw_key, _, raw_value = segment.partition("=")
        if len(raw_key) <= _CACHED_KEY_LEN:
            key, path = _raw_key_cached(raw_key, max_depth)
        else:
            key, path = _raw_key(raw_key, max_depth)
        items.append((key, path, _unquote(raw_value, key)))
    return _build(items)


def _raw_key(raw_key: str, max_depth: int) -> tuple[str, tuple[str, ...]]:
    """Unquote a wire key and split it into its bracket path."""
    key = _unquote(raw_key, None)
    return key, _split_key(key, max_depth)


_raw_key_cached = lru_cache(maxsize=4096)(_raw_key)


# The loose encoder (fuzz bodies) and the decoded tree of a plain value live next door; they
# are part of this module's public surface.
from ._encoding_loose import encode_loose, wire_tree  # noqa: E402
