"""The local provider's management commands, run one after another in one long-lived process.

``LocalOidcProvider`` starts this with the provider's environment and writes one JSON line per
command (``["oidc_provider_user", "--email", ...]``); each answer is one JSON line,
``{"ok": true, "output": "..."}`` with what the command wrote, or ``{"ok": false, "output":
"...traceback"}``. One Python and Django start for all of a test run's ``add_user`` and
``add_client`` calls, instead of one each (a second or more on a loaded machine). Every command
runs in its own transaction and the database connection is closed after it, as when each was a
process of its own.
"""

import io
import json
import sys
import traceback


def main() -> None:
    answers = sys.stdout
    sys.stdout = sys.stderr  # whatever else prints must not mix with the answers

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connections

    for line in sys.stdin:
        arguments = json.loads(line)
        output = io.StringIO()
        try:
            call_command(*arguments, stdout=output, stderr=output)
        except (Exception, SystemExit):
            answer = {"ok": False, "output": output.getvalue() + traceback.format_exc()}
        else:
            answer = {"ok": True, "output": output.getvalue()}
        finally:
            connections.close_all()
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
