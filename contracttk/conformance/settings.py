"""One settings object, resolved once, shared by ``contracttk fuzz`` and the pytest plugin.

Both front ends collect raw values (flags, environment variables, ini keys) under the
same names (:data:`FIELDS`) and call :func:`resolve`; every check of a value lives here,
and a refused value raises :class:`SettingsError` naming the setting, which each front end
words with its own flag name. The resolved :class:`Settings` travels to pytest-xdist
workers as a plain dict (:meth:`Settings.to_dict`), so workers never resolve again (the
seed `last`, a random seed and the key defaults are decided once, by the controller).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from contracttk.contract import KIND_NAMES
from contracttk.defaults import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY

from .fields import FIELDS
from .keys import KeyPolicyError, check_key, check_url
from .transport import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "FIELDS",
    "SEED_CACHE_KEY",
    "SeedCache",
    "Settings",
    "SettingsError",
    "resolve",
]

DEFAULT_MAX_EXAMPLES = 60
"""Generated cases per generated item (fuzz items: twice this, half positive, half negative)."""
MIN_TIMEOUT = 0.1
SEED_CACHE_KEY = "contracttk/seed"


class SettingsError(ValueError):
    """A setting that cannot be used: ``setting`` is its name in :data:`FIELDS`."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(problem)
        self.setting = setting
        self.problem = problem


class SeedCache(Protocol):
    """Where the last seed is kept (pytest's ``config.cache`` has this shape)."""

    def get(self, key: str, default: Any) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...


@dataclass(frozen=True)
class Settings:
    """Everything a conformance run needs to know, validated."""

    url: str
    api_key: str
    publishable_key: str | None = None
    live_key: str | None = None
    allow_live_keys: bool = False
    seed: int = 0
    max_examples: int = DEFAULT_MAX_EXAMPLES
    timeout: float = DEFAULT_TIMEOUT
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    kinds: tuple[str, ...] = KIND_NAMES
    checks: frozenset[str] = field(default_factory=frozenset)
    """Enabled check names (empty = all)."""
    max_time: float | None = None
    max_failures: int | None = None
    report: str | None = None
    junit_xml: str | None = None
    baseline: str | None = None
    key_defaulted: bool = False
    """True when no secret key was given and the reference server's test key is used."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy (for xdist workers)."""
        d = asdict(self)
        d["kinds"] = list(self.kinds)
        d["checks"] = sorted(self.checks)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """The inverse of :meth:`to_dict`."""
        d = dict(data)
        d["kinds"] = tuple(d.get("kinds", KIND_NAMES))
        d["checks"] = frozenset(d.get("checks", ()))
        return cls(**d)

    def key_for(self, role: str) -> str | None:
        """The configured key for ``role`` (``secret``, ``publishable``, ``live``), or None."""
        return {
            "secret": self.api_key,
            "publishable": self.publishable_key,
            "live": self.live_key,
        }.get(role)

    def role_of(self, key: str | None) -> str | None:
        """``secret``/``publishable``/``live`` for a configured key, else None."""
        if key:
            for role in ("secret", "publishable", "live"):
                if key == self.key_for(role):
                    return role
        return None

    def secrets(self) -> tuple[str, ...]:
        """The keys in use (masked wherever they would be printed)."""
        return tuple(k for k in (self.api_key, self.publishable_key, self.live_key) if k)


def _text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flag(raw: Mapping[str, Any], name: str) -> bool:
    value = raw.get(name)
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"expected true or false, got {value!r}")


