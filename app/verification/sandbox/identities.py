"""Test PIDs of the demo wallet: the built-in identities and their attribute values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .portraits import Look, portrait_jpeg_base64, portrait_svg


@dataclass(frozen=True)
class TestIdentity:
    key: str
    given_name: str
    family_name: str
    birth_date: str
    nationalities: tuple[str, ...]
    personal_administrative_number: str
    document_number: str = ""
    birth_locality: str = ""
    birth_country: str = ""
    street: str = ""
    house_number: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""
    sex: int = 0
    look: Look | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def portrait_svg(self) -> str | None:
        return portrait_svg(self.look) if self.look else None

    @property
    def formatted_address(self) -> str:
        street = " ".join(p for p in (self.street, self.house_number) if p)
        city = " ".join(p for p in (self.postal_code, self.city) if p)
        return ", ".join(p for p in (street, city, self.country) if p)

    def attribute_values(self, today: date | None = None) -> dict[str, Any]:
        """Every PID attribute this identity has, by canonical id."""
        today = today or date.today()
        values: dict[str, Any] = {
            "family_name": self.family_name,
            "given_name": self.given_name,
            "personal_administrative_number": self.personal_administrative_number,
            "family_name_birth": self.family_name,
            "given_name_birth": self.given_name,
            "issuance_date": "2025-01-15",
            "expiry_date": "2030-01-14",
            "issuing_authority": "Demo Bank Sandbox PID Provider",
        }
        if self.birth_date:
            born = date.fromisoformat(self.birth_date)
            age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
            values.update(
                birth_date=self.birth_date,
                age_over_18=age >= 18,
                age_in_years=age,
                age_birth_year=born.year,
            )
        optional = {
            "document_number": self.document_number,
            "resident_street": self.street,
            "resident_house_number": self.house_number,
            "resident_postal_code": self.postal_code,
            "resident_city": self.city,
            "resident_country": self.country,
            "resident_address": self.formatted_address,
            "email_address": self.email,
            "mobile_phone_number": self.phone,
            "issuing_country": self.nationalities[0] if self.nationalities else "",
            "issuing_jurisdiction": self.nationalities[0] if self.nationalities else "",
        }
        values.update({k: v for k, v in optional.items() if v})
        if self.nationalities:
            values["nationality"] = list(self.nationalities)
        if self.birth_locality or self.birth_country:
            values["birth_place"] = {
                k: v
                for k, v in (("locality", self.birth_locality), ("country", self.birth_country))
                if v
            }
        if self.sex:
            values["sex"] = self.sex
        if portrait := portrait_jpeg_base64(self.key):
            values["portrait"] = portrait
        return values


BUILT_IN_IDENTITIES: tuple[TestIdentity, ...] = (
    TestIdentity(
        key="erika",
        given_name="Erika",
        family_name="Mustermann",
        birth_date="1984-08-12",
        nationalities=("DE",),
        personal_administrative_number="DE-7781-4420-1093",
        document_number="T22000129",
        birth_locality="Berlin",
        birth_country="DE",
        street="Heidestraße",
        house_number="17",
        postal_code="51147",
        city="Köln",
        country="DE",
        email="erika.mustermann@example.de",
        phone="+49 30 1234567",
        sex=2,
        look=Look((214, 228, 255), (241, 204, 170), (120, 72, 40), (47, 59, 216)),
    ),
    TestIdentity(
        key="lucia",
        given_name="Lucía",
        family_name="Fernández",
        birth_date="1991-03-21",
        nationalities=("ES", "AR"),
        personal_administrative_number="ES-48213377K",
        document_number="PAA123456",
        birth_locality="Madrid",
        birth_country="ES",
        street="Calle de Alcalá",
        house_number="45",
        postal_code="28014",
        city="Madrid",
        country="ES",
        email="lucia.fernandez@example.es",
        sex=2,
        look=Look((255, 229, 214), (198, 146, 110), (35, 25, 20), (15, 138, 75)),
    ),
    TestIdentity(
        key="jan",
        given_name="Jan",
        family_name="Kowalski",
        birth_date="1978-11-02",
        nationalities=("PL",),
        personal_administrative_number="PL-78110212345",
        document_number="ABA300000",
        birth_locality="Kraków",
        birth_country="PL",
        street="ul. Floriańska",
        house_number="3",
        postal_code="31-019",
        city="Kraków",
        country="PL",
        email="jan.kowalski@example.pl",
        sex=1,
        look=Look((225, 245, 232), (236, 194, 160), (200, 170, 110), (161, 92, 0)),
    ),
)
IDENTITIES_BY_KEY = {identity.key: identity for identity in BUILT_IN_IDENTITIES}
