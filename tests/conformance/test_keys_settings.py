"""The key policy and the URL check, in-process: one policy for every key from every source.

The expected shapes are written here by hand (Stripe's key format: ``sk|pk|rk``, then
``test|live``, then ASCII letters, digits and underscores), not taken from the code.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracttk.conformance.keys import KeyPolicyError, check_key, check_url
from contracttk.conformance.settings import SettingsError, resolve

# Hand-written yardstick (see the module docstring).
STRIPE_KEY = re.compile(r"(sk|pk|rk)_(test|live)_[A-Za-z0-9_]+")
TAIL = "Q7zUnmaskedTail9876"
LIVE = "sk_live_" + TAIL
TEST = "sk_test_" + TAIL
# Whitespace a copy-paste brings along: ASCII, no-break, ideographic, line separators.
SPACES = [" ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u3000", "\u2028", " \t\n"]
# Characters that make a key look right and be wrong: zero-width, BOM, lookalikes.
INVISIBLE = ["\u200b", "\ufeff", "\u200d", "\u2060"]
LOOKALIKES = [
    "\u0455k_live_" + TAIL,  # Cyrillic dze for the s
    "sk_l\u0456ve_" + TAIL,  # Cyrillic i
    "\uff53k_live_" + TAIL,  # fullwidth s
    "sk\u2010live_" + TAIL,  # hyphen for the underscore
    "sk_live_" + TAIL.replace("9", "\u0669"),  # Arabic-Indic digit nine
]


def _refused(raw: str, role: str = "secret", *, allow_live: bool = False) -> str:
    with pytest.raises(KeyPolicyError) as info:
        check_key(raw, role, allow_live=allow_live)
    return str(info.value)


@pytest.mark.parametrize("space", SPACES)
def test_surrounding_whitespace_is_stripped_before_every_check(space: str) -> None:
    assert check_key(space + TEST + space, "secret", allow_live=False) == TEST
    assert check_key(space + LIVE, "secret", allow_live=True) == LIVE
    # The live-key guard sees the key, not the leading space: no way around it.
    message = _refused(space + LIVE)
    assert "live" in message and "--allow-live-keys" in message
    assert TAIL[:-4] not in message and "\n" not in message


@pytest.mark.parametrize("mark", INVISIBLE)
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_invisible_characters_make_a_key_unusable_and_are_named(mark: str, where: str) -> None:
    raw = {"start": mark + LIVE, "middle": LIVE[:10] + mark + LIVE[10:], "end": LIVE + mark}[where]
    message = _refused(raw, allow_live=True)
    assert f"U+{ord(mark):04X}" in message  # what to fix, without the key
    assert TAIL[:-4] not in message and "not a Stripe-shaped key" in message


@pytest.mark.parametrize("raw", LOOKALIKES)
def test_lookalike_keys_are_refused_without_echo(raw: str) -> None:
    for allow in (False, True):
        message = _refused(raw, allow_live=allow)
        assert TAIL[:-4] not in message and TAIL[:-4].replace("9", "\u0669") not in message


@pytest.mark.parametrize("raw", ["", " ", "\t\n", "\u3000"])
def test_an_empty_key_is_a_usage_error_not_the_default(raw: str) -> None:
    assert _refused(raw) == "is empty"


def test_no_key_given_is_none() -> None:
    assert check_key(None, "secret", allow_live=False) is None


@pytest.mark.parametrize(
    ("raw", "role", "allow", "words"),
    [
        ("pk_test_" + TAIL, "secret", False, "not a secret key"),
        ("sk_test_" + TAIL, "publishable", False, "not a publishable key"),
        ("sk_test_" + TAIL, "live", True, "not a live-mode key"),
        ("sk_live_" + TAIL, "live", False, "live-mode key"),
        ("pk_live_" + TAIL, "publishable", False, "live-mode key"),
        ("rk_live_" + TAIL, "secret", False, "live-mode key"),
        ("sk_prod_" + TAIL, "secret", True, "not a Stripe-shaped key"),
        ("sk_test_", "secret", False, "not a Stripe-shaped key"),
        ("sk_test_abc-def", "secret", False, "not a Stripe-shaped key"),
        ("Bearer sk_test_" + TAIL, "secret", False, "not a Stripe-shaped key"),
    ],
)
def test_roles_and_modes(raw: str, role: str, allow: bool, words: str) -> None:
    message = _refused(raw, role, allow_live=allow)
    assert words in message and TAIL[:-4] not in message


def test_live_keys_pass_when_allowed() -> None:
    assert check_key("rk_live_" + TAIL, "secret", allow_live=True) == "rk_live_" + TAIL
    assert check_key("pk_live_" + TAIL, "publishable", allow_live=True) == "pk_live_" + TAIL
    assert check_key(LIVE, "live", allow_live=True) == LIVE


_KEYISH = st.text(
    st.sampled_from("skprtestliv_AZaz09 \t\n\u00a0\u200b\u0455-"), min_size=0, max_size=30
)


@given(
    prefix=st.sampled_from(["", "sk_test_", "sk_live_", "pk_live_", "rk_test_", " sk_live_"]),
    rest=_KEYISH,
    role=st.sampled_from(["secret", "publishable", "live"]),
    allow=st.booleans(),
)
def test_a_key_is_either_clean_and_stripe_shaped_or_refused_without_echo(
    prefix: str, rest: str, role: str, allow: bool
) -> None:
    raw = prefix + rest
    try:
        key = check_key(raw, role, allow_live=allow)
    except KeyPolicyError as err:
        message = str(err)
        body = raw.strip()[8:-4]  # what a mask hides: after the prefix, before the last four
        assert len(body) < 5 or body not in message
        assert "\n" not in message
        return
    assert key is not None and key == raw.strip()
    m = STRIPE_KEY.fullmatch(key)
    assert m is not None
    assert allow or m.group(2) == "test"
    assert {"secret": ("sk", "rk"), "publishable": ("pk",), "live": ("sk", "rk")}[role].count(
        m.group(1)
    )


# --- URLs ---------------------------------------------------------------------------------

PASSWORD = "hunter2pass"


@pytest.mark.parametrize(
    "url",
    [
        f"http://KEY:{PASSWORD}@127.0.0.1:8080",
        f"http://sk_live_{TAIL}:@127.0.0.1:8080",
        f"http://sk_test_{TAIL}@127.0.0.1:8080",
        f"https://admin:{PASSWORD}@example.com/base",
        f"http://user:{PASSWORD}@[::1]:8080",
        f"http:/user:{PASSWORD}@127.0.0.1:8080",  # one slash: no user name to a parser
        f"user:{PASSWORD}@127.0.0.1:8080",  # no scheme at all
        f"//user:{PASSWORD}@127.0.0.1:8080",
        f"http://user:{PASSWORD}%40x@host",
        f"http://user:p\u00e4{PASSWORD}@host",
        f"  http://user:{PASSWORD}@host  ",
    ],
)
def test_credentials_in_a_url_are_refused_and_never_quoted(url: str) -> None:
    with pytest.raises(KeyPolicyError) as info:
        check_url(url)
    message = str(info.value)
    assert "credentials" in message and "--api-key" in message
    assert PASSWORD not in message and TAIL not in message and "KEY:" not in message


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"http://user:pa/{PASSWORD}@host", "not a valid URL"),  # a parser sees port "pa"
        (f"http://u:{PASSWORD}%40host", "not a valid URL"),
        (f"http://127.0.0.1:1/v1?key=sk_live_{TAIL}", "query"),
        (f"http://127.0.0.1:1/v1#{PASSWORD}", "query or fragment"),
        (f"ftp://{PASSWORD}.example", "http:// or https://"),
        (f"http://host/{PASSWORD} x", "spaces"),
        (f"http://host/{PASSWORD}\x00", "control"),
        (f"http://h\u00f6st/{PASSWORD}", "non-ASCII"),
        ("http://host:99999", "not a valid URL"),
        ("http://host:0", "port 0"),
        ("http://:8080", "no host"),
        ("", "is empty"),
    ],
)
def test_bad_urls_are_refused_with_what_is_wrong_not_what_was_given(url: str, words: str) -> None:
    with pytest.raises(KeyPolicyError) as info:
        check_url(url)
    message = str(info.value)
    assert words in message
    assert PASSWORD not in message and TAIL not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        (" http://127.0.0.1:8080/ ", "http://127.0.0.1:8080"),
        ("https://api.example.com/stripe/", "https://api.example.com/stripe"),
        ("http://[::1]:12111", "http://[::1]:12111"),
        ("http://host/a@b", "http://host/a@b"),  # an @ in the path is no credential
    ],
)
def test_good_urls_pass_cleaned(url: str, expected: str) -> None:
    assert check_url(url) == expected


# --- one settings path: every source ends in the same policy ---------------------------------


def _setting_error(raw: dict[str, object]) -> SettingsError:
    with pytest.raises(SettingsError) as info:
        resolve(raw)
    return info.value


def test_resolve_applies_the_policy_to_every_key_setting() -> None:
    base = {"url": "http://127.0.0.1:1", "seed": 1}
    for name, value in (
        ("api_key", "\u00a0" + LIVE),
        ("publishable_key", " pk_live_" + TAIL),
        ("live_key", LIVE),
    ):
        err = _setting_error({**base, name: value})
        assert err.setting == name and TAIL[:-4] not in err.problem
    assert _setting_error({**base, "api_key": ""}).problem == "is empty"
    err = _setting_error({"url": f"http://k:{PASSWORD}@127.0.0.1:1", "api_key": TEST})
    assert err.setting == "url" and PASSWORD not in err.problem


def test_resolve_strips_keys_and_allows_live_keys_only_when_asked() -> None:
    s = resolve({"url": "http://127.0.0.1:1/", "api_key": f"\t{TEST}\n", "seed": 1})
    assert s.api_key == TEST and s.url == "http://127.0.0.1:1" and not s.key_defaulted
    s = resolve(
        {"url": "http://127.0.0.1:1", "api_key": " " + LIVE, "allow_live_keys": "true", "seed": 1}
    )
    assert s.api_key == LIVE and s.allow_live_keys
    # An ini file gives strings: "false" must not allow anything.
    err = _setting_error({"url": "http://127.0.0.1:1", "api_key": LIVE, "allow_live_keys": "false"})
    assert err.setting == "api_key"


def test_without_a_key_the_reference_test_keys_are_used_and_said_so() -> None:
    s = resolve({"url": "http://127.0.0.1:1", "seed": 1})
    assert s.key_defaulted
    assert STRIPE_KEY.fullmatch(s.api_key) and s.api_key.startswith("sk_test_")


def test_the_plugin_offers_every_setting_with_the_engines_words() -> None:
    from contracttk.plugins.pytest_plugin import _OPTIONS, option_name

    from contracttk.conformance.fields import FIELDS

    offered = {name: text for name, _, text in _OPTIONS}
    assert set(offered) | {"allow_live_keys"} == set(FIELDS)
    assert all(text.startswith(FIELDS[name]) for name, text in offered.items())
    assert option_name("allow_live_keys") == "--contracttk-allow-live-keys"
