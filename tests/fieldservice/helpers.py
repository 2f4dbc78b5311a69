from aftersales.fieldservice.demo import demo_signature_png
from aftersales.fieldservice.signatures import check_signature_png


def signature(seed: int = 0):
    return check_signature_png(demo_signature_png(seed=seed))


def data_url(seed: int = 0) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(demo_signature_png(seed=seed)).decode()
