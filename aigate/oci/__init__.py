"""Evidence bundles in an OCI registry, as referrers of the release's image.

An aigate evidence artifact is an OCI image manifest (image-spec 1.1, artifact guidance):

- ``artifactType``: :data:`ARTIFACT_TYPE`;
- ``config``: the empty descriptor (``application/vnd.oci.empty.v1+json``, ``{}``);
- ``layers``: the reproducible bundle tarball (:data:`BUNDLE_MEDIA_TYPE`), byte for byte what
  ``aigate check --tar`` wrote; the Sigstore bundle over the attestation
  (:data:`SIGSTORE_MEDIA_TYPE`, the media type cosign and sigstore-js use), so tools that know
  Sigstore find it without opening the tarball; the decision summary (:data:`DECISION_MEDIA_TYPE`);
- ``subject``: the serving image's manifest descriptor, so the evidence is a referrer of the image
  (distribution-spec 1.1 referrers API, or the ``sha256-<hex>`` referrers tag where the registry
  has no such API);
- ``annotations``: ``org.opencontainers.image.created`` (the evidence time), and
  ``dev.aigate.decision``, ``dev.aigate.model.name``, ``dev.aigate.model.version``,
  ``dev.aigate.bundle.digest`` (the index digest) so a listing shows what each artifact is.

The tarball is the evidence; the other layers are conveniences and are checked against it on pull
(:mod:`aigate.oci.evidence`).
"""

from __future__ import annotations

ARTIFACT_TYPE = "application/vnd.aigate.evidence.v1+json"
BUNDLE_MEDIA_TYPE = "application/vnd.aigate.bundle.v1.tar+gzip"
DECISION_MEDIA_TYPE = "application/vnd.aigate.decision.v1+json"
SIGSTORE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)

ANNOTATION_CREATED = "org.opencontainers.image.created"
ANNOTATION_TITLE = "org.opencontainers.image.title"
ANNOTATION_DECISION = "dev.aigate.decision"
ANNOTATION_MODEL = "dev.aigate.model.name"
ANNOTATION_VERSION = "dev.aigate.model.version"
ANNOTATION_BUNDLE = "dev.aigate.bundle.digest"
