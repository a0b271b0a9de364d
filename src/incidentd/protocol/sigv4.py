"""Verification of AWS Signature Version 4 on incoming requests."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import quote_from_bytes, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# AWS caps presigned URLs at seven days; SDKs refuse to sign longer ones.
MAX_EXPIRES_SECONDS = 7 * 24 * 3600
# The awsJson protocols name the operation in this header, so a signature authorizes an operation only if it covers it.
TARGET_HEADER = "x-amz-target"
# What a verified request's query, path and signed-header list are kept for: bounded in count and in size, so even a
# caller with a valid key pins at most a few MB, and filled only after a signature checked out, so nothing an
# unauthenticated request sends stays behind.
_KEPT_ENTRIES = 1024
_KEPT_KEY_BYTES = 1024
_Raw = TypeVar("_Raw", bytes, str)
_Value = TypeVar("_Value")

_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class Credential:
    """An access key pair and the account it belongs to."""

    access_key_id: str
    secret_access_key: str
    account_id: str


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a microsecond per request
class SignedRequestInfo:
    """Who signed a verified request, and for which region and service."""

    access_key_id: str
    account_id: str
    region: str
    service: str  # the signing service from the credential scope


class AuthError(Exception):
    """An authentication failure with AWS's error code, HTTP status and message."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _incomplete(message: str) -> AuthError:
    return AuthError("IncompleteSignatureException", message, 400)


def _invalid(message: str) -> AuthError:
    return AuthError("InvalidSignatureException", message, 403)


@dataclass(slots=True)
class _Parsed:
    """The signature parameters, whichever form carried them."""

    credential: str
    signed_headers: str
    signature: str
    timestamp: str  # YYYYMMDDTHHMMSSZ, exactly as it enters the string to sign
    presigned: bool
    names_to_keep: frozenset[str] | None  # the signed-header names, when they were worked out for this request


def signing_service(headers: Mapping[str, str], query_string: bytes) -> str | None:
    """The service named in the credential scope (Authorization header or X-Amz-Credential), or None when unsigned."""
    authorization = headers.get("authorization")
    if authorization is not None:
        credential = _parse_authorization(authorization)[1].get("Credential")
    else:
        credential = _query_param(_split_query(query_string), "X-Amz-Credential")
    parts = credential.split("/") if credential else []
    if len(parts) != 5 or not parts[3]:
        return None
    return parts[3]


