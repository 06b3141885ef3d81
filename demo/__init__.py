"""The demo organisations and ``seed_demo`` (issue 13): imported by nothing but its command and
the tests, bench and ops scripts that seed."""
