"""Logging set-up, and the filter that keeps single-use secrets out of access logs."""

from __future__ import annotations

import logging
import re

from .config import Settings

# A wallet's response code is a bearer secret for a few minutes: access logs (gunicorn,
# the development server) must not keep it. The same goes for an OpenID4VP `state`.
_SECRET_PARAMETER = re.compile(r"\b(response_code|state|code)=[^&\s\"']+")
ACCESS_LOGGERS = ("gunicorn.access", "werkzeug")


def redact(text: str) -> str:
    return _SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}=[redacted]", text)


class RedactSecrets(logging.Filter):
    """Renders the record's message with secret query parameters replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_REDACTOR = RedactSecrets()


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger().setLevel(settings.log_level)
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
