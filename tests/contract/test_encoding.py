"""Tests for ``contracttk.encoding``: Stripe's bracket form encoding, both directions.

Expected bodies are written out by hand from Stripe's wire conventions (reference
§1.1): brackets for hashes, indexed arrays, ``true``/``false``, empty string = unset,
percent-encoding as ``urllib.parse.urlencode`` does it.
"""

from __future__ import annotations

import ast
import enum
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import contracttk.encoding as encoding_module
from contracttk.encoding import (
    EncodingError,
    decode,
    decode_pairs,
    encode,
    encode_pairs,
    flatten_paths,
)

# --------------------------------------------------------------------------- module


def test_public_surface() -> None:
    assert sorted(encoding_module.__all__) == [
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
    assert issubclass(EncodingError, ValueError)
    assert EncodingError("x").param is None
    assert EncodingError("x", "card[number]").param == "card[number]"


def test_imports_only_the_standard_library() -> None:
    # The codec and its loose half (split out for size) may import each other, and
    # nothing else of the project: the codec is vendorable on its own.
    pair = {"encoding", "_encoding_loose"}
    imported: set[str] = set()
    for name in pair:
        path = Path(encoding_module.__file__).with_name(f"{name}.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    assert node.level == 1 and node.module in pair, (
                        f"{name}.py imports project code: {node.module}"
                    )
                    continue
                imported.add((node.module or "").split(".")[0])
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)


# --------------------------------------------------------------------------- encode


def test_encode_card_with_expand() -> None:
    body = encode({"card": {"number": "4242424242424242", "exp_month": "12"}, "expand": ["card"]})
    assert body == "card%5Bnumber%5D=4242424242424242&card%5Bexp_month%5D=12&expand%5B0%5D=card"


def test_encode_deep_nesting_and_ints() -> None:
    params = {"account": {"individual": {"dob": {"day": 1, "month": 2, "year": 1990}}}}
    assert encode(params) == (
        "account%5Bindividual%5D%5Bdob%5D%5Bday%5D=1"
        "&account%5Bindividual%5D%5Bdob%5D%5Bmonth%5D=2"
        "&account%5Bindividual%5D%5Bdob%5D%5Byear%5D=1990"
    )


def test_encode_pairs_literal() -> None:
    params = {
        "account": {"tos_shown_and_accepted": True, "business_type": "individual"},
        "expand": ["account", "x"],
        "flag": False,
        "ratio": 1.5,
    }
    assert encode_pairs(params) == [
        ("account[tos_shown_and_accepted]", "true"),
        ("account[business_type]", "individual"),
        ("expand[0]", "account"),
        ("expand[1]", "x"),
        ("flag", "false"),
        ("ratio", "1.5"),
    ]


def test_encode_unset_values_are_empty_strings() -> None:
    params = {"a": None, "metadata": {}, "expand": [], "dob": {"day": None}}
    assert encode(params) == "a=&metadata=&expand=&dob%5Bday%5D="


def test_encode_list_of_hashes_and_nested_lists() -> None:
    assert encode({"a": [{"k": "v"}, {"k": "w"}]}) == "a%5B0%5D%5Bk%5D=v&a%5B1%5D%5Bk%5D=w"
    assert encode({"a": [["x", "y"]]}) == "a%5B0%5D%5B0%5D=x&a%5B0%5D%5B1%5D=y"
    assert encode({"a": ("x",)}) == "a%5B0%5D=x"


def test_encode_percent_encodes_like_urlencode() -> None:
    params = {"name": "Jenny Rosen", "q": "a&b=c+d/e%", "city": "Zürich", "safe": "a-b_c.d~e"}
    assert encode(params) == (
        "name=Jenny+Rosen&q=a%26b%3Dc%2Bd%2Fe%25&city=Z%C3%BCrich&safe=a-b_c.d~e"
    )
    # Keys are escaped the same way, including inside brackets.
    assert encode({"meta data": {"k&=": "v"}}) == "meta+data%5Bk%26%3D%5D=v"


