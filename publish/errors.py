"""Errors of publish/: every message is bilingual (Chinese / English)."""

from __future__ import annotations


class PublicationError(RuntimeError):
    """Publication refused or failed."""


class NotPublished(PublicationError):
    """The (period, version) asked for has no publication."""


class ReportRefused(NotPublished):
    """A report was asked for a period (or version) that is not published, or the wrong kind of period."""
