"""Telling people: the notification outbox, its channels (webhooks), and mail to prospects."""