def test_encode_keeps_insertion_order() -> None:
    assert encode({"b": "1", "a": {"z": "2", "y": "3"}, "c": "4"}) == (
        "b=1&a%5Bz%5D=2&a%5By%5D=3&c=4"
    )


def test_encode_empty_mapping_is_empty_body() -> None:
    assert encode({}) == ""
    assert encode_pairs({}) == []


def test_encode_str_subclasses_use_their_content() -> None:
    class Kind(str, enum.Enum):
        CARD = "card"

    assert encode({Kind.CARD: {"k": Kind.CARD}}) == "card%5Bk%5D=card"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"a[b]": "x"}, "a[b]"),
        ({"card": {"x]": "1"}}, "card[x]]"),
        ({"card": {"": "1"}}, "card[]"),
        ({"": "1"}, None),
        ({"card": {1: "x"}}, "card"),
        ({2: "x"}, None),
    ],
)
def test_encode_rejects_unrepresentable_keys(params: dict[Any, Any], param: str | None) -> None:
    with pytest.raises(EncodingError) as info:
        encode(params)
    assert info.value.param == param
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("value", [object(), b"bytes", {1, 2}])
def test_encode_rejects_unsupported_values(value: object) -> None:
    with pytest.raises(EncodingError) as info:
        encode({"card": {"number": value}})
    assert info.value.param == "card[number]"


def test_encode_rejects_non_mapping_top_level() -> None:
    with pytest.raises(EncodingError):
        encode(["a", "b"])  # type: ignore[arg-type]


def test_encode_rejects_lone_surrogate() -> None:
    with pytest.raises(EncodingError) as info:
        encode({"card": {"name": "a\ud800b"}})
    assert info.value.param == "card[name]"


def test_flatten_paths_keeps_python_leaves() -> None:
    meta: dict[str, str] = {}
    params = {"card": {"number": 4242, "default": True, "name": None, "metadata": meta}}
    flat = flatten_paths(params)
    assert [path for path, _ in flat] == [
        "card[number]",
        "card[default]",
        "card[name]",
        "card[metadata]",
    ]
    assert flat[0][1] == 4242 and type(flat[0][1]) is int
    assert flat[1][1] is True
    assert flat[2][1] is None
    assert flat[3][1] is meta


# --------------------------------------------------------------------------- decode


def test_decode_raw_and_encoded_brackets() -> None:
    expected = {"card": {"number": "4242424242424242", "exp_month": "12"}}
    assert decode("card[number]=4242424242424242&card[exp_month]=12") == expected
    assert decode("card%5Bnumber%5D=4242424242424242&card%5bexp_month%5d=12") == expected
    assert decode(b"card%5Bnumber%5D=4242424242424242&card[exp_month]=12") == expected


def test_decode_indexed_and_empty_bracket_lists() -> None:
    assert decode("expand[0]=card&expand[1]=customer") == {"expand": ["card", "customer"]}
    assert decode("expand[]=card&expand[]=customer") == {"expand": ["card", "customer"]}
    assert decode("expand%5B%5D=card") == {"expand": ["card"]}
    # Placed by index, not by order of appearance.
    assert decode("a[2]=z&a[0]=x&a[1]=y") == {"a": ["x", "y", "z"]}


def test_decode_nested_lists_and_list_of_hashes() -> None:
    assert decode("a[0][k]=v&a[1][k]=w") == {"a": [{"k": "v"}, {"k": "w"}]}
    assert decode("a[0][0]=x&a[0][1]=y&a[1][]=z") == {"a": [["x", "y"], ["z"]]}
    assert decode("a[b][]=x&a[b][]=y&a[c]=z") == {"a": {"b": ["x", "y"], "c": "z"}}


def test_decode_numeric_keys_that_are_not_an_index_run_stay_keys() -> None:
    assert decode("a[0]=x&a[2]=y") == {"a": {"0": "x", "2": "y"}}
    assert decode("a[1]=x") == {"a": {"1": "x"}}
    assert decode("a[00]=x&a[1]=y") == {"a": {"00": "x", "1": "y"}}
    assert decode("a[0]=x&a[b]=y") == {"a": {"0": "x", "b": "y"}}
    # The top level is always a hash.
    assert decode("0=a&1=b") == {"0": "a", "1": "b"}


