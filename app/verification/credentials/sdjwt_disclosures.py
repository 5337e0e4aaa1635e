"""Disclosures of an SD-JWT and how they are embedded into its payload (RFC 9901).

`process_disclosures` is section 7.1 step 3 to 5: it decodes every Disclosure, embeds it
where its digest is referenced (object `_sd` arrays, array `{"...": digest}` elements,
recursively inside disclosed values), drops decoys and undisclosed digests, and refuses
anything the section says MUST be rejected. All failures are "invalid-credential".
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import PresentationError
from .jose import MAX_JSON_DEPTH, b64url_decode, b64url_encode, strict_json

SD_ALG = "sha-256"  # the only `_sd_alg` accepted (section 4.1.1: absent means sha-256)
MAX_DISCLOSURES = 100  # a full PID has about 40 (every member of address, age, ...)

ClaimPath = tuple[str | int, ...]


def sha256_b64url(data: bytes) -> str:
    return b64url_encode(hashlib.sha256(data).digest())


def disclosure_digest(encoded: str) -> str:
    """Section 4.2.3: over the ASCII of the Disclosure as sent, not over its decoded bytes."""
    return sha256_b64url(encoded.encode("ascii"))


def _invalid(detail: str) -> PresentationError:
    return PresentationError("invalid-credential", detail)


@dataclass(frozen=True)
class Disclosure:
    encoded: str
    digest: str
    salt: str
    name: str | None  # None for an array element (section 4.2.2)
    value: Any


def decode_disclosure(encoded: str) -> Disclosure:
    """Sections 4.2.1 and 4.2.2: [salt, name, value] or [salt, value], salt and name strings."""
    try:
        content = strict_json(b64url_decode(encoded))
    except ValueError:
        raise _invalid("a disclosure is not base64url-encoded JSON") from None
    if not isinstance(content, list) or len(content) not in (2, 3):
        raise _invalid("a disclosure is not [salt, name, value] or [salt, value]")
    if not isinstance(content[0], str):
        raise _invalid("a disclosure salt is not a string")
    digest = disclosure_digest(encoded)
    if len(content) == 2:
        return Disclosure(encoded, digest, content[0], None, content[1])
    name = content[1]
    if not isinstance(name, str):
        raise _invalid("a disclosure claim name is not a string")
    if name in ("_sd", "..."):  # section 7.1 step 3.3.2.2
        raise _invalid("a disclosure uses the reserved claim name _sd or ...")
    return Disclosure(encoded, digest, content[0], name, content[2])


@dataclass(frozen=True)
class ProcessedPayload:
    payload: dict[str, Any]  # the "Processed SD-JWT Payload" of section 7.1
    disclosed_paths: frozenset[ClaimPath]  # where a Disclosure put a value (indices after 7.1 3.4)


class _Embedder:
    """One pass over the payload; every digest met is remembered to catch repeats."""

    def __init__(self, disclosures: Mapping[str, Disclosure]) -> None:
        self.disclosures = disclosures
        self.seen: set[str] = set()
        self.used: set[str] = set()
        self.paths: set[ClaimPath] = set()

    def _lookup(self, digest: str) -> Disclosure | None:
        if digest in self.seen:  # section 4.1 and 7.1 step 4
            raise _invalid("a digest is referenced more than once")
        self.seen.add(digest)
        disclosure = self.disclosures.get(digest)
        if disclosure is not None:
            self.used.add(digest)
        return disclosure

    def value(self, node: Any, path: ClaimPath) -> Any:
        if len(path) > MAX_JSON_DEPTH:
            raise _invalid("the credential is nested too deeply")
        if isinstance(node, dict):
            return self.object(node, path)
        if isinstance(node, list):
            return self.array(node, path)
        return node

    def object(self, node: dict[str, Any], path: ClaimPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, value in node.items():
            if name == "...":  # section 4.1 rule 7: only as an array element digest
                raise _invalid("an object has a ... member outside an array")
            if name != "_sd":
                result[name] = self.value(value, (*path, name))
        if "_sd" not in node:
            return result
        digests = node["_sd"]
        if not isinstance(digests, list) or not all(isinstance(d, str) for d in digests):
            raise _invalid("an _sd member is not an array of digests")  # section 4.2.4.1
        for digest in digests:
            disclosure = self._lookup(digest)
            if disclosure is None:
                continue  # a decoy, or a claim the holder did not disclose (step 3.3.1)
            if disclosure.name is None:  # step 3.3.2.1
                raise _invalid("an array element disclosure is referenced from an _sd array")
            if disclosure.name in result:  # step 3.3.2.3
                raise _invalid("a disclosed claim name already exists in its object")
            claim_path = (*path, disclosure.name)
            result[disclosure.name] = self.value(disclosure.value, claim_path)
            self.paths.add(claim_path)
        return result

    def array(self, node: list[Any], path: ClaimPath) -> list[Any]:
        result: list[Any] = []
        for element in node:
            if not (isinstance(element, dict) and "..." in element):
                result.append(self.value(element, (*path, len(result))))
                continue
            digest = element["..."]
            if len(element) != 1 or not isinstance(digest, str):  # section 4.2.4.2
                raise _invalid("an array element digest is malformed")
            disclosure = self._lookup(digest)
            if disclosure is None:
                continue  # step 3.4: removed
            if disclosure.name is not None:  # step 3.3.3.1
                raise _invalid("an object property disclosure is referenced from an array")
            claim_path = (*path, len(result))
            result.append(self.value(disclosure.value, claim_path))
            self.paths.add(claim_path)
        return result


def check_sd_alg(payload: Mapping[str, Any]) -> str:
    """Section 4.1.1 / 7.1 step 2.5: the digest algorithm, sha-256 being the only one here."""
    sd_alg = payload.get("_sd_alg", SD_ALG)
    if sd_alg != SD_ALG:
        raise _invalid("the credential uses an unsupported _sd_alg")
    return SD_ALG


def process_disclosures(payload: Mapping[str, Any], disclosures: Sequence[str]) -> ProcessedPayload:
    """Section 7.1 steps 3 to 5 over the verified issuer-signed payload."""
    check_sd_alg(payload)
    if len(disclosures) > MAX_DISCLOSURES:
        raise _invalid("the presentation has too many disclosures")
    by_digest: dict[str, Disclosure] = {}
    for encoded in disclosures:
        disclosure = decode_disclosure(encoded)
        if disclosure.digest in by_digest:  # section 4: "MUST NOT ... more than once"
            raise _invalid("the same disclosure was sent twice")
        by_digest[disclosure.digest] = disclosure
    embedder = _Embedder(by_digest)
    processed = embedder.object(dict(payload), ())
    processed.pop("_sd_alg", None)  # step 3.6
    if len(embedder.used) != len(by_digest):  # step 5
        raise _invalid("a disclosure is not referenced by the credential")
    return ProcessedPayload(processed, frozenset(embedder.paths))
