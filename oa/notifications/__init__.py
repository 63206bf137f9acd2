"""Notifications that reach people outside an open page: channel adapters (e-mail, 企业微信, 钉钉, SMS,
Web Push), each person's settings, the record of every notification and every attempt to send it."""