def test_decode_values_stay_strings() -> None:
    assert decode("flag=true&n=1&x=&y") == {"flag": "true", "n": "1", "x": "", "y": ""}


def test_decode_unquoting() -> None:
    assert decode("name=Jenny+Rosen&q=a%26b%3Dc%2Bd&city=Z%C3%BCrich&e=a=b") == {
        "name": "Jenny Rosen",
        "q": "a&b=c+d",
        "city": "Zürich",
        "e": "a=b",
    }
    assert decode("meta+data[k%26]=v") == {"meta data": {"k&": "v"}}
    # A stray '%' that is no escape is kept as text.
    assert decode("p=100%&q=%zz") == {"p": "100%", "q": "%zz"}


def test_decode_skips_empty_segments() -> None:
    assert decode("a=1&&b=2&") == {"a": "1", "b": "2"}
    assert decode("") == {}
    assert decode(b"") == {}
    assert decode("&") == {}


def test_decode_keeps_first_appearance_order() -> None:
    result = decode("b=1&a[x]=2&c=3&a[y]=4")
    assert list(result) == ["b", "a", "c"]
    assert list(result["a"]) == ["x", "y"]


def test_decode_accepts_bytearray() -> None:
    assert decode(bytearray(b"a[b]=%C3%A9")) == {"a": {"b": "é"}}


def test_decode_pairs_does_not_unquote() -> None:
    assert decode_pairs([("a[]", "x"), ("a[]", "y"), ("b", "1")]) == {"a": ["x", "y"], "b": "1"}
    assert decode_pairs([("a%5Bb%5D", "%41")]) == {"a%5Bb%5D": "%41"}


def test_decode_rejects_invalid_utf8_body() -> None:
    with pytest.raises(EncodingError) as info:
        decode(b"card[name]=\xff\xfe")
    assert str(info.value) == "request body is not valid UTF-8"
    assert info.value.param is None


def test_decode_rejects_invalid_utf8_escapes() -> None:
    with pytest.raises(EncodingError) as info:
        decode("card[name]=%FF")
    assert info.value.param == "card[name]"
    with pytest.raises(EncodingError) as info:
        decode("card[%FF]=x")
    assert info.value.param == "card[%FF]"


MALFORMED = [
    ("a[b", "unbalanced '['"),
    ("a]b", "unbalanced ']'"),
    ("a[b]c", "text after ']'"),
    ("[a]", "empty name"),
    ("", "empty parameter name"),
    ("a[][b]", "only allowed at the end"),
    ("a[b]]", "unbalanced ']'"),
    ("a[[b]]", "unbalanced '['"),
    ("a[b][", "unbalanced '['"),
    ("a[]x", "text after ']'"),
    ("a[][]", "only allowed at the end"),
]


@pytest.mark.parametrize(("key", "reason"), MALFORMED)
@pytest.mark.parametrize("wire", ["raw", "percent"])
def test_decode_rejects_malformed_keys(key: str, reason: str, wire: str) -> None:
    raw = quote_plus(key) if wire == "percent" else key
    with pytest.raises(EncodingError) as info:
        decode(f"ok=1&{raw}=v")
    message = str(info.value)
    assert info.value.param == key
    assert reason in message
    assert repr(key) in message or key == ""
    assert "\n" not in message


@pytest.mark.parametrize(("key", "reason"), MALFORMED)
def test_decode_pairs_rejects_malformed_keys(key: str, reason: str) -> None:
    with pytest.raises(EncodingError, match=re.escape(reason)):
        decode_pairs([(key, "v")])


def test_lone_empty_brackets_are_fine() -> None:
    assert decode("a[]=") == {"a": [""]}


