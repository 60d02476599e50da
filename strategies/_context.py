"""What one payload build needs, and the small helpers every builder shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracttk.contract import Param

from ._pools import JA, LocalePool, locale_pool

if TYPE_CHECKING:
    from faker import Generator

    from ._options import Spec
    from ._pickers import Picker

__all__ = ["BuildContext", "digits", "fit"]

_ASCII_DIGITS = "0123456789"


class BuildContext:
    """What one payload build needs: the picker, the options, the chosen locale's pool."""

    __slots__ = ("_ja", "_main", "locale", "pick", "source", "source_locale", "spec", "today")

    def __init__(
        self,
        pick: Picker,
        spec: Spec,
        locale: str,
        source: Generator | None,
        source_locale: str | None,
    ) -> None:
        self.pick = pick
        self.spec = spec
        self.source = source
        self.source_locale = source_locale
        self.today = spec.today_or_now()
        self.locale = locale
        self._main: LocalePool | None = None
        self._ja: LocalePool | None = None

    @property
    def pool(self) -> LocalePool:
        """The locale's pool, built on first use (pii and cvc_update payloads never use it)."""
        if self._main is None:
            self._main = self._pool(self.locale)
        return self._main

    def _pool(self, locale: str) -> LocalePool:
        # A Faker provider's own generator builds its own locale's pool; others a private one.
        return locale_pool(locale, self.source if locale == self.source_locale else None)

    @property
    def ja(self) -> LocalePool:
        """The Japanese pool (Kana/Kanji fields)."""
        if self._ja is None:
            self._ja = self.pool if self.locale == JA else self._pool(JA)
        return self._ja

    def optional(self) -> bool:
        """Whether to send an optional field (``include_optional`` overrides the picker)."""
        inc = self.spec.include_optional
        return self.pick.gate() if inc is None else inc


def digits(pick: Picker, length: int) -> str:
    """``length`` ASCII digits, each picked (all zeros is the simplest)."""
    return "".join([_ASCII_DIGITS[pick.integer(0, 9)] for _ in range(length)])


def fit(param: Param | None, value: str) -> str:
    """``value`` cut to ``param``'s maxLength, if it has one."""
    # Pools are far below every maxLength; this guards a future locale with long names.
    if param is not None and param.max_length is not None and len(value) > param.max_length:
        return value[: param.max_length]
    return value