def _number(raw: Mapping[str, Any], name: str, conv: Callable[[str], Any], low: float) -> Any:
    text = _text(raw, name)
    if text is None or text.strip() == "":
        return None
    try:
        value = conv(text.strip())
    except ValueError:
        raise SettingsError(name, f"not a number: {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise SettingsError(name, f"must be a finite number, got {text!r}")
    if value < low:
        raise SettingsError(name, f"must be at least {low:g}, got {text!r}")
    return value


def _names(raw: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = raw.get(name)
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for item in items:
        out += [part.strip() for part in str(item).split(",") if part.strip()]
    return tuple(dict.fromkeys(out))


def _seed(raw: Mapping[str, Any], cache: SeedCache | None) -> int:
    text = _text(raw, "seed")
    if text is None or text.strip() == "":
        seed = random.SystemRandom().randrange(2**32)
    elif text.strip() == "last":
        last = cache.get(SEED_CACHE_KEY, None) if cache is not None else None
        if not isinstance(last, int):
            raise SettingsError(
                "seed", "'last': no previous seed recorded here (run once with a seed first)"
            )
        seed = last
    else:
        try:
            seed = int(text.strip())
        except ValueError:
            raise SettingsError("seed", f"expected an integer or 'last', got {text!r}") from None
        if not 0 <= seed < 2**32:
            raise SettingsError("seed", f"must be between 0 and {2**32 - 1}, got {seed}")
    if cache is not None:
        cache.set(SEED_CACHE_KEY, seed)
    return seed


def resolve(raw: Mapping[str, Any], *, cache: SeedCache | None = None) -> Settings:
    """Validate raw settings (names as in :data:`FIELDS`) into :class:`Settings`.

    Raises :class:`SettingsError` for the first unusable value. Keys: without a secret key
    the reference server's test keys are used (a reference-like target); with one, only
    what is given. Every key goes through the key policy (:mod:`.keys`).
    """
    unknown = set(raw) - set(FIELDS)
    if unknown:
        raise SettingsError(sorted(unknown)[0], "unknown setting")
    url_text = _text(raw, "url")
    if not url_text or not url_text.strip():
        raise SettingsError("url", "no URL given")
    try:
        url = check_url(url_text)
    except KeyPolicyError as err:
        raise SettingsError("url", str(err)) from None
    allow_live = _flag(raw, "allow_live_keys")
    keys: dict[str, str | None] = {}
    for name, role in (
        ("api_key", "secret"),
        ("publishable_key", "publishable"),
        ("live_key", "live"),
    ):
        try:
            keys[name] = check_key(_text(raw, name), role, allow_live=allow_live)
        except KeyPolicyError as err:
            raise SettingsError(name, str(err)) from None
    defaulted = keys["api_key"] is None
    if defaulted:
        keys["api_key"] = DEFAULT_SECRET_KEY
        keys["publishable_key"] = keys["publishable_key"] or DEFAULT_PUBLISHABLE_KEY
    kinds = _names(raw, "kind") or KIND_NAMES
    bad = [k for k in kinds if k not in KIND_NAMES]
    if bad:
        raise SettingsError(
            "kind", f"unknown kind {', '.join(bad)}; expected some of {', '.join(KIND_NAMES)}"
        )
    from .registry import select

    include, exclude = _names(raw, "include_check"), _names(raw, "exclude_check")
    try:
        checks = select(include, exclude) if include or exclude else frozenset()
    except ValueError as err:
        raise SettingsError("include_check" if include else "exclude_check", str(err)) from None
    if (include or exclude) and not checks:
        raise SettingsError("exclude_check", "no check left to run")
    timeout = _number(raw, "timeout", float, MIN_TIMEOUT)
    max_bytes = _number(raw, "max_response_bytes", int, 1024)
    max_examples = _number(raw, "max_examples", int, 1)
    return Settings(
        url=url,
        api_key=keys["api_key"] or DEFAULT_SECRET_KEY,
        publishable_key=keys["publishable_key"],
        live_key=keys["live_key"],
        allow_live_keys=allow_live,
        seed=_seed(raw, cache),
        max_examples=max_examples if max_examples is not None else DEFAULT_MAX_EXAMPLES,
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        max_response_bytes=max_bytes if max_bytes is not None else DEFAULT_MAX_RESPONSE_BYTES,
        kinds=tuple(k for k in KIND_NAMES if k in kinds),
        checks=checks,
        max_time=_number(raw, "max_time", float, 1),
        max_failures=_number(raw, "max_failures", int, 1),
        report=_text(raw, "report") or None,
        junit_xml=_text(raw, "junit_xml") or None,
        baseline=_text(raw, "baseline") or None,
        key_defaulted=defaulted,
    )