CONFLICTS = [
    ("a=1&a[b]=2", "a[b]"),
    ("a[b]=2&a=1", "a"),
    ("a[]=1&a[b]=2", "a[b]"),
    ("a[b]=1&a[]=2", "a[]"),
    ("a=1&a=2", "a"),
    ("a[b]=1&a[b]=2", "a[b]"),
    ("a=1&a[]=2", "a[]"),
    ("a[]=1&a=2", "a"),
    ("a[]=1&a[0]=2", "a[0]"),
    ("a[0]=1&a[]=2", "a[]"),
    ("a[0]=x&a[0][b]=y", "a[0][b]"),
    ("a[b][c]=1&a[b]=2", "a[b]"),
    ("x[a]=1&x[a][b][c]=2", "x[a][b][c]"),
]


@pytest.mark.parametrize(("body", "param"), CONFLICTS)
def test_decode_rejects_conflicts(body: str, param: str) -> None:
    with pytest.raises(EncodingError) as info:
        decode(body)
    assert info.value.param == param
    assert repr(param) in str(info.value)


def test_depth_limit() -> None:
    ok = "a" + "[b]" * 16
    assert decode(f"{ok}=v")["a"]["b"]["b"] is not None
    too_deep = "a" + "[b]" * 17
    with pytest.raises(EncodingError, match="deeper than 16") as info:
        decode(f"{too_deep}=v")
    assert info.value.param == too_deep
    assert decode("a[b][c]=v", max_depth=2) == {"a": {"b": {"c": "v"}}}
    with pytest.raises(EncodingError):
        decode("a[b][c][d]=v", max_depth=2)
    with pytest.raises(EncodingError):
        decode_pairs([("a[b][c][d]", "v")], max_depth=2)
    assert decode("a=v", max_depth=0) == {"a": "v"}
    with pytest.raises(EncodingError):
        decode("a[]=v", max_depth=0)


def test_pair_limit() -> None:
    assert decode("a=1&b=2&c=3", max_pairs=3) == {"a": "1", "b": "2", "c": "3"}
    # Empty segments are not pairs.
    assert decode("a=1&&&b=2&", max_pairs=2) == {"a": "1", "b": "2"}
    with pytest.raises(EncodingError, match="limit of 3") as info:
        decode("a=1&b=2&c=3&d=4", max_pairs=3)
    assert info.value.param is None
    body = "&".join(f"k{i}=v" for i in range(5001))
    with pytest.raises(EncodingError):
        decode(body)


def test_long_keys_bypass_caches_but_behave_the_same() -> None:
    long_name = "k" * 1000
    assert decode(f"{long_name}[x%20y]=1") == {long_name: {"x y": "1"}}
    assert encode({long_name: {"x y": "1"}}) == f"{long_name}%5Bx+y%5D=1"
    with pytest.raises(EncodingError):
        decode(f"{long_name}[x=1")


# --------------------------------------------------------------------------- properties

# Keys the wire can carry unambiguously: no brackets, non-empty, and not an ASCII
# number (a hash keyed "0", "1", ... reads back as a list; covered by hand above).
keys = st.text(
    alphabet=st.characters(exclude_characters="[]", exclude_categories=["Cs"]),
    min_size=1,
    max_size=8,
).filter(lambda k: not (k.isascii() and k.isdigit()))
texts = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)


