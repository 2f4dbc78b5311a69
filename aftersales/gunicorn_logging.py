"""Gunicorn's logger with the project's masking on its access and error logs.

Access log lines carry request paths, and so the tokens of tracking, survey, file and
password-reset links; ``gunicorn.conf.py`` names this class as ``logger_class``.
"""

from gunicorn.glogging import Logger

from aftersales.core.masking import add_masking_filter


class MaskingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        add_masking_filter(self.error_log)
        add_masking_filter(self.access_log)
