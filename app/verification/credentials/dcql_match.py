"""DCQL evaluation of verified credentials (OpenID4VP 1.0 sections 6 and 7), on the verifier.

- `parse_dcql`: the query this bank sent, checked and bounded (a malformed one is our own
  bug: ValueError, never a PresentationError);
- `select_claims`: a claims path pointer applied to a credential's claims (7.1.1; an mdoc's
  claims are {namespace: {element: value}}, so its two-string pointers (7.2.1) select the
  same way);
- `matched_claims`: the claims a credential query asked for (6.3, 6.4.1: `values`, then the
  first satisfiable `claim_sets` option, else every claim), and only those: everything
  else the presentation held is left out of the result (data minimization, 15.4);
- `check_credential_sets`: the answered queries against 6.2 / 6.4.2.

DCQL mismatches raise PresentationError "credential-query-evaluation"; details name query
ids and claim paths, never claim values.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from math import prod
from typing import Any

from .errors import PresentationError

MAX_CREDENTIAL_QUERIES = 8
MAX_CLAIMS_PER_QUERY = 64
MAX_POINTER_LENGTH = 16
MAX_SET_COMBINATIONS = 256
FORMATS = ("dc+sd-jwt", "mso_mdoc")
_ID = re.compile(r"[A-Za-z0-9_-]+")  # 6.1 and 6.3: alphanumeric, underscore, hyphen

Pointer = tuple[str | int | None, ...]
ConcretePath = tuple[str | int, ...]
Value = str | int | bool


def _mismatch(detail: str) -> PresentationError:
    return PresentationError("credential-query-evaluation", detail)


@dataclass(frozen=True)
class ClaimQuery:
    id: str | None
    path: Pointer
    values: tuple[Value, ...] | None = None

    @property
    def name(self) -> str:
        """The pointer as text for details: address.formatted, degrees.*.type."""
        return ".".join("*" if p is None else str(p) for p in self.path)


@dataclass(frozen=True)
class CredentialQuery:
    id: str
    format: str
    meta: Mapping[str, Any]
    multiple: bool = False
    claims: tuple[ClaimQuery, ...] | None = None  # None: `claims` absent (6.4.1)
    claim_sets: tuple[tuple[str, ...], ...] | None = None


@dataclass(frozen=True)
class CredentialSet:
    options: tuple[frozenset[str], ...]
    required: bool = True  # 6.2: omitted means true


@dataclass(frozen=True)
class DcqlQuery:
    credentials: Mapping[str, CredentialQuery]  # by id, in the query's order
    credential_sets: tuple[CredentialSet, ...] | None = None


def _pointer(raw: Any, fmt: str) -> Pointer:
    """7: a non-empty array of strings, nulls and non-negative integers; for mdoc (7.2)
    exactly a namespace and an element identifier."""
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_POINTER_LENGTH:
        raise ValueError("a claims path pointer is not a non-empty (short) array")
    for part in raw:
        if not (part is None or isinstance(part, str) or (type(part) is int and part >= 0)):
            raise ValueError("a claims path pointer holds something else than a name or index")
    if fmt == "mso_mdoc" and (len(raw) != 2 or not all(isinstance(p, str) for p in raw)):
        raise ValueError("an mdoc claims path pointer is not [namespace, element]")
    return tuple(raw)


def _claim(raw: Any, fmt: str) -> ClaimQuery:
    if not isinstance(raw, Mapping):
        raise ValueError("a claims query is not an object")
    claim_id, values = raw.get("id"), raw.get("values")
    if claim_id is not None and not (isinstance(claim_id, str) and _ID.fullmatch(claim_id)):
        raise ValueError("a claim id is not an identifier")
    if values is not None:  # 6.3: a non-empty array of strings, integers or booleans
        if not isinstance(values, list) or not values:
            raise ValueError("claim values are not a non-empty array")
        if not all(isinstance(v, str | bool) or type(v) is int for v in values):
            raise ValueError("claim values are not strings, integers or booleans")
        values = tuple(values)
    return ClaimQuery(claim_id, _pointer(raw.get("path"), fmt), values)


def _credential_query(raw: Any) -> CredentialQuery:
    if not isinstance(raw, Mapping):
        raise ValueError("a credential query is not an object")
    query_id, fmt, meta = raw.get("id"), raw.get("format"), raw.get("meta")
    if not (isinstance(query_id, str) and _ID.fullmatch(query_id)):
        raise ValueError("a credential query id is not an identifier")
    if fmt not in FORMATS:
        raise ValueError(f"credential query {query_id}: format {fmt!r} is not supported")
    if not isinstance(meta, Mapping):
        raise ValueError(f"credential query {query_id}: meta is required (6.1)")
    if fmt == "dc+sd-jwt":  # B.3.5
        vct_values = meta.get("vct_values")
        if not isinstance(vct_values, list) or not vct_values:
            raise ValueError(f"credential query {query_id}: no vct_values")
        if not all(isinstance(v, str) for v in vct_values):
            raise ValueError(f"credential query {query_id}: vct_values are not strings")
    elif not isinstance(meta.get("doctype_value"), str):  # B.2.3
        raise ValueError(f"credential query {query_id}: no doctype_value")
    multiple = raw.get("multiple", False)
    if not isinstance(multiple, bool):
        raise ValueError(f"credential query {query_id}: multiple is not a boolean")
    claims = raw.get("claims")
    parsed: tuple[ClaimQuery, ...] | None = None
    if claims is not None:
        if not isinstance(claims, list) or not 0 < len(claims) <= MAX_CLAIMS_PER_QUERY:
            raise ValueError(f"credential query {query_id}: claims is not a non-empty array")
        parsed = tuple(_claim(c, str(fmt)) for c in claims)
    claim_sets = _claim_sets(query_id, raw.get("claim_sets"), parsed)
    return CredentialQuery(query_id, str(fmt), meta, multiple, parsed, claim_sets)


def _claim_sets(
    query_id: str, raw: Any, claims: tuple[ClaimQuery, ...] | None
) -> tuple[tuple[str, ...], ...] | None:
    if raw is None:
        return None
    if claims is None:  # 6.4.1: claim_sets MUST NOT be present if claims is absent
        raise ValueError(f"credential query {query_id}: claim_sets without claims")
    ids = [c.id for c in claims]
    if None in ids or len(set(ids)) != len(ids):  # 6.3: id required and unique
        raise ValueError(f"credential query {query_id}: claim ids missing or repeated")
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"credential query {query_id}: claim_sets is not a non-empty array")
    for option in raw:
        if not isinstance(option, list) or not set(option) <= set(ids):
            raise ValueError(f"credential query {query_id}: a claim set names unknown claims")
    return tuple(tuple(option) for option in raw)


def parse_dcql(dcql: Mapping[str, Any]) -> DcqlQuery:
    """The query as sent; ValueError when it is not one this verifier can evaluate."""
    raw = dcql.get("credentials")
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_CREDENTIAL_QUERIES:
        raise ValueError("credentials is not a non-empty (short) array")
    queries = [_credential_query(q) for q in raw]
    credentials = {q.id: q for q in queries}
    if len(credentials) != len(queries):
        raise ValueError("a credential query id is repeated (6.1)")
    raw_sets = dcql.get("credential_sets")
    if raw_sets is None:
        return DcqlQuery(credentials)
    if not isinstance(raw_sets, list) or not raw_sets:
        raise ValueError("credential_sets is not a non-empty array")
    sets: list[CredentialSet] = []
    for item in raw_sets:
        options = item.get("options") if isinstance(item, Mapping) else None
        required = item.get("required", True) if isinstance(item, Mapping) else None
        if not isinstance(options, list) or not options or not isinstance(required, bool):
            raise ValueError("a credential set has no options or a bad `required`")
        for option in options:
            if not isinstance(option, list) or not option or not set(option) <= credentials.keys():
                raise ValueError("a credential set option names unknown credential queries")
        sets.append(CredentialSet(tuple(frozenset(o) for o in options), required))
    if prod(len(s.options) + (not s.required) for s in sets) > MAX_SET_COMBINATIONS:
        raise ValueError("credential_sets has too many combinations")
    return DcqlQuery(credentials, tuple(sets))


# -- claims ----------------------------------------------------------------------------------


def select_claims(root: Any, pointer: Pointer) -> list[tuple[ConcretePath, Any]]:
    """7.1.1: the selected elements with their concrete paths; [] where processing aborts
    with an error (a name applied to a non-object, an index or null to a non-array) or
    selects nothing."""
    selected: list[tuple[ConcretePath, Any]] = [((), root)]
    for part in pointer:
        following: list[tuple[ConcretePath, Any]] = []
        for where, node in selected:
            if isinstance(part, str):
                if not isinstance(node, Mapping):
                    return []
                if part in node:
                    following.append(((*where, part), node[part]))
            elif not isinstance(node, list):
                return []
            elif part is None:
                following.extend(((*where, i), v) for i, v in enumerate(node))
            elif part < len(node):
                following.append(((*where, part), node[part]))
        selected = following
    return selected


def _same(value: Any, expected: Value) -> bool:
    """6.3: type and value both match exactly (True is no 1, 1 is no "1")."""
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(expected, bool) and value is expected
    return type(value) is type(expected) and value == expected


def _matches(claim: ClaimQuery, claims: Mapping[str, Any]) -> list[tuple[ConcretePath, Any]]:
    found = select_claims(claims, claim.path)
    if claim.values is None:
        return found
    return [(p, v) for p, v in found if any(_same(v, e) for e in claim.values)]


class _Array(dict[int, Any]):
    """An array being rebuilt from some of its elements (original index -> element)."""


class _Partial(dict[str, Any]):
    """An object being rebuilt from some of its members."""


def _keep(tree: dict[Any, Any], path: ConcretePath, value: Any) -> None:
    node: dict[Any, Any] = tree
    for index, part in enumerate(path[:-1]):
        child = node.get(part)
        if child is None:
            child = _Array() if isinstance(path[index + 1], int) else _Partial()
            node[part] = child
        elif not isinstance(child, _Array | _Partial):
            return  # an enclosing claim is already kept whole
        node = child
    node[path[-1]] = copy.deepcopy(value)


def _built(node: Any) -> Any:
    if isinstance(node, _Array):  # elements in their original order, the gaps closed
        return [_built(node[i]) for i in sorted(node)]
    if isinstance(node, _Partial):
        return {k: _built(v) for k, v in node.items()}
    return node


def _minimal(kept: Sequence[tuple[ConcretePath, Any]]) -> dict[str, Any]:
    """Only the selected claims, inside their parents: ["address", "formatted"] keeps
    {"address": {"formatted": ...}}. Whole claims are kept before their parts."""
    tree = _Partial()
    for path, value in sorted(kept, key=lambda item: len(item[0])):
        _keep(tree, path, value)
    result = _built(tree)
    assert isinstance(result, dict)
    return result


def matched_claims(query: CredentialQuery, claims: Mapping[str, Any]) -> dict[str, Any]:
    """6.4.1 on a verified credential's claims: the requested claims only, or
    PresentationError when the credential does not hold them."""
    if query.claims is None:
        return {}  # no selectively disclosable claim was asked for: none is passed on
    found = {i: _matches(claim, claims) for i, claim in enumerate(query.claims)}
    if query.claim_sets is None:
        for i, claim in enumerate(query.claims):
            if not found[i]:
                raise _mismatch(f"credential '{query.id}' lacks the requested claim {claim.name}")
        return _minimal([item for items in found.values() for item in items])
    by_id = {claim.id: i for i, claim in enumerate(query.claims)}
    for option in query.claim_sets:  # the first satisfiable option wins (6.4.1)
        if all(found[by_id[claim_id]] for claim_id in option):
            return _minimal([item for claim_id in option for item in found[by_id[claim_id]]])
    raise _mismatch(f"credential '{query.id}' does not satisfy any of the requested claim sets")


# -- credential sets -------------------------------------------------------------------------


def check_credential_sets(query: DcqlQuery, answered: frozenset[str]) -> None:
    """6.4.2: without credential_sets every query is answered; with them, every required set
    by one of its options, optional sets by one option or not at all, and nothing else."""
    if query.credential_sets is None:
        missing = [q for q in query.credentials if q not in answered]
        if missing:
            raise _mismatch(f"no presentation answers the credential query '{missing[0]}'")
        return
    choices = [
        [*s.options, *([frozenset()] if not s.required else [])] for s in query.credential_sets
    ]
    unions = [frozenset().union(*combination) for combination in product(*choices)]
    if answered in unions:
        return
    if any(answered < union for union in unions):
        raise _mismatch("the presentations do not satisfy every required credential set")
    raise _mismatch("presentations were sent for credential queries that were not needed")
