"""The `hooktui probe` arguments, apart from the command so that building the parser stays light."""

from __future__ import annotations

import argparse

from hookdeck_tui.commands import arguments
from hookdeck_tui.commands.signing import add_scheme_options

DEFAULT_TEMPLATE = "modelriver.task_ai_generated"


def add_probe_parser(commands: argparse._SubParsersAction[arguments.Parser]) -> None:
    probe = commands.add_parser(
        "probe", help="check that an app verifies its webhooks correctly (a scorecard)",
        description="Send a battery of events to the app: one signed correctly (expect 2xx), then without "
                    "signature, with another secret, with a changed body, signed over an empty body, signed over "
                    "a re-encoded body (expect refusals), the same event twice (expect one record, one callback) "
                    "and a stale timestamp where the scheme signs one. Prints what each result means and how to "
                    "fix it. Exit 0 when all pass, 1 when one fails, 2 for a usage error.")
    probe.add_argument("url", nargs="?", help="the app's webhook URL (a bare origin gets the template's path)")
    probe.add_argument("--to", metavar="URL", help="the same as URL")
    probe.add_argument("--template", "-t", help=f"see `hooktui templates` (default {DEFAULT_TEMPLATE})")
    probe.add_argument("--scheme", help="sign with this scheme instead of the template's")
    probe.add_argument("--secret", type=arguments.secret,
                       help="the app's signing secret (default $HOOKTUI_SECRET, then the provider's variable, "
                            "e.g. $MODELRIVER_WEBHOOK_SECRET)")
    probe.add_argument("--api-key", help="the key the app's callback must carry as Bearer (default "
                                         "$MODELRIVER_API_KEY)")
    probe.add_argument("--request-timeout", type=float, default=10.0, metavar="SECONDS",
                       help="how long the app may take to answer each request (default %(default)g)")
    probe.add_argument("--callback-timeout", type=float, default=15.0, metavar="SECONDS",
                       help="how long the genuine event's callback may take (default %(default)g)")
    probe.add_argument("--settle", type=float, default=2.0, metavar="SECONDS",
                       help="after the duplicate, how long a second callback may take to arrive (default "
                            "%(default)g)")
    probe.add_argument("--callback-port", type=arguments.port, default=0, metavar="PORT",
                       help="port of the callback listener on 127.0.0.1 (default: any free port)")
    probe.add_argument("--json", action="store_true", help="print the checks as one JSON document")
    probe.add_argument("-c", "--config", help="config file (default ./hooktui.yaml): its first listener is the "
                                              "default target")
    add_scheme_options(probe)
    probe.add_argument("--db", help="capture database (default $HOOKTUI_DB, else the XDG data dir)")
