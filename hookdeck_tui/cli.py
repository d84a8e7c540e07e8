"""The `hooktui` command: bare `hooktui` opens the console; subcommands are the headless uses.

Each command imports what it needs when it runs: `sign`, `verify`, `events` and `show` start close to Python's
own start-up because they never load pydantic, PyYAML, httpx or the listener (tests/test_startup.py)."""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from hookdeck_tui import __version__
from hookdeck_tui.commands import arguments, rehearsal_args
from hookdeck_tui.commands.answer_args import add_answer_options
from hookdeck_tui.commands.init import TEMPLATES as INIT_TEMPLATES
from hookdeck_tui.commands.signing import add_scheme_options
from hookdeck_tui.formatting import TerminalSafeStream
from hookdeck_tui.signatures.catalog import SCHEMES


def build_parser() -> argparse.ArgumentParser:
    parser = arguments.Parser(
        prog="hooktui", description="A local-first webhook developer console: listen, verify, tunnel, replay, forge.",
        epilog="Run `hooktui COMMAND --help` for a command's options. Without a command, the console opens.")
    parser.add_argument("--version", action="version", version=f"hooktui {__version__}")
    _listener_options(parser, LEADING)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    listen = commands.add_parser("listen", help="run the listener without the TUI; one line per event")
    _listener_options(listen)
    listen.add_argument("--host", help="listen address (default 127.0.0.1)")
    listen.add_argument("--scheme", help="signature scheme for routes without `verify:` (default: detect)")
    listen.add_argument("--json", action="store_true", help="print NDJSON instead of human lines")

    sign = commands.add_parser("sign", help="print the signature headers for a body",
                               description="Print the headers a sender of SCHEME attaches to the body, one "
                                           "'Name: value' per line. The body is read as bytes from FILE or stdin.")
    sign.add_argument("--scheme", required=True, help=f"one of {', '.join(SCHEMES)} (alias: svix)")
    sign.add_argument("--secret", type=arguments.secret, help="signing secret (default $HOOKTUI_SECRET, then the "
                      "provider's variable, e.g. $GITHUB_WEBHOOK_SECRET); discord: the private key, hex")
    sign.add_argument("--timestamp", type=int, help="Unix time to sign with (default now)")
    sign.add_argument("--id", help="message id (standard-webhooks, twitch; modelriver: channel id)")
    sign.add_argument("--url", help="the URL the provider calls (twilio, square)")
    sign.add_argument("--json", action="store_true", help="print one JSON object")
    add_scheme_options(sign)
    sign.add_argument("file", nargs="?", default="-", help="body file (default stdin)")

    verify = commands.add_parser("verify", help="check a body's signature: exit 0 valid, 1 not, 2 usage error",
                                 description="Check the signature headers of a body. Without --scheme the scheme "
                                             "is detected from the headers.")
    verify.add_argument("--scheme", help=f"one of {', '.join(SCHEMES)}; default: detect")
    verify.add_argument("--secret", action="append", default=[], type=arguments.secret,
                        help="a candidate secret (repeat for rotation; SCHEME=SECRET for one scheme only); "
                             "$HOOKTUI_SECRET and the provider's variable are candidates too; discord: the public key")
    verify.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'")
    verify.add_argument("--now", type=float, help="Unix time to judge timestamps against (default now)")
    verify.add_argument("--tolerance", type=float, metavar="SECONDS", help="override the scheme's window")
    verify.add_argument("--url", help="the URL the provider called (twilio, square)")
    verify.add_argument("--json", action="store_true", help="print the verdict as JSON")
    add_scheme_options(verify)
    verify.add_argument("file", nargs="?", default="-", help="body file (default stdin)")

    send = commands.add_parser(
        "send", help="forge a signed event from a template and send it",
        description="Build an event from a template, sign it (or break it on purpose) and send it; print the answer. "
                    "A modelriver.task_ai_generated event's callback_url points at a hooktui callback route; with "
                    "--wait this command listens for the callback itself and checks it. Exit 0 when the app did what "
                    "it should (2xx; a completed callback with --wait; a 4xx refusal of a broken variant), 1 when "
                    "not, 2 for a usage error.")
    send.add_argument("url", nargs="?", help="where to send (a bare origin gets the template's path; "
                                             "default: the config's first listener)")
    send.add_argument("--to", metavar="URL", help="the same as URL")
    send.add_argument("--template", "-t", help="see `hooktui templates` (default modelriver.task_ai_generated)")
    send.add_argument("--data", metavar="FILE", help="the body to start from instead of the template's (- for stdin)")
    send.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                      help="override a field: ai_response.data.title=Hi, commits[0].id=abc, n=42 (JSON when it "
                           "parses, else text); repeatable")
    send.add_argument("--scheme", help="sign with this scheme instead of the template's; `none`: unsigned")
    send.add_argument("--secret", type=arguments.secret,
                      help="signing secret (default $HOOKTUI_SECRET, then the provider's variable, "
                           "e.g. $MODELRIVER_WEBHOOK_SECRET)")
    variant = send.add_mutually_exclusive_group()
    variant.add_argument("--bad-signature", action="store_true", help="sign with another secret")
    variant.add_argument("--tamper-body", action="store_true", help="change the body after signing")
    variant.add_argument("--stale", action="store_true", help="sign with a timestamp an hour old")
    send.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'",
                      help="add or replace a header")
    send.add_argument("--wait", action="store_true", help="wait for the ModelRiver callback and check it")
    send.add_argument("--timeout", type=arguments.seconds, default=300.0, metavar="SECONDS",
                      help="how long the callback may take (default %(default)g)")
    send.add_argument("--request-timeout", type=arguments.seconds, default=30.0, metavar="SECONDS",
                      help="how long the app may take to answer (default %(default)g)")
    send.add_argument("--callback-url", metavar="URL", help="base URL the app calls back (default: the --wait "
                                                            "listener, else the config's first listener)")
    send.add_argument("--callback-port", type=arguments.port, default=0, metavar="PORT",
                      help="port of the --wait callback listener on 127.0.0.1 (default: any free port)")
    send.add_argument("--api-key", help=f"the key the app's callback must carry as Bearer (default "
                                        f"${'MODELRIVER_API_KEY'})")
    send.add_argument("--tunnel", choices=("cloudflare", "ngrok", "ssh"),
                      help="with --wait: open a tunnel to the callback listener and put its public URL in "
                           "callback_url (for an app hosted in the cloud)")
    send.add_argument("--callback-answer", metavar="PLAN",
                      help="with --wait: answer the app's first callbacks so, to exercise its retries: STATUS[xN] "
                           "or none[xN] (never answer), comma-separated, e.g. 500x2 or none")
    send.add_argument("--callback-delay", metavar="SECONDS", help="with --wait: hold every callback answer this "
                                                                  "long, e.g. 12s (past the app's timeout)")
    send.add_argument("--linger", type=float, default=0.0, metavar="SECONDS",
                      help="with --wait: keep listening this long after the round trip ends, for retries and "
                           "follow-up callbacks")
    rehearsal_args.add_delivery_options(send)
    send.add_argument("--dry-run", action="store_true", help="print the request instead of sending it")
    send.add_argument("--json", action="store_true", help="print one JSON report")
    send.add_argument("-c", "--config", help="config file (default ./hooktui.yaml): its first listener is the "
                                             "default target and callback base")
    add_scheme_options(send)
    _db_option(send)

    replay = commands.add_parser(
        "replay", help="send a captured event again",
        description="Send event ID again, byte-exact or re-signed with a fresh timestamp. The target is --to, "
                    "else the event's forward target from the config or --forward-to. The replay is captured "
                    "with origin `replay` pointing at ID. Exit 0 on a 2xx answer, 1 otherwise.")
    replay.add_argument("id", type=int)
    replay.add_argument("--to", metavar="URL", type=arguments.replay_target,
                        help="any URL (a bare origin gets the event's path), or `listener` for the config's own "
                             "listener")
    replay.add_argument("--forward-to", metavar="URL", type=arguments.http_url,
                        help="the app, as with `hooktui --forward-to`")
    replay.add_argument("--resign", action="store_true", help="sign again with a fresh timestamp and id")
    replay.add_argument("--scheme", help="re-sign with this scheme (default: the route's or the event's)")
    replay.add_argument("--secret", type=arguments.secret,
                        help="re-sign with this secret (default: the route's verify.secret, $HOOKTUI_SECRET, the "
                             "provider's variable)")
    replay.add_argument("--timeout", type=arguments.seconds, default=30.0, metavar="SECONDS")
    replay.add_argument("--json", action="store_true", help="print one JSON line")
    replay.add_argument("-c", "--config", help="config file (default ./hooktui.yaml)")
    _db_option(replay)

    events = commands.add_parser("events", help="list captured events, newest last")
    events.add_argument("--limit", type=arguments.count, default=50, help="how many (default 50)")
    events.add_argument("--json", action="store_true", help="NDJSON with bodies")
    events.add_argument("--filter", default="", metavar="QUERY",
                        help="e.g. 'method:POST status:4xx verdict:invalid path:/webhooks words'")
    _db_option(events)

    show = commands.add_parser("show", help="show one captured event in full")
    show.add_argument("id", type=int)
    form = show.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="everything, as JSON (body text or body_base64)")
    form.add_argument("--curl", action="store_true", help="as a curl command line")
    form.add_argument("--har", action="store_true", help="as a one-entry HAR document")
    show.add_argument("--base-url", help="scheme and host for --curl/--har (default: the listener that received it)")
    show.add_argument("--with-credentials", action="store_true",
                      help="show Authorization, Cookie and API-key header values (masked by default)")
    _db_option(show)

    export = commands.add_parser("export", help="export events as HAR or NDJSON",
                                 description="Write the events the filter matches, oldest first, with their exact "
                                             "bodies. The format is --format, else the --out file's extension "
                                             "(.har, .ndjson), else HAR.")
    export.add_argument("--format", choices=("har", "ndjson"))
    export.add_argument("--out", metavar="FILE", help="write here (default stdout)")
    export.add_argument("--filter", default="", metavar="QUERY",
                        help="e.g. 'method:POST status:4xx verdict:invalid path:/webhooks words'")
    export.add_argument("--base-url", help="scheme and host of the URLs in HAR entries (default: the listener "
                                           "that received each event)")
    export.add_argument("--with-credentials", action="store_true",
                        help="keep Authorization, Cookie and API-key header values (masked by default)")
    _db_option(export)
    import_ = commands.add_parser("import", help="import events from HAR or NDJSON",
                                  description="Store the events of a HAR (hooktui's or a browser's) or NDJSON file "
                                              "as new events of origin `import`, keeping their original id and "
                                              "time in meta.imported.")
    import_.add_argument("file")
    _db_option(import_)

    prune = commands.add_parser("prune", help="remove old events from the capture store",
                                description="Remove events (with their forward attempts, round trips and the runs "
                                            "they triggered) in one transaction. For a limit a console keeps by "
                                            "itself, see `store: {keep: N}` / `{keep_days: D}` in the config.")
    which = prune.add_mutually_exclusive_group(required=True)
    which.add_argument("--before", type=arguments.moment, metavar="DATE",
                       help="events received before DATE (2026-11-01, 2026-11-01T12:00; local time)")
    which.add_argument("--keep", type=arguments.count, metavar="N", help="all but the newest N events")
    which.add_argument("--all", action="store_true", help="every event")
    _db_option(prune)

    run = commands.add_parser("run", help="run one workflow headless and wait for its callbacks",
                              description="Run WORKFLOW with the config's listeners up; job progress on stderr, "
                                          "the output as JSON on stdout; exit 0 on success, 1 on failure.")
    run.add_argument("workflow", nargs="?", help="workflow id (optional when the config has one)")
    run.add_argument("--input", default="{}", help="the run's input, as JSON (default {})")
    run.add_argument("-c", "--config", help="config file (default ./hooktui.yaml)")
    run.add_argument("--port", type=arguments.port, help="port of the first listener (default: the config's)")
    _db_option(run)

    runs = commands.add_parser("runs", help="list workflow runs, or show one run's timeline",
                               description="Without RUN_ID: the newest workflow runs, oldest first (waiting runs "
                                           "show as `waiting`). With RUN_ID: that run's jobs and their states in "
                                           "order, with the seconds since the run started. Exit 1 for an unknown "
                                           "run.")
    runs.add_argument("run_id", nargs="?", metavar="RUN_ID")
    runs.add_argument("--limit", type=arguments.count, default=50, help="how many runs to list (default 50)")
    runs.add_argument("--json", action="store_true", help="NDJSON (a list) or one JSON document (a run)")
    _db_option(runs)

    check = commands.add_parser("check", help="validate a config; every problem with file:line:col")
    check.add_argument("-c", "--config", help="config file (default ./hooktui.yaml, else the built-in default)")

    init = commands.add_parser("init", help="write a commented hooktui.yaml to start from",
                               description="Write a commented config that runs as written (`hooktui check` "
                                           "accepts it). Exit 0 when written, 1 when FILE exists (nothing changes "
                                           "without --force).")
    init.add_argument("--template", "-t", default="generic", choices=tuple(INIT_TEMPLATES),
                      help="what the config sets up (default %(default)s)")
    init.add_argument("--force", action="store_true", help="overwrite FILE when it exists")
    init.add_argument("file", nargs="?", default="hooktui.yaml", help="where to write (default ./hooktui.yaml)")

    doctor = commands.add_parser("doctor", help="check the capture store: exit 0 healthy, 1 damaged, 2 none",
                                 description="Run SQLite's integrity check on the capture store (read-only), count "
                                             "what it holds and say whether hooktui can write to it.")
    _db_option(doctor)

    templates = commands.add_parser("templates", help="list the forge templates")
    templates.add_argument("--json", action="store_true")

    from hookdeck_tui.commands.probe_args import add_probe_parser

    add_probe_parser(commands)
    return parser


