"""`industrybrain`: the operators' command line, a thin wrapper over Django's management commands.

    industrybrain demo [--enterprises N] [--seed S] [--no-serve]
    industrybrain import enterprises|yearly|monthly FILE [--dry-run]
    industrybrain export enterprises --region CODE FILE.xlsx
    industrybrain projects lists [--region CODE] [--year Y] | projects alerts [--as-of DATE]
    industrybrain rules check FILE.yaml | rules evaluate RULE_ID | rules explain RULE_ID --enterprise USCC
    industrybrain serve | worker | migrate | <any manage.py command>
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "demo": "ib_demo",
    "import": "ib_import",
    "export": "ib_export",
    "serve": "ib_serve",
    "worker": "ib_worker",
    "projects": "ib_projects",
    "rules": "ib_rules",
    "bulletin": "ib_bulletin",
    "indicators": "ib_indicators",
    "cultivation": "ib_cultivation",
    "policies": "ib_policies",
    "rankings": "ib_rankings",
    "monitoring": "ib_monitoring",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "industrybrain.settings.dev")
    if len(argv) > 1 and argv[1] in ALIASES:
        argv[1] = ALIASES[argv[1]]
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
