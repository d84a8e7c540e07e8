"""Where each secret came from. Every secret the user gave is a candidate for its scheme — `--secret` values
(`--secret github=…` only for github), `verify.secret` of the route, `$HOOKTUI_SECRET` and the provider's
variable (`$GITHUB_WEBHOOK_SECRET`) — so one mistyped flag never hides the right secret. A verdict names the
source that matched (`--secret #2`), never the value."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence

from hookdeck_tui.signatures.catalog import SECRET_ENV
from hookdeck_tui.signatures.registry import SchemeError, canonical_name

GENERIC_ENV = "HOOKTUI_SECRET"
_ENV_REFERENCE = re.compile(r"\$\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)")


class Secret(str):
    """A secret value that knows its source (and, when scoped, the one scheme it is for). A `str`, so every
    signing and verifying function takes it as is; its repr never shows the value."""

    source: str
    scheme: str | None

    def __new__(cls, value: str, source: str, scheme: str | None = None) -> Secret:
        made = super().__new__(cls, value)
        made.source, made.scheme = source, scheme
        return made

    def __repr__(self) -> str:
        return f"Secret(source={self.source!r}, scheme={self.scheme!r})"

    def __reduce__(self) -> tuple[type[Secret], tuple[str, str, str | None]]:  # copy and pickle keep the source
        return Secret, (str(self), self.source, self.scheme)


def parse_cli_secrets(values: Sequence[str], flag: str = "--secret") -> list[Secret]:
    """`--secret VALUE` (any scheme) or `--secret SCHEME=VALUE` (that scheme only). A value whose text before `=`
    is not a scheme name (base64 padding, `whsec_…=`) is a plain secret. Raises ValueError for an empty one."""
    secrets = []
    for number, value in enumerate(values, start=1):
        scheme = None
        name, equals, rest = value.partition("=")
        if equals and name.strip():
            try:
                scheme, value = canonical_name(name), rest
            except SchemeError:
                pass
        if not value:
            raise ValueError(f"{flag} {'for ' + scheme + ' ' if scheme else ''}is empty: give the secret, or leave "
                             f"{flag} out")
        secrets.append(Secret(value, f"{flag} #{number}" if len(values) > 1 else flag, scheme))
    return secrets


def environment_secrets(scheme: str | None) -> list[Secret]:
    """$HOOKTUI_SECRET and the provider's variable for `scheme`, when set (read at the moment of asking)."""
    found = []
    for variable in (GENERIC_ENV, SECRET_ENV.get(scheme or "")):
        if variable and os.environ.get(variable):
            found.append(Secret(os.environ[variable], f"${variable}"))
    return found


def candidates(scheme: str | None, *groups: Iterable[str]) -> list[str]:
    """Every secret for `scheme` from `groups` in order (scoped ones only for their scheme), then the
    environment's, each value once (the first source named)."""
    chosen: list[str] = []
    seen: set[str] = set()
    for secret in [s for group in groups for s in group] + environment_secrets(scheme):
        scoped = getattr(secret, "scheme", None)
        if secret and secret not in seen and (scoped is None or scoped == scheme):
            seen.add(str(secret))
            chosen.append(secret)
    return chosen


def unresolved_reference(value: str) -> str | None:
    """`${env.NAME}` when `value` is a reference to an unset variable the config left unresolved; such a text is
    never a key."""
    match = _ENV_REFERENCE.search(value)
    return f"${{env.{match.group(1)}}}" if match and "${" in value else None
