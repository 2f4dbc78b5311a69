# Gunicorn reads this file from the working directory (/app in the image) on its own.
# The access log goes to standard output with private-link tokens masked.
accesslog = "-"
logger_class = "aftersales.gunicorn_logging.MaskingLogger"
