"""`hooktui sign` and `hooktui verify`: the signatures module on the command line. The body is read as bytes and
never re-encoded. Secrets come from `--secret` or, to keep them out of shell history, `$HOOKTUI_SECRET` and the
provider's conventional variable, e.g. `$MODELRIVER_WEBHOOK_SECRET` (verify tries each of them)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from hookdeck_tui.signatures import (
    SECRET_ENV,
    NeedsUrl,
    SchemeError,
    SchemeOptions,
    SignedRequest,
    canonical_name,
    detect,
    get_scheme,
    sign_body,
    verify_request,
)
from hookdeck_tui.signatures.base import SecretError
from hookdeck_tui.signatures.ed25519 import public_key_of
from hookdeck_tui.signatures.secrets import candidates, parse_cli_secrets


class UsageError(Exception):
    """Bad arguments: the command prints the message and exits 2."""


def add_scheme_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("generic hmac scheme (and modelriver's --signed-content)")
    group.add_argument("--hmac-header", metavar="NAME", help="the signature header's name")
    group.add_argument("--algorithm", choices=("sha1", "sha256", "sha512"))
    group.add_argument("--encoding", choices=("hex", "base64"))
    group.add_argument("--prefix", help="text before the signature, e.g. 'sha256='")
    group.add_argument("--signed-content", metavar="TEMPLATE", help="e.g. '{timestamp}.{body}' (default '{body}')")
    group.add_argument("--timestamp-header", metavar="NAME")


def run_sign(args: argparse.Namespace) -> int:
    try:
        scheme = canonical_name(args.scheme)
        # --secret (SCHEME=… only for its scheme), else $HOOKTUI_SECRET, else the provider's variable
        secret = next(iter(candidates(scheme, parse_cli_secrets([args.secret] if args.secret else []))), None)
        if not secret:
            hint = f" or ${SECRET_ENV[scheme]}" if scheme in SECRET_ENV else ""
            raise UsageError(f"a secret is needed: --secret SECRET, $HOOKTUI_SECRET{hint}")
        body = read_body(args.file)
        headers = sign_body(body, scheme=args.scheme, secret=secret, timestamp=args.timestamp,
                            message_id=args.id, url=args.url, options=_options(args))
    except (UsageError, SchemeError, SecretError) as exc:
        return _usage("sign", exc)
    except NeedsUrl:
        return _usage("sign", f"{canonical_name(args.scheme)} signs the URL the provider calls: pass --url URL")
    if args.json:
        print(json.dumps(dict(headers), indent=2))
    else:
        for name, value in headers:
            print(f"{name}: {value}")
    if canonical_name(args.scheme) == "discord":
        print(f"# verify with the public key {public_key_of(secret)}", file=sys.stderr)
    return 0


def run_verify(args: argparse.Namespace) -> int:
    try:
        headers = [parse_header(text) for text in args.header]
        if args.scheme:
            named = get_scheme(args.scheme, _options(args))
            if named.needs_url and not args.url:
                raise UsageError(f"{named.name} signs the URL the provider called: pass --url URL")
        body = read_body(args.file)
    except (UsageError, SchemeError) as exc:
        return _usage("verify", exc)
    request = SignedRequest(body, headers, args.url)
    scheme = get_scheme(args.scheme, _options(args)) if args.scheme else detect(request)
    # every secret given for the scheme, as the listener does: --secret values, $HOOKTUI_SECRET, the provider's
    secrets = candidates(scheme.name if scheme else None, parse_cli_secrets(args.secret))
    verdict = verify_request(request, scheme=args.scheme, secrets=secrets, tolerance=args.tolerance, now=args.now,
                             options=_options(args))
    from hookdeck_tui.signatures.report import diagnose_verdict, diagnosis_lines  # only verify

    # the environment's secrets are among `secrets` already: no other candidates to name
    diagnosis = diagnose_verdict(verdict, request, scheme=args.scheme, secrets=secrets, options=_options(args),
                                 now=args.now, tolerance=args.tolerance)
    if diagnosis is not None:
        verdict.details["diagnosis"] = diagnosis.to_json()
        if diagnosis.expected:
            verdict.details["expected"] = diagnosis.expected
    if args.json:
        print(json.dumps(asdict(verdict), indent=2))
    else:
        shown_scheme = f" ({verdict.scheme})" if verdict.scheme else ""
        headline = f"; {diagnosis.headline}" if diagnosis is not None and verdict.status == "invalid" else ""
        print(f"{verdict.status}{shown_scheme}: {verdict.reason}{headline}")
        details = verdict.details
        if verdict.status != "valid":
            for key in ("received", "expected"):
                if key in details:
                    print(f"  {key + ':':<10} {details[key]}")
            for line in diagnosis_lines(diagnosis, headline=not headline) if diagnosis is not None else []:
                print(f"  {line}")
            for note in details.get("notes", []):
                print(f"  note: {note}")
    return 0 if verdict.is_valid else 1


def read_body(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc


def parse_header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise UsageError(f"a header is 'Name: value', not `{text}`")
    return name.strip(), value.strip()


def _options(args: argparse.Namespace) -> SchemeOptions:
    options = SchemeOptions(header=args.hmac_header, prefix=args.prefix or "", signed_content=args.signed_content,
                            timestamp_header=args.timestamp_header)
    options.algorithm = args.algorithm or options.algorithm
    options.encoding = args.encoding or options.encoding
    return options


def _usage(command: str, problem: object) -> int:
    print(f"hooktui {command}: {problem}", file=sys.stderr)
    return 2