class SigV4Verifier:
    """Checks SigV4 signatures against credentials from a lookup function."""

    def __init__(self, lookup: Callable[[str], Credential | None], max_skew_seconds: int = 900) -> None:
        self._lookup = lookup
        self._max_skew = timedelta(seconds=max_skew_seconds)
        # Deriving the key costs four HMACs and only changes daily per key,
        # so a small per-verifier cache removes it from the hot path. Its arguments are bounded and checked
        # (a known key's secret, the signing date, a region of at most 64 characters, an expected service).
        self._signing_key = functools.lru_cache(maxsize=256)(_derive_signing_key)
        # Canonical forms of what verified requests sent, by the raw bytes: see _keep.
        self._canonical_queries: dict[bytes, str] = {}
        self._canonical_uris: dict[bytes, str] = {}
        self._signed_names: dict[str, frozenset[str]] = {}

    def verify(
        self,
        *,
        method: str,
        raw_path: bytes,
        query_string: bytes,
        headers: Mapping[str, str],
        body: bytes,
        expected_services: Collection[str],
        now: datetime,
    ) -> SignedRequestInfo:
        """Return who signed the request, or raise AuthError as AWS would."""
        now = _as_utc(now)
        authorization = headers.get("authorization")
        query: tuple[tuple[bytes, bytes], ...] = ()
        if authorization is not None:
            parsed = self._parse_header_form(authorization, headers, now)
            canonical_query = self._canonical_queries.get(query_string)
            new_query = canonical_query is None
            if canonical_query is None:
                query = _split_query(query_string)
                canonical_query = _canonical_query(query, drop_signature=False)
        else:
            query = _split_query(query_string)
            if not any(_query_param(query, name) is not None for name in _QUERY_AUTH_MARKERS):
                raise AuthError("MissingAuthenticationTokenException", "Request is missing Authentication Token", 403)
            if TARGET_HEADER in headers:
                # The operation and its input travel in a header and a body, which a URL cannot carry, and a URL
                # that could would authorize a write for up to a week: the awsJson APIs take no presigned URLs.
                raise _invalid(
                    "Presigned URLs are not accepted for requests that name their operation in X-Amz-Target: "
                    "sign the request in the Authorization header."
                )
            parsed = self._parse_query_form(query, now)
            canonical_query = _canonical_query(query, drop_signature=True)
            new_query = False  # each presigned URL's query differs by its signature: not worth keeping

        access_key_id, date, region, service = _check_scope(parsed, expected_services)
        credential = self._lookup(access_key_id)
        if credential is None:
            raise AuthError(
                "UnrecognizedClientException", "The security token included in the request is invalid.", 403
            )

        payload_hash = headers.get("x-amz-content-sha256")
        if payload_hash is None and parsed.presigned:
            # The JS SDK's presigner hoists x-amz-* headers, this one included, into the query.
            payload_hash = _query_param(query, "X-Amz-Content-Sha256")
        body_hash = hashlib.sha256(body).hexdigest()
        if payload_hash is None:
            # What boto3 and the aws-cli do for these services: no header, the body's hash signed.
            payload_hash = body_hash

        canonical_uri = self._canonical_uris.get(raw_path)
        new_uri = canonical_uri is None
        if canonical_uri is None:
            canonical_uri = _canonical_uri(raw_path)
        canonical_request = "\n".join(
            (
                method.upper(),
                canonical_uri,
                canonical_query,
                _canonical_headers(parsed.signed_headers, headers),
                parsed.signed_headers,
                payload_hash,
            )
        )
        string_to_sign = "\n".join(
            (
                ALGORITHM,
                parsed.timestamp,
                f"{date}/{region}/{service}/{TERMINATOR}",
                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
            )
        )
        key = self._signing_key(credential.secret_access_key, date, region, service)
        expected = hmac.digest(key, string_to_sign.encode("utf-8"), "sha256").hex()  # one C call, no HMAC object
        if not hmac.compare_digest(expected.encode(), parsed.signature.encode("utf-8", "surrogatepass")):
            raise _invalid(_SIGNATURE_MISMATCH)

        # The signature covers the declared hash, not the body: make sure they agree.
        if payload_hash != body_hash:  # the usual case answers in one compare
            if payload_hash == UNSIGNED_PAYLOAD:
                # Only Amazon S3 takes an unsigned payload; these services need the body signed, or a request
                # signed once could be replayed with any other body.
                raise _invalid(
                    "x-amz-content-sha256: UNSIGNED-PAYLOAD is accepted only by Amazon S3; "
                    f"{service} requires the SHA-256 of the body to be signed."
                )
            if len(payload_hash) != 64 or not _HEX.issuperset(payload_hash):
                raise _incomplete("x-amz-content-sha256 must be a valid sha256 value.")
            if payload_hash.lower() != body_hash:
                raise _invalid("The provided 'x-amz-content-sha256' header does not match what was computed.")

        # Only now, with the signature checked, is anything the request sent worth keeping.
        if new_query:
            _keep(self._canonical_queries, query_string, canonical_query)
        if new_uri:
            _keep(self._canonical_uris, raw_path, canonical_uri)
        if parsed.names_to_keep is not None:
            _keep(self._signed_names, parsed.signed_headers, parsed.names_to_keep)
        return SignedRequestInfo(access_key_id, credential.account_id, region, service)

    def _parse_header_form(self, authorization: str, headers: Mapping[str, str], now: datetime) -> _Parsed:
        """Read and pre-check the Authorization-header form."""
        algorithm, params, bad_pair = _parse_authorization(authorization)
        if algorithm != ALGORITHM:
            raise _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'.")
        if bad_pair is not None:
            raise _incomplete(
                f"'{bad_pair}' not a valid key=value pair (missing equal-sign) "
                f"in Authorization header: '{authorization}'."
            )
        # X-Amz-Date wins; botocore signs the Date header instead when a caller set one.
        amz_date = headers.get("x-amz-date")
        raw_date = amz_date if amz_date is not None else headers.get("date")
        missing = [
            f"Authorization header requires '{name}' parameter."
            for name in ("Credential", "Signature", "SignedHeaders")
            if not params.get(name)
        ]
        if raw_date is None:
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        if missing or raw_date is None:
            # AWS names only the algorithm here, not the whole header.
            raise _incomplete(" ".join(missing) + f" Authorization={algorithm}")
        signed_headers = params["SignedHeaders"]
        names = self._signed_names.get(signed_headers)
        names_to_keep = None
        if names is None:
            names = names_to_keep = _signed_header_names(signed_headers)
        if TARGET_HEADER in headers and TARGET_HEADER not in names:
            raise _invalid("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.")
        signed_at = _parse_timestamp(raw_date, allow_http_date=amz_date is None)
        self._check_skew(signed_at, now, past=True)
        # The string to sign carries the time in basic format: X-Amz-Date already is; a Date header is not.
        timestamp = amz_date if amz_date is not None else _format(signed_at)
        return _Parsed(params["Credential"], signed_headers, params["Signature"], timestamp, False, names_to_keep)

    def _parse_query_form(self, query: tuple[tuple[bytes, bytes], ...], now: datetime) -> _Parsed:
        """Read and pre-check the presigned (query-string) form."""
        values = {name: value for name in _QUERY_AUTH_REQUIRED if (value := _query_param(query, name))}
        missing = [f"AWS query-string parameters must include '{n}'." for n in _QUERY_AUTH_REQUIRED if n not in values]
        if missing:
            raise _incomplete(" ".join(missing) + " Re-examine the query-string parameters.")
        if values["X-Amz-Algorithm"] != ALGORITHM:
            raise _incomplete(f"Unsupported AWS 'algorithm': '{values['X-Amz-Algorithm']}'.")
        _signed_header_names(values["X-Amz-SignedHeaders"])
        signed_at = _parse_timestamp(values["X-Amz-Date"], allow_http_date=False)

        expires = _query_param(query, "X-Amz-Expires")
        if expires is None:
            # Without X-Amz-Expires the URL is held to the ordinary clock-skew window.
            self._check_skew(signed_at, now, past=True)
        else:
            if not (expires.isascii() and expires.isdigit()):
                raise _incomplete(f"X-Amz-Expires should be a number of seconds, got '{expires}'.")
            lifetime = int(expires)
            if lifetime > MAX_EXPIRES_SECONDS:
                raise _incomplete(
                    f"X-Amz-Expires must be less than a week (in seconds); that is, "
                    f"the given X-Amz-Expires must be less than {MAX_EXPIRES_SECONDS} seconds."
                )
            self._check_skew(signed_at, now, past=False)
            deadline = signed_at + timedelta(seconds=lifetime)
            if deadline < now:
                raise _invalid(
                    f"Signature expired: the presigned URL was valid until {_format(deadline)} "
                    f"(X-Amz-Date {_format(signed_at)} + X-Amz-Expires {lifetime} s); "
                    f"it is now {_format(now)}."
                )
        return _Parsed(
            values["X-Amz-Credential"],
            values["X-Amz-SignedHeaders"],
            values["X-Amz-Signature"],
            values["X-Amz-Date"],
            True,
            None,
        )

    def _check_skew(self, signed_at: datetime, now: datetime, *, past: bool) -> None:
        """Refuse a signing time too far from now, worded as AWS does."""
        earliest = now - self._max_skew
        latest = now + self._max_skew
        if past and signed_at < earliest:
            raise _invalid(
                f"Signature expired: {_format(signed_at)} is now earlier than "
                f"{_format(earliest)} ({_format(now)} - {_describe(self._max_skew)})"
            )
        if signed_at > latest:
            raise _invalid(
                f"Signature not yet current: {_format(signed_at)} is still later than "
                f"{_format(latest)} ({_format(now)} + {_describe(self._max_skew)})"
            )


