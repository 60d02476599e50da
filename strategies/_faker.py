"""Faker provider: valid and labelled invalid ``POST /v1/tokens`` payloads of every kind.

``StripeProvider`` builds its payloads with the same builders as the Hypothesis strategies
(:mod:`._build`) and takes every random choice from ``self.generator.random``, so Faker's
own seeding (``Faker.seed``, ``fake.seed_instance``) makes it reproducible. Names and
addresses come from per-locale pools computed once from the provider's generator, which is
why it is several times faster than assembling a card payload from ``fake.name()`` and
``fake.address()`` calls.

Every method is prefixed ``stripe_`` because ``add_provider`` silently replaces same-named
methods of other providers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from faker.providers import BaseProvider

from contracttk.contract import KIND_NAMES
from contracttk.contract import domain as D

from ._build import build_invalid, build_valid
from ._options import (
    Options,
    ViolationSpec,
    make_options,
    resolve,
    resolve_violations,
    resolve_weights,
)
from ._payload import InvalidPayload, Payload
from ._pickers import RandomPicker
from ._pools import generator_locale

__all__ = ["StripeProvider", "add_providers"]


class StripeProvider(BaseProvider):
    """Stripe ``/v1/tokens`` payloads for Faker: ``fake.stripe_card_params()`` and friends.

    Valid payloads carry only Stripe test values in sensitive fields (card numbers, bank
    accounts, IBANs, id numbers); invalid ones are :class:`InvalidPayload` objects labelled
    from the contract's violation catalogue.
    """

    # Data (read-only, from the contract model's domain module).
    card_numbers: tuple[str, ...] = tuple(c.number for c in D.TEST_CARDS)
    card_brands: tuple[str, ...] = tuple(sorted({c.brand for c in D.TEST_CARDS}))
    bank_account_numbers: tuple[str, ...] = tuple(a.account_number for a in D.TEST_BANK_ACCOUNTS)
    bank_countries: tuple[str, ...] = tuple(dict.fromkeys(a.country for a in D.TEST_BANK_ACCOUNTS))
    id_numbers: tuple[str, ...] = D.TEST_ID_NUMBERS
    token_kinds: tuple[str, ...] = KIND_NAMES

    def __init__(self, generator: Any) -> None:
        super().__init__(generator)
        # The locale whose pool this generator builds (others get a private Faker's pool).
        self._locale: str = generator_locale(generator)

    # --- plumbing -----------------------------------------------------------------------------

    def _valid(self, kind: str, options: Options) -> Payload:
        return build_valid(
            kind,
            RandomPicker(self.generator.random),
            resolve(kind, options),
            source=self.generator,
            source_locale=self._locale,
        )

    def _invalid(self, kind: str, options: Options, violation: ViolationSpec) -> InvalidPayload:
        return build_invalid(
            kind,
            RandomPicker(self.generator.random),
            resolve(kind, options),
            resolve_violations(kind, violation),
            weights=resolve_weights(violation),
            source=self.generator,
            source_locale=self._locale,
        )

    # --- single values ------------------------------------------------------------------------

    def stripe_card_number(self, brand: str | None = None) -> str:
        """One of Stripe's test card numbers, optionally of ``brand`` (a BRANDS key).

        Raises ValueError for an unknown brand.
        """
        cards = D.test_cards(brand=brand) if brand is not None else D.TEST_CARDS
        return RandomPicker(self.generator.random).choice(cards).number

    # --- valid payloads -----------------------------------------------------------------------

    def stripe_card_params(
        self,
        *,
        brand: str | None = None,
        country: str | None = None,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> Payload:
        """A valid ``{"card": {...}}`` request on a Stripe test card.

        Future expiry (two- or four-digit year, 1-10 years ahead), brand-length CVC, and
        optional name/address in this Faker's locale (or ``locale``). ``include_optional``:
        None picks each optional field at random, True sends all, False none.
        """
        return self._valid("card", Options(brand, country, _loc(locale), include_optional, today))

    def stripe_bank_account_params(
        self,
        *,
        country: str | None = None,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> Payload:
        """A valid ``{"bank_account": {...}}`` request on a Stripe test account or IBAN.

        ``country`` picks that country's test accounts (``US`` with the test routing
        number, IBAN countries such as ``DE``); ValueError when there is none.
        """
        return self._valid(
            "bank_account", Options(None, country, _loc(locale), include_optional, today)
        )

    def stripe_pii_params(
        self,
        *,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> Payload:
        """A valid ``{"pii": {"id_number": ...}}`` request with a Stripe test id number."""
        return self._valid("pii", Options(None, None, _loc(locale), include_optional, today))

    def stripe_account_params(
        self,
        *,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> Payload:
        """A valid ``{"account": {...}}`` request: business type plus its entity hash."""
        return self._valid("account", Options(None, None, _loc(locale), include_optional, today))

    def stripe_person_params(
        self,
        *,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> Payload:
        """A valid ``{"person": {...}}`` request (names, dob, address, test identity values)."""
        return self._valid("person", Options(None, None, _loc(locale), include_optional, today))

    def stripe_cvc_update_params(
        self,
        *,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> Payload:
        """A valid ``{"cvc_update": {"cvc": ...}}`` request (3 or 4 digits)."""
        return self._valid("cvc_update", Options(None, None, _loc(locale), include_optional, today))

    def stripe_params(self, kind: str, **options: Any) -> Payload:
        """A valid request of ``kind`` (options as for ``stripe_<kind>_params``)."""
        return self._valid(kind, make_options(kind, options))

    # --- invalid payloads ---------------------------------------------------------------------

    def stripe_invalid_card_params(
        self,
        violation: ViolationSpec = None,
        *,
        brand: str | None = None,
        country: str | None = None,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> InvalidPayload:
        """A card request breaking one catalogue rule, labelled with Stripe's expected error.

        ``violation``: None (any card entry of ``violations_for("card")``), a catalogue
        name such as ``"card[number]:luhn"``, or a list of names. ValueError for unknown ones.
        """
        return self._invalid(
            "card", Options(brand, country, _loc(locale), include_optional, today), violation
        )

    def stripe_invalid_bank_account_params(
        self,
        violation: ViolationSpec = None,
        *,
        country: str | None = None,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> InvalidPayload:
        """An invalid bank_account request (see :meth:`stripe_invalid_card_params`)."""
        return self._invalid(
            "bank_account",
            Options(None, country, _loc(locale), include_optional, today),
            violation,
        )

    def stripe_invalid_pii_params(
        self,
        violation: ViolationSpec = None,
        *,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> InvalidPayload:
        """An invalid pii request (see :meth:`stripe_invalid_card_params`)."""
        return self._invalid(
            "pii", Options(None, None, _loc(locale), include_optional, today), violation
        )

    def stripe_invalid_account_params(
        self,
        violation: ViolationSpec = None,
        *,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> InvalidPayload:
        """An invalid account request (see :meth:`stripe_invalid_card_params`)."""
        return self._invalid(
            "account", Options(None, None, _loc(locale), include_optional, today), violation
        )

    def stripe_invalid_person_params(
        self,
        violation: ViolationSpec = None,
        *,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> InvalidPayload:
        """An invalid person request (see :meth:`stripe_invalid_card_params`)."""
        return self._invalid(
            "person", Options(None, None, _loc(locale), include_optional, today), violation
        )

    def stripe_invalid_cvc_update_params(
        self,
        violation: ViolationSpec = None,
        *,
        locale: str | Sequence[str] | None = None,
        include_optional: bool | None = None,
        today: date | None = None,
    ) -> InvalidPayload:
        """An invalid cvc_update request (see :meth:`stripe_invalid_card_params`)."""
        return self._invalid(
            "cvc_update", Options(None, None, _loc(locale), include_optional, today), violation
        )

    def stripe_invalid_params(
        self, kind: str, violation: ViolationSpec = None, **options: Any
    ) -> InvalidPayload:
        """An invalid request of ``kind`` (see :meth:`stripe_invalid_card_params`)."""
        return self._invalid(kind, make_options(kind, options), violation)


def _loc(locale: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    # Lists become tuples so the options stay hashable (resolve() caches on them).
    if locale is None or isinstance(locale, str):
        return locale
    return tuple(locale)


def add_providers(fake: Any) -> Any:
    """Add :class:`StripeProvider` to ``fake`` (every locale of a multi-locale Faker); return it."""
    items = getattr(fake, "items", None)
    if callable(items):
        for _, generator in items():
            generator.add_provider(StripeProvider)
    else:
        fake.add_provider(StripeProvider)
    return fake
