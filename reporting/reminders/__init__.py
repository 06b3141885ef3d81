"""Reminder e-mails: who is chased about what (``selection``), and the durable, idempotent
sending of one digest per person per organisation per day (``sending``). The management command
``send_reminders``, the beat task and the "retry now" button all run ``sending.send_reminders``.
"""
