"""Twilio ``X-Twilio-Signature``: base64(HMAC-SHA1(auth token, URL + sorted form params)).

Form bodies: the signed string is the URL exactly as requested followed by every decoded
form key and value, sorted by key (code-point order), each key's values sorted with
duplicates dropped, blank values kept. That is what twilio-python's ``RequestValidator`` and
twilio-node's ``getExpectedTwilioSignature`` compute, and this module agrees with them byte
for byte. GET webhooks carry their params in the query, which is already part of the URL.

JSON bodies: Twilio appends ``bodySHA256=<hex sha256 of the raw body>`` to the query and
signs the URL alone.

The SDKs accept several forms of the URL because "sig generation on back end is
inconsistent" (twilio-python ``RequestValidator.validate``): with the port removed, with
the scheme's default port added, and (twilio-node) the URL as WHATWG ``new URL()``
re-serializes it, with its query re-encoded by the legacy ``querystring`` module.
:func:`verify` accepts any form an official SDK accepts and says which one matched.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, unquote_to_bytes, urlparse, urlsplit

from telcli.errors import UsageProblem
from telcli.webhooks._common import (
    Check,
    Headers,
    SignResult,
    Verdict,
    b64encode,
    get_header,
    require,
    same,
)

NAME = "twilio"
SIGNATURE_HEADER = "X-Twilio-Signature"
# Sent with SharedKey-signed webhooks: "key=<sharedKeyId>,algorithm=HMAC_SHA256".
# Without it (the Auth Token case) the algorithm is HMAC-SHA1 (twilio-python 9.13).
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
BODY_HASH_PARAM = "bodySHA256"
HMAC_SHA1 = "HMAC_SHA1"
HMAC_SHA256 = "HMAC_SHA256"
_HASHES = {HMAC_SHA1: hashlib.sha1, HMAC_SHA256: hashlib.sha256}

_ALL_SDKS = "twilio-python, twilio-node, twilio-go"


# --- the signature itself ------------------------------------------------------------------


def form_params(body: bytes) -> list[tuple[str, str]]:
    """Decode an ``application/x-www-form-urlencoded`` body into (key, value) pairs.

    ``+`` is a space and ``%2B`` a plus; blank values are kept (``parse_qsl`` would drop them
    by default and break the signature); invalid UTF-8 becomes U+FFFD, as in Werkzeug and
    Django, whose decoded values are what receivers hand to ``RequestValidator``.
    """
    pairs: list[tuple[str, str]] = []
    for segment in body.split(b"&"):
        if not segment:
            continue
        key, _, value = segment.partition(b"=")
        pairs.append((_form_decode(key), _form_decode(value)))
    return pairs


def _form_decode(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


def string_to_sign(url: str, params: Iterable[tuple[str, str]]) -> str:
    """URL + key+value for each key in sorted order, each key's distinct values sorted."""
    by_key: dict[str, set[str]] = {}
    for key, value in params:
        by_key.setdefault(key, set()).add(value)
    return url + "".join(k + v for k in sorted(by_key) for v in sorted(by_key[k]))


def compute_signature(
    auth_token: str,
    url: str,
    params: Iterable[tuple[str, str]] = (),
    algorithm: str = HMAC_SHA1,
) -> str:
    """The ``X-Twilio-Signature`` value for ``url`` and decoded ``params``."""
    hash_fn = _HASHES.get(algorithm.upper())
    if hash_fn is None:
        raise UsageProblem(
            f"unsupported Twilio signature algorithm {algorithm!r}",
            hint=f"use {HMAC_SHA1} or {HMAC_SHA256}",
        )
    try:
        data = string_to_sign(url, params).encode("utf-8")
    except UnicodeEncodeError:
        raise UsageProblem("the URL or the params are not valid Unicode text") from None
    return b64encode(hmac.new(auth_token.encode("utf-8"), data, hash_fn).digest())


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


# --- sign ----------------------------------------------------------------------------------


