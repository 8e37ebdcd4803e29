def handler(event, context):
    """Builds the nightly report."""
    return {"ok": True}