_QUERY_AUTH_REQUIRED = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)
_QUERY_AUTH_MARKERS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")


def _parse_authorization(value: str) -> tuple[str, dict[str, str], str | None]:
    """Split an Authorization header into algorithm, parameters and the first pair lacking '='."""
    algorithm, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    bad_pair: str | None = None
    for part in rest.split(","):
        part = part.strip()
        if not part:
            continue
        name, equals, param = part.partition("=")
        if not equals:
            bad_pair = bad_pair or part
            continue
        params[name.strip()] = param.strip()
    return algorithm, params, bad_pair


def _signed_header_names(signed_headers: str) -> frozenset[str]:
    """The names in a SignedHeaders list, lower-cased; AWS refuses signatures that do not cover the Host header."""
    names = frozenset(name.strip().lower() for name in signed_headers.split(";"))
    if "host" not in names and ":authority" not in names:
        raise _invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    return names


def _keep(cache: dict[_Raw, _Value], key: _Raw, value: _Value) -> None:
    """Keep a verified request's canonical form, unless its raw key is long; the oldest entry makes room."""
    if len(key) > _KEPT_KEY_BYTES:
        return
    if len(cache) >= _KEPT_ENTRIES:
        # Another thread may have taken the oldest entry first: then there is room already.
        with contextlib.suppress(KeyError, RuntimeError, StopIteration):
            del cache[next(iter(cache))]
    cache[key] = value


# AWS's region names are under 20 characters; the bound keeps the signing-key cache's keys small.
_REGION = re.compile(r"[A-Za-z0-9-]{1,64}")