def sign(
    auth_token: str,
    *,
    url: str,
    body: bytes = b"",
    content_type: str | None = None,
    algorithm: str = HMAC_SHA1,
) -> SignResult:
    """Sign a delivery of ``body`` to ``url``.

    Form bodies (the default) are signed with their params; JSON bodies get ``bodySHA256``
    added to the URL, and the returned ``SignResult.url`` is the URL to send them to.
    Raises UsageProblem for a missing token, a URL that is not absolute, a content type
    Twilio does not sign, or a URL whose ``bodySHA256`` contradicts the body.
    """
    require(auth_token, "a secret (the account Auth Token)", NAME)
    _require_absolute(url)
    algorithm = algorithm.upper()
    headers: dict[str, str] = {}
    signed_url: str | None = None
    if _is_json(content_type):
        digest = body_hash(body)
        existing = _query_value(url, BODY_HASH_PARAM)
        if existing is None:
            signed_url = _with_query_param(url, BODY_HASH_PARAM, digest)
        elif same(existing, digest):
            signed_url = url
        else:
            raise UsageProblem(
                "the URL already carries a bodySHA256 that does not match the body",
                hint="remove bodySHA256 from the URL; it is added from the body when signing",
            )
        headers[SIGNATURE_HEADER] = compute_signature(auth_token, signed_url, (), algorithm)
    else:
        params = _params_for(body, content_type)
        headers[SIGNATURE_HEADER] = compute_signature(auth_token, url, params, algorithm)
    if algorithm != HMAC_SHA1:
        headers[SETTINGS_HEADER] = f"algorithm={algorithm}"
    return SignResult(headers, signed_url)


# --- verify --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UrlForm:
    """One form of the request URL a verifier may compute the signature over."""

    name: str
    url: str
    accepted_by: str  # which official SDKs accept this form; "" for diagnostics only


_FORM_TEXT = {
    "exact": "the URL as received",
    "without-port": "the URL without its port",
    "with-default-port": "the URL with the default port added",
    "python-without-port": "the URL as urllib re-serializes it, without its port",
    "python-with-default-port": "the URL as urllib re-serializes it, with the default port",
    "whatwg": "the URL as WHATWG new URL() re-encodes it",
    "whatwg-without-port": "the WHATWG-encoded URL without its port",
    "whatwg-with-default-port": "the WHATWG-encoded URL with the default port added",
    "legacy-query-without-port": "the URL with its query re-encoded by Node's querystring",
    "legacy-query-with-default-port": (
        "the URL with its query re-encoded by Node's querystring and the default port added"
    ),
}


def verify(
    auth_token: str,
    *,
    url: str,
    body: bytes,
    headers: Headers,
    content_type: str | None = None,
    explain: bool = False,
) -> Verdict:
    """Check ``X-Twilio-Signature`` for a delivery of ``body`` received at ``url``.

    ``content_type`` defaults to the ``Content-Type`` in ``headers``. Valid when the
    signature matches any URL form an official SDK accepts (see :func:`url_forms`) and, for
    JSON bodies, ``bodySHA256`` matches the body. With ``explain`` every form is tried and
    reported, plus forms no SDK accepts (other scheme, trailing slash, no query) that hint at
    what a proxy changed. Raises UsageProblem for a missing token or non-absolute URL.
    """
    require(auth_token, "a secret (the account Auth Token)", NAME)
    _require_absolute(url)
    signature = get_header(headers, SIGNATURE_HEADER)
    if signature is None:
        check = Check("signature header", False, f"no {SIGNATURE_HEADER} header")
        return Verdict(False, NAME, f"missing {SIGNATURE_HEADER} header", checks=(check,))
    algorithm = _algorithm(get_header(headers, SETTINGS_HEADER))
    if algorithm not in _HASHES:
        reason = f"unsupported signature algorithm {algorithm!r} in {SETTINGS_HEADER}"
        return Verdict(False, NAME, reason, checks=(Check("algorithm", False, reason),))

    checks: list[Check] = []
    content_type = content_type or get_header(headers, "Content-Type")
    claimed = _query_value(url, BODY_HASH_PARAM)
    params: list[tuple[str, str]] = []
    if claimed is not None:
        actual = body_hash(body)
        hash_ok = same(claimed, actual)
        detail = (
            "bodySHA256 in the URL matches the body"
            if hash_ok
            else f"bodySHA256 in the URL is {claimed[:16]}…, the body hashes to {actual[:16]}…"
        )
        checks.append(Check("body hash", hash_ok, detail))
    elif _is_json(content_type):
        reason = "JSON body but the URL has no bodySHA256 (Twilio adds it to JSON webhooks)"
        return Verdict(False, NAME, reason, checks=(Check("body hash", False, reason),))
    else:
        params = _params_for(body, content_type)

    matched: UrlForm | None = None
    for form in url_forms(url):
        ok = same(compute_signature(auth_token, form.url, params, algorithm), signature)
        checks.append(Check(f"url {form.name}", ok, f"{_redact(form.url)} ({form.accepted_by})"))
        if ok and matched is None:
            matched = form
            if not explain:
                break
    hash_failed = any(c.name == "body hash" and not c.ok for c in checks)

    if matched is not None and not hash_failed:
        reason = f"signature matches {_FORM_TEXT[matched.name]}"
        if matched.accepted_by != _ALL_SDKS:
            reason += f" (accepted by {matched.accepted_by} only)"
        return Verdict(
            True,
            NAME,
            reason,
            matched_url=_redact(matched.url),
            variant=matched.name,
            checks=tuple(checks) if explain else (),
        )
    if hash_failed:
        reason = "bodySHA256 in the URL does not match the body (the body changed after signing)"
        return Verdict(False, NAME, reason, checks=tuple(checks))

    reason = "signature does not match the URL and params under any form the SDKs accept"
    if explain:
        for form in _diagnostic_forms(url):
            ok = same(compute_signature(auth_token, form.url, params, algorithm), signature)
            checks.append(Check(f"url {form.name}", ok, f"{_redact(form.url)} (not accepted)"))
            if ok:
                reason = f"signature does not match this URL, but matches {_redact(form.url)}"
                reason += f" ({_DIAGNOSTIC_TEXT[form.name]})"
                break
        else:
            reason += "; check the auth token and that the URL is exactly the one Twilio called"
    return Verdict(False, NAME, reason, checks=tuple(checks))


