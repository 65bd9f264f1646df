"""The telcli error taxonomy and its exit codes (stdlib only).

    TelcliError                      exit 1 unless a subclass says otherwise
    ├── UsageProblem                 2  bad or conflicting flags/arguments
    ├── ConfigError                  3  config file or setting invalid
    ├── AuthError                    4  credentials missing, unreadable or rejected
    ├── ProviderError                   one remote API said something
    │   ├── ProviderRejected         5  the provider refused (4xx, number gone, invalid address)
    │   └── ProviderUnavailable      6  network, timeout, 429, 5xx (retryable)
    ├── AllProvidersFailed           6  every carrier in the failover order failed
    ├── OutcomeUnknown               7  a write may or may not have taken effect
    └── PartialFailure               7  a batch partly failed

Every error carries a one-line ``message`` and an optional ``hint`` (the next step).
Messages never contain secrets: callers pass only identifiers, never credential values.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    BUG = 1
    USAGE = 2
    CONFIG = 3
    AUTH = 4
    REJECTED = 5
    UNAVAILABLE = 6
    INCOMPLETE = 7
    INTERRUPTED = 130
    STDOUT_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for `yes | head -1`'s yes


class TelcliError(Exception):
    exit_code: ExitCode = ExitCode.BUG

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageProblem(TelcliError):
    exit_code = ExitCode.USAGE


class ConfigError(TelcliError):
    exit_code = ExitCode.CONFIG


class AuthError(TelcliError):
    exit_code = ExitCode.AUTH


class ProviderError(TelcliError):
    """An error reported by (or on the way to) one provider.

    ``status`` is the HTTP status when there was a response, ``code`` the provider's own
    error code (Twilio ``code``, Telnyx ``errors[].code``) when it sent one, ``request_id``
    the provider's id for the request (Twilio ``Twilio-Request-Id``, Telnyx ``x-request-id``),
    which the message quotes too, for support tickets.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        code: str | None = None,
        hint: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.provider = provider
        self.status = status
        self.code = code
        self.request_id = request_id


class ProviderRejected(ProviderError):
    exit_code = ExitCode.REJECTED


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or could not serve the request right now.

    ``sent`` says whether the request may have reached the provider: False only when it
    provably did not (connection refused, DNS failure, open circuit). A write that fails
    with ``sent=True`` has an unknown outcome and must be reconciled, never blindly retried.
    ``retry_after`` carries a 429/503 ``Retry-After`` in seconds when the provider sent one.
    """

    exit_code = ExitCode.UNAVAILABLE

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        code: str | None = None,
        hint: str | None = None,
        sent: bool = True,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            provider=provider,
            status=status,
            code=code,
            hint=hint,
            request_id=request_id,
        )
        self.sent = sent
        self.retry_after = retry_after


class PacingTimeout(ProviderUnavailable):
    """No request slot in the account's shared token bucket (client-side pacing) before the
    command's deadline: nothing was sent. It says nothing about the provider's health, so a
    circuit breaker does not count it as a failure."""

    def __init__(self, message: str, *, provider: str, hint: str | None = None) -> None:
        super().__init__(message, provider=provider, hint=hint, sent=False)


class AllProvidersFailed(TelcliError):
    exit_code = ExitCode.UNAVAILABLE

    def __init__(self, message: str, *, errors: list[TelcliError], hint: str | None = None):
        super().__init__(message, hint=hint)
        self.errors = errors


class OutcomeUnknown(TelcliError):
    exit_code = ExitCode.INCOMPLETE


class PartialFailure(TelcliError):
    exit_code = ExitCode.INCOMPLETE