def trees(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Top-level hashes of non-empty nested hashes/lists over ``leaves``."""
    node = st.recursive(
        leaves,
        lambda children: (
            st.lists(children, min_size=1, max_size=4)
            | st.dictionaries(keys, children, min_size=1, max_size=4)
        ),
        max_leaves=20,
    )
    return st.dictionaries(keys, node, max_size=5)


def ordered(value: Any) -> Any:
    """Make dict order significant for ``==`` (plain dict equality ignores it)."""
    if isinstance(value, dict):
        return [(k, ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return ["list", *[ordered(v) for v in value]]
    return value


def wire_string(value: Any) -> Any:
    """Stripe's stringification, written independently of the module."""
    if isinstance(value, dict):
        return {k: wire_string(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire_string(v) for v in value]
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else value


def leaves_in_order(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves_in_order(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves_in_order(v)]
    return [value]


@settings(max_examples=200)
@given(trees(texts))
def test_roundtrip_preserves_value_and_order(params: dict[str, Any]) -> None:
    body = encode(params)
    assert decode(body) == params
    assert ordered(decode(body)) == ordered(params)
    assert ordered(decode(body.encode("utf-8"))) == ordered(params)
    assert ordered(decode_pairs(encode_pairs(params))) == ordered(params)


@settings(max_examples=100)
@given(trees(texts))
def test_encode_agrees_with_stdlib(params: dict[str, Any]) -> None:
    body = encode(params)
    pairs = encode_pairs(params)
    assert body == urlencode(pairs)
    assert parse_qsl(body, keep_blank_values=True) == pairs
    assert all("[" not in ch and "]" not in ch for ch in body)


@settings(max_examples=100)
@given(trees(st.booleans() | st.none() | st.integers() | texts))
def test_scalars_decode_to_their_wire_strings(params: dict[str, Any]) -> None:
    assert ordered(decode(encode(params))) == ordered(wire_string(params))


@settings(max_examples=100)
@given(trees(st.booleans() | st.none() | st.integers() | texts))
def test_flatten_paths_matches_encode_pairs(params: dict[str, Any]) -> None:
    flat = flatten_paths(params)
    assert [p for p, _ in flat] == [p for p, _ in encode_pairs(params)]
    expected = leaves_in_order(params)
    assert len(flat) == len(expected)
    assert all(got is want for (_, got), want in zip(flat, expected, strict=True))


@settings(max_examples=100)
@given(
    st.lists(texts, min_size=1, max_size=12).flatmap(lambda v: st.permutations(list(enumerate(v))))
)
def test_indexed_list_in_any_order(shuffled: list[tuple[int, str]]) -> None:
    expected = [v for _, v in sorted(shuffled)]
    assert decode_pairs([(f"a[{i}]", v) for i, v in shuffled]) == {"a": expected}
    body = "&".join(f"a%5B{i}%5D={quote_plus(v)}" for i, v in shuffled)
    assert decode(body) == {"a": expected}


@settings(max_examples=100)
@given(st.lists(texts, min_size=1, max_size=12))
def test_empty_bracket_list_appends_in_order(values: list[str]) -> None:
    assert decode("&".join(f"a[]={quote_plus(v)}" for v in values)) == {"a": values}


@settings(max_examples=200)
@given(st.text(alphabet="ab0[]=&%5BD+é ", max_size=30) | st.binary(max_size=30))
def test_decode_never_fails_other_than_encoding_error(body: str | bytes) -> None:
    try:
        result = decode(body)
    except EncodingError as err:
        assert "\n" not in str(err)
        return
    assert isinstance(result, dict)
    assert all(isinstance(leaf, str) for leaf in leaves_in_order(result))


_KEYS = st.text(min_size=1, max_size=4).filter(lambda k: "[" not in k and "]" not in k)
_LEAVES = st.one_of(
    st.text(max_size=5),
    st.booleans(),
    st.none(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["0", "1", "2"]),
)
_TREES = st.recursive(
    _LEAVES,
    lambda c: st.one_of(
        st.lists(c, max_size=3),
        st.dictionaries(st.one_of(_KEYS, st.sampled_from(["0", "1", "2"])), c, max_size=3),
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.one_of(_KEYS, st.sampled_from(["0", "1"])), _TREES, max_size=4))
def test_wire_tree_is_the_round_trip_without_the_wire(value: dict[str, Any]) -> None:
    # The checker reads a generated request's parameters from the tree it encoded; that
    # must be exactly what the server decodes from the bytes.
    from contracttk.encoding import wire_tree

    tree = wire_tree(value)
    try:
        round_trip = decode(encode(value))
    except EncodingError:
        round_trip = None
    # None exactly where the wire refuses the value (a lone surrogate): else the same tree.
    assert (tree is None) == (round_trip is None), (value, tree, round_trip)
    if tree is not None:
        assert tree == round_trip
        assert list(tree) == list(round_trip)