def url_forms(url: str) -> list[UrlForm]:
    """The distinct URL forms official SDKs compute the signature over, most exact first."""
    forms: list[UrlForm] = []
    seen: set[str] = set()

    def add(name: str, candidate: str | None, accepted_by: str) -> None:
        if candidate is not None and candidate not in seen:
            seen.add(candidate)
            forms.append(UrlForm(name, candidate, accepted_by))

    add("exact", url, _ALL_SDKS)
    add("without-port", _without_port(url), _ALL_SDKS)
    add("with-default-port", _with_default_port(url), _ALL_SDKS)
    for name, candidate in _python_forms(url):
        add(name, candidate, "twilio-python")
    normalized = _whatwg(url)
    if normalized is not None:
        without, with_port = _without_port(normalized), _with_default_port(normalized)
        add("whatwg", normalized, "twilio-node")
        add("whatwg-without-port", without, "twilio-node")
        add("whatwg-with-default-port", with_port, "twilio-node")
        add("legacy-query-without-port", _legacy_query(without), "twilio-node")
        add("legacy-query-with-default-port", _legacy_query(with_port), "twilio-node")
    return forms


_DIAGNOSTIC_TEXT = {
    "other-scheme": "the other scheme: a TLS-terminating proxy may hide https",
    "trailing-slash": "with the trailing slash toggled",
    "no-query": "without the query string",
}


def _diagnostic_forms(url: str) -> list[UrlForm]:
    """URL forms no SDK accepts, tried only to explain a mismatch."""
    parts = _split(url)
    if parts is None:
        return []
    prefix, userinfo, host, port, rest = parts
    out: list[UrlForm] = []
    lower = prefix.lower()
    if lower in ("http://", "https://"):
        other = "https://" if lower == "http://" else "http://"
        out.append(UrlForm("other-scheme", other + userinfo + host + port + rest, ""))
    path_end = min((i for i in (rest.find("?"), rest.find("#")) if i != -1), default=len(rest))
    path, tail = rest[:path_end], rest[path_end:]
    toggled = path[:-1] if path.endswith("/") else path + "/"
    out.append(UrlForm("trailing-slash", prefix + userinfo + host + port + toggled + tail, ""))
    if "?" in tail:
        fragment = tail[tail.find("#") :] if "#" in tail else ""
        out.append(UrlForm("no-query", prefix + userinfo + host + port + path + fragment, ""))
    return [f for f in out if f.url != url]


# --- helpers: content, query ---------------------------------------------------------------


def _media_type(content_type: str | None) -> str:
    return content_type.split(";", 1)[0].strip().lower() if content_type else ""


def _is_json(content_type: str | None) -> bool:
    media = _media_type(content_type)
    return media == "application/json" or media.endswith("+json")


