"""Reporting's pages, one module per topic: ``spreadsheets`` (a register's import and export),
``lifecycle`` (movement and review health), ``packs`` (Reports, Your reports, downloads) and
``reminders`` (a person's reminder preferences). ``reporting.urls`` names each view by module."""