def _check_scope(parsed: _Parsed, expected_services: Collection[str]) -> tuple[str, str, str, str]:
    """Validate the credential scope and return (access key, date, region, service)."""
    parts = parsed.credential.split("/")
    if len(parts) != 5:
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{parsed.credential}'"
        )
    access_key_id, date, region, service, terminator = parts
    problems = []
    if _REGION.fullmatch(region) is None:
        problems.append(f"Credential should be scoped to a valid region, not '{region}'.")
    if service not in expected_services:
        wanted = "', '".join(sorted(expected_services))
        problems.append(f"Credential should be scoped to correct service: '{wanted}'.")
    if terminator != TERMINATOR:
        problems.append(f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'.")
    if date != parsed.timestamp[:8]:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{date}' != '{parsed.timestamp[:8]}', from '{parsed.timestamp}'."
        )
    if problems:
        # AWS lists every problem, each sentence followed by a space.
        raise _invalid("".join(p + " " for p in problems))
    return access_key_id, date, region, service


def _parse_timestamp(value: str, *, allow_http_date: bool) -> datetime:
    """Parse a YYYYMMDDTHHMMSSZ time (or, for the Date header, an HTTP date) as UTC."""
    if len(value) == 16:
        basic = _parse_basic_timestamp(value)
        if basic is not None:
            return basic
    elif allow_http_date:
        # botocore rewrites a Date header it signs into RFC 1123 form.
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            return _as_utc(parsed)
    raise _incomplete(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


# Requests signed in the same second carry the same time: under load most of them find it parsed already. Only
# 16-character values reach the cache, so what an unsigned request leaves in it is at most 64 short strings.
@functools.lru_cache(maxsize=64)
def _parse_basic_timestamp(value: str) -> datetime | None:
    """A YYYYMMDDTHHMMSSZ time as UTC, or None when the value is not one."""
    if not (value.isascii() and value[:8].isdigit() and value[8] == "T" and value[9:15].isdigit() and value[15] == "Z"):
        return None
    try:
        # Sliced by hand: strptime is the slowest step of verifying a request.
        return datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[9:11]),
            int(value[11:13]),
            int(value[13:15]),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def _as_utc(moment: datetime) -> datetime:
    # A naive time (an HTTP date with "-0000") is taken to be UTC already.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _format(moment: datetime) -> str:
    return moment.strftime(TIMESTAMP_FORMAT)


def _describe(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    return f"{seconds // 60} min." if seconds % 60 == 0 else f"{seconds} sec."


def _derive_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The SigV4 signing key: an HMAC chain over the credential scope."""
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _unquote(raw: bytes) -> bytes:
    # '+' is a space: botocore's AWSRequest form-encodes `params` onto the wire
    # while signing them with %20, and no SDK sends a literal '+'.
    return unquote_to_bytes(raw.replace(b"+", b" "))


def _split_query(query_string: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """Decoded (key, value) pairs of a raw query string, in wire order."""
    pairs = []
    for item in query_string.split(b"&"):
        if item:
            key, _, value = item.partition(b"=")
            pairs.append((_unquote(key), _unquote(value)))
    return tuple(pairs)


def _query_param(query: tuple[tuple[bytes, bytes], ...], name: str) -> str | None:
    """The first value of a query parameter, or None."""
    wanted = name.encode()
    for key, value in query:
        if key == wanted:
            return value.decode("utf-8", "replace")
    return None


def _canonical_query(query: tuple[tuple[bytes, bytes], ...], *, drop_signature: bool) -> str:
    """Parameters re-encoded with only unreserved characters left bare, sorted by key then value."""
    encoded = sorted(
        (quote_from_bytes(key, safe=""), quote_from_bytes(value, safe=""))
        for key, value in query
        if not (drop_signature and key == b"X-Amz-Signature")
    )
    return "&".join(f"{key}={value}" for key, value in encoded)


def _canonical_uri(raw_path: bytes) -> str:
    """The path as botocore and the JS SDK sign it for non-S3 services.

    Both normalise the already percent-encoded path and encode it once more,
    so '%3A' on the wire is '%253A' in the canonical request.
    """
    return quote_from_bytes(_remove_dot_segments(raw_path), safe="/~")


def _remove_dot_segments(path: bytes) -> bytes:
    """RFC 3986 dot-segment removal that also collapses repeated slashes, as the SDKs do."""
    if not path:
        return b"/"
    segments: list[bytes] = []
    for segment in path.split(b"/"):
        if segment == b"..":
            if segments:
                segments.pop()
        elif segment and segment != b".":
            segments.append(segment)
    leading = b"/" if path.startswith(b"/") else b""
    trailing = b"/" if path.endswith(b"/") and segments else b""
    return leading + b"/".join(segments) + trailing


def _canonical_headers(signed_headers: str, headers: Mapping[str, str]) -> str:
    """One 'name:value' line per signed header, values trimmed and inner whitespace collapsed."""
    lines = []
    for name in signed_headers.split(";"):
        value = headers.get(name.lower(), "")
        lines.append(f"{name}:{' '.join(value.split())}\n")
    return "".join(lines)