def _params_for(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    if not body:
        return []  # GET webhooks and empty POSTs: the query is already in the URL
    media = _media_type(content_type)
    if media not in ("", "application/x-www-form-urlencoded"):
        raise UsageProblem(
            f"Twilio signs form-encoded or JSON bodies, not {media}",
            hint="pass the content type the webhook was (or will be) sent with",
        )
    return form_params(body)


def _algorithm(settings: str | None) -> str:
    """The algorithm named in X-Twilio-Webhooks-Signature-Settings (default HMAC_SHA1)."""
    for part in (settings or "").split(","):
        name, sep, value = part.partition("=")
        if sep and name.strip() == "algorithm" and value.strip():
            return value.strip().upper()
    return HMAC_SHA1


def _query_value(url: str, name: str) -> str | None:
    try:
        query = urlsplit(url).query
    except ValueError:
        return None
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == name:
            return value
    return None


def _with_query_param(url: str, name: str, value: str) -> str:
    """Append ``name=value`` to the query, before any fragment, without touching the rest."""
    hash_at = url.find("#")
    base, fragment = (url, "") if hash_at == -1 else (url[:hash_at], url[hash_at:])
    sep = "?" if "?" not in base else ("" if base.endswith(("?", "&")) else "&")
    return f"{base}{sep}{name}={value}{fragment}"


# --- helpers: URL forms --------------------------------------------------------------------

_AUTHORITY = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)(.*)", re.DOTALL)


def _split(url: str) -> tuple[str, str, str, str, str] | None:
    """(scheme://, userinfo@, host, :port, rest) without normalizing anything.

    Unlike twilio-python's ``netloc.split(":")``, a colon in the userinfo or inside an IPv6
    literal is not taken for the port.
    """
    m = _AUTHORITY.fullmatch(url)
    if m is None:
        return None
    prefix, authority, rest = m.groups()
    at = authority.rfind("@")
    userinfo, hostport = authority[: at + 1], authority[at + 1 :]
    colon = hostport.find(":", hostport.rfind("]") + 1)
    if colon == -1:
        return prefix, userinfo, hostport, "", rest
    return prefix, userinfo, hostport[:colon], hostport[colon:], rest


def _require_absolute(url: str | None) -> None:
    parts = _split(url) if url else None
    if parts is None or not parts[2]:
        raise UsageProblem(
            "the twilio scheme needs the absolute URL Twilio requested",
            hint="e.g. https://example.com/twilio/voice?x=1, byte for byte",
        )


def _without_port(url: str) -> str:
    parts = _split(url)
    if parts is None:
        return url
    prefix, userinfo, host, _port, rest = parts
    return prefix + userinfo + host + rest


def _with_default_port(url: str) -> str:
    parts = _split(url)
    if parts is None or parts[3]:
        return url
    prefix, userinfo, host, _port, rest = parts
    port = ":443" if prefix.lower() == "https://" else ":80"
    return prefix + userinfo + host + port + rest


def _python_forms(url: str) -> list[tuple[str, str]]:
    """twilio-python's own two forms, built from ``urlparse(url)`` as it does.

    ``geturl()`` lower-cases the scheme and drops an empty ``?``, so these can differ from
    the raw forms. Its ``remove_port`` mangles userinfo and IPv6 hosts (``split(":")[0]``);
    those mangled strings are skipped rather than accepted.
    """
    try:
        parsed = urlparse(url)
        port = parsed.port
    except ValueError:
        return []
    forms: list[tuple[str, str]] = []
    if port:
        if "@" not in parsed.netloc and "[" not in parsed.netloc:
            bare = parsed._replace(netloc=parsed.netloc.split(":")[0])
            forms.append(("python-without-port", bare.geturl()))
        forms.append(("python-with-default-port", parsed.geturl()))
    else:
        forms.append(("python-without-port", parsed.geturl()))
        default = 443 if parsed.scheme == "https" else 80
        with_port = parsed._replace(netloc=f"{parsed.netloc}:{default}")
        forms.append(("python-with-default-port", with_port.geturl()))
    return forms


