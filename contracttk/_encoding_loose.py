"""The forgiving half of :mod:`contracttk.encoding`: fuzz bodies, and decoded trees without the wire.

* :func:`encode_loose` sends whatever a fuzzer produced (keys with brackets, odd leaf types,
  top-level lists or scalars) as close to :func:`~contracttk.encoding.encode` as it allows;
* :func:`wire_tree` gives ``decode(encode(value))`` for a plain tree without the round trip
  (the checker reads a generated request's parameters from it).

Imported and re-exported by :mod:`contracttk.encoding`; use the names from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

from .encoding import EncodingError, encode

__all__ = ["encode_loose", "wire_scalar", "wire_tree"]


def encode_loose(value: Any) -> bytes:
    """Form bytes for anything a fuzzer may produce, as close to :func:`encode` as it allows.

    Mappings :func:`encode` accepts give exactly its bytes. What it refuses (keys with
    brackets, odd leaf types) and top-level lists or scalars are flattened permissively, so
    a fuzzer's oddities still reach the server unchanged; ``bytes``/``str`` pass through.
    """
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, Mapping):
        try:
            return encode(value).encode("utf-8", "surrogatepass")
        except EncodingError:
            pass
    elif isinstance(value, (list, tuple)):
        value = {str(i): v for i, v in enumerate(value)}
    else:
        return wire_scalar(value).encode("utf-8", "surrogatepass")
    pairs: list[tuple[str, str]] = []
    _flatten_loose(value, "", pairs)
    # Brackets percent-encoded as encode() does; lone surrogates passed through, not refused.
    return "&".join(
        f"{quote_plus(k, errors='surrogatepass')}={quote_plus(v, errors='surrogatepass')}"
        for k, v in pairs
    ).encode("ascii")


def wire_scalar(value: Any) -> str:
    """A leaf as it travels: ``true``/``false``, ``""`` for None, ``str()`` otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _flatten_loose(value: Any, prefix: str, out: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        if not value and prefix:
            out.append((prefix, ""))
        for k, v in value.items():
            _flatten_loose(v, f"{prefix}[{k}]" if prefix else str(k), out)
    elif isinstance(value, (list, tuple)):
        if not value and prefix:
            out.append((prefix, ""))
        for i, v in enumerate(value):
            _flatten_loose(v, f"{prefix}[{i}]", out)
    else:
        out.append((prefix, wire_scalar(value)))


class _NotPlain(Exception):
    """A value wire_tree does not model exactly: the caller decodes the wire bytes instead."""


def wire_tree(value: Any, *, max_depth: int = 16, max_pairs: int = 5000) -> dict[str, Any] | None:
    """``decode(encode(value))`` computed without the round trip, or None.

    For the plain trees a generator builds (dicts with ordinary string keys, lists,
    ``str``/``bool``/``None``/``int``/``float`` leaves) the decoded form is known: leaves
    become their wire strings, empty hashes and lists the empty string, hashes keyed exactly
    ``"0"``..``"n-1"`` lists. Anything else (exotic types, keys :func:`encode` refuses, more
    pairs or depth than :func:`decode` takes) gives None: decode the bytes then. A property
    test holds the two equal.
    """
    if type(value) is not dict:
        return None
    count = [0]
    try:
        return {
            _plain_key(k): _wire_node(v, 1, max_depth, max_pairs, count) for k, v in value.items()
        }
    except _NotPlain:
        return None


def _plain_key(key: Any) -> str:
    if type(key) is not str or not key or "[" in key or "]" in key:
        raise _NotPlain
    return key


def _wire_node(value: Any, depth: int, max_depth: int, max_pairs: int, count: list[int]) -> Any:
    tp = type(value)
    if tp is dict or tp is list or tp is tuple:
        if not value:
            return _wire_leaf("", max_pairs, count)
        if depth > max_depth:
            raise _NotPlain
        if tp is dict:
            node = {
                _plain_key(k): _wire_node(v, depth + 1, max_depth, max_pairs, count)
                for k, v in value.items()
            }
            if "0" in node and all(str(i) in node for i in range(len(node))):
                return [node[str(i)] for i in range(len(node))]
            return node
        return [_wire_node(v, depth + 1, max_depth, max_pairs, count) for v in value]
    if tp is str:
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: encode() refuses it
                raise _NotPlain from None
        return _wire_leaf(value, max_pairs, count)
    if tp is bool:
        return _wire_leaf("true" if value else "false", max_pairs, count)
    if value is None:
        return _wire_leaf("", max_pairs, count)
    if tp is int or tp is float:
        return _wire_leaf(str(value), max_pairs, count)
    raise _NotPlain


def _wire_leaf(text: str, max_pairs: int, count: list[int]) -> str:
    count[0] += 1
    if count[0] > max_pairs:
        raise _NotPlain
    return text
