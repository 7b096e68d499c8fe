# Used by `cargo xtask conformance` (copied into target/conformance/ for schemathesis).
import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("transaction_id"), str):
        positive = case.meta is None or case.meta.generation.mode.is_positive
        if positive:
            body["transaction_id"] = "tx-" + uuid.uuid4().hex