# WHATWG URL percent-encode sets (https://url.spec.whatwg.org/#percent-encoded-bytes); C0
# controls and everything above U+007E are always encoded.
_QUERY_SET = frozenset(" \"#<>'")  # special-query set (http, https)
_PATH_SET = frozenset(' "#<>?`{}')
_FRAGMENT_SET = frozenset(' "<>`')
_USERINFO_SET = frozenset(' "#<>?`{}/:;=@[\\]^|')
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _pct(text: str, encode: frozenset[str]) -> str:
    out = []
    for ch in text:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            ch = "\ufffd"  # a lone surrogate: the URL parser substitutes U+FFFD
        if ord(ch) < 0x20 or ord(ch) > 0x7E or ch in encode:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def _whatwg(url: str) -> str | None:
    """Approximate ``new URL(url).toString()`` for http(s) URLs, as twilio-node parses them.

    Covers what changes a Twilio webhook URL in practice: scheme and host case, default
    port dropped, dot segments, and percent-encoding of the path, query (``'`` becomes
    ``%27``) and fragment. Returns None where the approximation would be a guess.
    """
    url = url.strip("".join(chr(c) for c in range(0x21))).translate({9: None, 10: None, 13: None})
    parts = _split(url)
    if parts is None:
        return None
    prefix, userinfo, host, port, rest = parts
    scheme = prefix[:-3].lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    try:
        host = host.lower() if host.isascii() else host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    port = port[1:]
    if port:
        if not port.isdigit() or int(port) > 65535:
            return None
        port = str(int(port))
        if port == _DEFAULT_PORTS[scheme]:
            port = ""
    credentials = ""
    if userinfo[:-1]:
        user, _, password = userinfo[:-1].partition(":")
        user, password = _pct(user, _USERINFO_SET), _pct(password, _USERINFO_SET)
        if user or password:
            credentials = user + (":" + password if password else "") + "@"
    hash_at = rest.find("#")
    rest, fragment = (rest, None) if hash_at == -1 else (rest[:hash_at], rest[hash_at + 1 :])
    q_at = rest.find("?")
    path, query = (rest, None) if q_at == -1 else (rest[:q_at], rest[q_at + 1 :])
    path = _pct(_remove_dot_segments(path.replace("\\", "/") or "/"), _PATH_SET)
    out = f"{scheme}://{credentials}{host}{':' + port if port else ''}{path}"
    if query:  # an empty query ("?") is dropped by toString()
        out += "?" + _pct(query, _QUERY_SET)
    if fragment:
        out += "#" + _pct(fragment, _FRAGMENT_SET)
    return out


def _remove_dot_segments(path: str) -> str:
    if not path.startswith("/"):
        path = "/" + path
    segments = path.split("/")[1:]
    out: list[str] = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg in ("..", "%2e%2e", "%2E%2E", ".%2e", ".%2E", "%2e.", "%2E."):
            if out:
                out.pop()
            if last:
                out.append("")
        elif seg in (".", "%2e", "%2E"):
            if last:
                out.append("")
        else:
            out.append(seg)
    return "/" + "/".join(out)


def _legacy_query(url: str) -> str | None:
    """The URL with its query round-tripped through Node's ``querystring.parse/stringify``.

    ``parse`` decodes ``+`` and percent escapes and groups repeated keys; JS objects list
    integer-like keys first, in numeric order. ``stringify`` re-escapes everything but
    ``A-Za-z0-9-_.!~*'()``, so a space becomes ``%20`` and ``%27`` becomes ``'``.
    """
    q_at = url.find("?")
    if q_at == -1:
        return url
    hash_at = url.find("#", q_at)
    end = len(url) if hash_at == -1 else hash_at
    query = url[q_at + 1 : end]
    if not query:
        return url
    grouped: dict[str, list[str]] = {}
    for segment in query.split("&"):
        if not segment:
            continue
        key, _, value = segment.partition("=")
        grouped.setdefault(_qs_unescape(key), []).append(_qs_unescape(value))
    index_keys = sorted((k for k in grouped if _is_array_index(k)), key=int)
    ordered = index_keys + [k for k in grouped if not _is_array_index(k)]
    try:
        encoded = "&".join(
            f"{_qs_escape(key)}={_qs_escape(value)}" for key in ordered for value in grouped[key]
        )
    except UnicodeEncodeError:
        return None
    return url[:q_at] + "?" + encoded + url[end:]


def _qs_unescape(text: str) -> str:
    return unquote(text.replace("+", " "), "utf-8", "replace")


def _qs_escape(text: str) -> str:
    return quote(text, safe="!~*'()")


def _is_array_index(key: str) -> bool:
    return (
        key.isascii() and key.isdigit() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1
    )


def _redact(url: str) -> str:
    """Mask a userinfo password (Twilio HTTP basic auth) before a URL is reported."""
    parts = _split(url)
    if parts is None or ":" not in parts[1]:
        return url
    prefix, userinfo, host, port, rest = parts
    return prefix + userinfo.split(":", 1)[0] + ":***@" + host + port + rest