def _listener_options(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """The listener's options; `prefix` names their dests apart where they come before a command (see
    _apply_leading_options)."""
    parser.add_argument("-c", "--config", dest=f"{prefix}config",
                        help="config file (default ./hooktui.yaml, else the built-in default)")
    parser.add_argument("--port", dest=f"{prefix}port", type=arguments.port,
                        help="listener port (default 8090; 0: any free port)")
    parser.add_argument("--secret", dest=f"{prefix}secret", action="append", default=[], type=arguments.secret,
                        help="a candidate webhook secret (repeat for rotation; SCHEME=SECRET for one scheme only); "
                             "the route's verify.secret, $HOOKTUI_SECRET and the provider's variable are tried too")
    add_answer_options(parser, prefix)  # --forward-to, --events, --respond, --delay, --fail-rate
    parser.add_argument("--enforce", dest=f"{prefix}enforce", action="store_true",
                        help="answer 401 to requests whose signature is not valid (as `verify.enforce`)")
    parser.add_argument("--tunnel", dest=f"{prefix}tunnel", choices=("cloudflare", "ngrok", "ssh"),
                        help="open a public tunnel")
    _db_option(parser, prefix)


def _db_option(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    parser.add_argument("--db", dest=f"{prefix}db",
                        help="capture database (default $HOOKTUI_DB, else the XDG data dir)")


LEADING = "leading_"  # the dest prefix of options given before the command (or with no command: the console's)


def _apply_leading_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """`hooktui --db x.db import f.har` means the same as `hooktui import --db x.db f.har`. argparse would let the
    command's own defaults silently replace what came before it (the import went to the default store), so each
    option given before the command is carried to it — or refused when the command has no such option."""
    leading = {name[len(LEADING):]: value for name, value in vars(args).items() if name.startswith(LEADING)}
    for name in leading:
        delattr(args, LEADING + name)
    for name, value in leading.items():
        if args.command is None:
            setattr(args, name, value)
            continue
        if value in (None, False, []):
            continue
        if not hasattr(args, name):
            parser.error(f"--{name.replace('_', '-')} does not apply to `hooktui {args.command}`")
        current = getattr(args, name)
        if isinstance(current, list):
            setattr(args, name, [*value, *current])
        elif current in (None, False):
            many = isinstance(_action_of(parser, args.command, name), argparse._AppendAction)
            setattr(args, name, value[-1] if isinstance(value, list) and not many else value)
        # given on both sides: the one after the command wins


def _action_of(parser: argparse.ArgumentParser, command: str, dest: str) -> argparse.Action | None:
    """The option of `hooktui COMMAND` that stores into `dest` (to tell a repeatable one from a single one)."""
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return next((a for a in commands.choices[command]._actions if a.dest == dest), None)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _apply_leading_options(parser, args)
    streams = sys.stdout, sys.stderr
    if args.command is not None:  # headless: nothing a request carries may run in the terminal (the console
        sys.stdout, sys.stderr = TerminalSafeStream(sys.stdout), TerminalSafeStream(sys.stderr)  # draws its own)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `hooktui events | head`: the reader has what it wanted
        sys.stdout, sys.stderr = streams
        os.dup2(os.open(os.devnull, os.O_WRONLY), streams[0].fileno())  # nothing left to flush at exit
        return 128 + signal.SIGPIPE
    finally:
        sys.stdout, sys.stderr = streams


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command is None:
        from hookdeck_tui.tui.launch import run_console  # Textual loads only for the console

        return run_console(args)
    if command == "check":
        from hookdeck_tui.commands.check import run_check

        return run_check(args.config)
    if command == "init":
        from hookdeck_tui.commands.init import run_init

        return run_init(args.template, args.file, force=args.force)
    if command == "run":
        from hookdeck_tui.commands.run import run_workflow

        return run_workflow(args)
    if command == "listen":
        from hookdeck_tui.commands.listen import run_listen

        return run_listen(args)
    if command in ("sign", "verify"):
        from hookdeck_tui.commands.signing import run_sign, run_verify

        return run_sign(args) if command == "sign" else run_verify(args)
    if command in ("send", "templates"):
        from hookdeck_tui.commands.forge import run_send, run_templates

        return run_send(args) if command == "send" else run_templates(args.json)
    if command == "prune":
        from hookdeck_tui.commands.prune import run_prune

        return run_prune(args)
    if command == "doctor":
        from hookdeck_tui.commands.doctor import run_doctor

        return run_doctor(args.db)
    if command == "probe":
        from hookdeck_tui.commands.probe import run_probe

        return run_probe(args)
    if command == "replay":
        from hookdeck_tui.commands.replay import run_replay

        return run_replay(args)
    if command == "import" and not Path(args.file).is_file():
        print(f"hooktui import: {args.file}: no such file", file=sys.stderr)
        return 2
    return _with_store(args, command)  # events, show, export, import, runs


def _with_store(args: argparse.Namespace, command: str) -> int:
    from hookdeck_tui.commands.history import run_events, run_show
    from hookdeck_tui.commands.store_access import store_at, unreadable_store
    from hookdeck_tui.store import EventFilter, FilterError

    one_item = command == "show" or (command == "runs" and args.run_id is not None)
    missing = None if command == "import" else 1 if one_item else 0  # only import creates a store
    store = store_at(command, args.db, missing_exit=missing, read_only=command != "import")
    if isinstance(store, int):
        return store
    try:
        filters = EventFilter()
        if command in ("events", "export"):
            try:
                filters = EventFilter.parse(args.filter)
            except FilterError as exc:
                print(f"hooktui {command}: {exc}", file=sys.stderr)
                return 2
        if command == "runs":
            from hookdeck_tui.commands.runs import run_runs

            return run_runs(store, run_id=args.run_id, limit=args.limit, as_json=args.json)
        if command == "events":
            return run_events(store, limit=args.limit, as_json=args.json, filters=filters)
        if command == "export":
            from hookdeck_tui.commands.exchange import run_export

            return run_export(store, fmt=args.format, out=args.out, filters=filters, base_url=args.base_url,
                              credentials=args.with_credentials)
        if command == "import":
            from hookdeck_tui.commands.exchange import run_import

            return run_import(store, args.file)
        if args.curl or args.har:
            from hookdeck_tui.commands.exchange import run_show_as

            return run_show_as(store, args.id, form="curl" if args.curl else "har", base_url=args.base_url,
                               credentials=args.with_credentials)
        return run_show(store, args.id, as_json=args.json, credentials=args.with_credentials)
    except sqlite3.DatabaseError as exc:  # garbage in the file: one line that names `hooktui doctor`
        return unreadable_store(command, store.path, exc)
    finally:
        store.close()
