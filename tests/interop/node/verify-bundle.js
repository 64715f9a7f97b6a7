// Independent verification of an aigate key-signed Sigstore bundle with sigstore-js.
// usage: node verify-bundle.js BUNDLE.json PUBLIC_KEY.pem
// Prints {"verified": true, "payloadType": ..., "payloadSha256": ...} and exits 0, or
// prints {"verified": false, "error": ...} and exits 1.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

function main() {
  const [bundlePath, keyPath] = process.argv.slice(2);
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const pem = fs.readFileSync(keyPath);
  const key = crypto.createPublicKey(pem);
  // the hint aigate (and model-signing) writes: hex sha256 of the SPKI PEM
  const hint = crypto.createHash('sha256').update(pem).digest('hex');
  // No Fulcio, Rekor or TSA: a key-signed bundle is trusted through the key alone.
  const root = TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [],
  });
  const trust = toTrustMaterial(root, (h) => {
    if (h !== hint) throw new Error(`unknown key hint ${h}`);
    return { publicKey: key, validFor: () => true };
  });
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle));
  const env = bundle.content.dsseEnvelope;
  return {
    verified: true,
    payloadType: env.payloadType,
    payloadSha256: crypto.createHash('sha256').update(env.payload).digest('hex'),
  };
}

try {
  process.stdout.write(JSON.stringify(main()) + '\n');
} catch (err) {
  process.stdout.write(JSON.stringify({ verified: false, error: String(err && err.message || err) }) + '\n');
  process.exit(1);
}
