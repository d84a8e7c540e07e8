"""`hooktui init`: write a commented `hooktui.yaml` a new user can run as it is, then edit. The templates are
package data (hookdeck_tui/templates/init/), so an installed hooktui has them; each one passes `hooktui check`."""

from __future__ import annotations

import sys
from pathlib import Path

TEMPLATES = {
    "generic": "capture every request on http://127.0.0.1:8090 and answer 200",
    "modelriver": "verify ModelRiver's mr-signature; a generate-image workflow that waits for its callback",
    "stripe": "verify Stripe-Signature with $STRIPE_WEBHOOK_SECRET",
    "github": "verify X-Hub-Signature-256 with $GITHUB_WEBHOOK_SECRET",
}


def template_text(name: str) -> str:
    from importlib import resources  # here: `hooktui --help` and the other commands do not pay for it

    return resources.files("hookdeck_tui").joinpath("templates", "init", f"{name}.yaml").read_text("utf-8")


def run_init(template: str, path: str, *, force: bool) -> int:
    """Exit 0 after writing; 1 when the file exists and --force was not given (nothing is touched)."""
    target = Path(path)
    if target.is_dir():
        target = target / "hooktui.yaml"
    if target.exists() and not force:
        print(f"hooktui init: {target} exists; keeping it (--force overwrites it)", file=sys.stderr)
        return 1
    try:
        target.write_text(template_text(template), encoding="utf-8")
    except OSError as exc:
        print(f"hooktui init: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    config = "" if target.resolve() == Path("hooktui.yaml").resolve() else f" -c {target}"
    print(f"wrote {target} ({template}: {TEMPLATES[template]})")
    check, console = f"hooktui check{config}", f"hooktui{config}"
    width = len(check) + 2
    print(f"next: {check:<{width}}# validate it\n      {console:<{width}}# open the console with it "
          f"(`hooktui listen{config}`: without the TUI)")
    return 0
