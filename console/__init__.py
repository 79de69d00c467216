"""The agency console: roster import, review, reminders; and the admin CLI."""
