"""The evidence bundle: a reproducible, atomically written, offline-verifiable directory.

Layout (every name fixed; see DESIGN.md "The evidence bundle")::

    index.json               every other file with its sha256 and size, the aigate version, the
                             policy-set digest, the previous decision's digest, the artifacts
    attestation.intoto.json  in-toto Statement v1: subjects = model artifacts + index.json,
                             predicate = SLSA Verification Summary v1
    attestation.sigstore.json  Sigstore bundle (DSSE) over the statement (absent when unsigned)
    model.sig                OpenSSF model signature of the artifacts (when signing)
    decision.json, input.json, report.md, ...   the files the gate rendered

``index.json`` cannot list the statement or its signature (the statement names the index's
digest), so those two are covered by the signature instead; everything else is in the index,
and a file that is neither is an "extra file" and fails verification.
"""

from __future__ import annotations

INDEX = "index.json"
STATEMENT = "attestation.intoto.json"
SIGNATURE = "attestation.sigstore.json"
MODEL_SIG = "model.sig"
DECISION = "decision.json"
BUNDLE_FORMAT = "1"

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
VSA_PREDICATE = "https://slsa.dev/verification_summary/v1"
VERIFIER_ID = "https://github.com/aigate-dev/aigate"
LEVEL_PREFIX = "AIMA_SECURE_DEPLOYMENT_"

#: names the writer produces itself; a caller may not supply them
RESERVED = frozenset({INDEX, STATEMENT, SIGNATURE, MODEL_SIG})
