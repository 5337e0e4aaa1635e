"""The bank's own OpenID4VP 1.0 verifier: pure protocol building blocks (no Flask, no database).

- `identity`: the verifier's signing key and X.509 certificate chain, its `x509_hash` client
  identifier (section 5.9.3) and a self-signed development identity made once per folder.
- `request_object`: the signed authorization request (sections 5, 5.8, 5.10, Appendix A) for
  `direct_post.jwt` and the Digital Credentials API, the `openid4vp://` link, the request URI
  POST; it re-exports the wallet side's checks of a request object (`request_verification`).
- `response_crypto`: the encrypted authorization response (section 8.3): a per-request
  ECDH-ES key, its RFC 7638 thumbprint, JWE encryption (wallet side) and decryption.
- `response`: the parameters of an authorization (error) response (sections 8.1, 8.2, 8.5).

Section numbers in comments refer to OpenID for Verifiable Presentations 1.0 (final).
"""
