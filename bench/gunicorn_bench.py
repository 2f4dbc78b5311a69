# Gunicorn settings for the public-submit benches: no access log, as the peer's bench runs.
# (The project's gunicorn.conf.py logs every request, masked, to standard output.)
accesslog = None
