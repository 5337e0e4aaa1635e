"""Building the local verifier from the settings: its identity and its trust anchors."""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography import x509

from ...config import ConfigError, Settings
from ..oid4vp.errors import IdentityError
from ..oid4vp.identity import VerifierIdentity, ensure_development_identity, load_identity
from ..sandbox.pki import sandbox_pki
from .authorizer import LocalAuthorizer
from .settings import LocalVerifierSettings

DEVELOPMENT_IDENTITY_FOLDER = "verifier"


def trust_anchors(settings: Settings) -> list[x509.Certificate]:
    """The PID providers' CAs of TRUSTED_ISSUER_CA_PATH, and the sandbox CA only while the
    demo wallet is on (which production allows only with ALLOW_SANDBOX_IN_PRODUCTION=1)."""
    anchors: list[x509.Certificate] = []
    path = settings.trusted_issuer_ca_path
    if path is not None:
        try:
            anchors.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"TRUSTED_ISSUER_CA_PATH {path} is not a PEM file of certificates ({exc})"
            ) from None
    if settings.demo_wallet:
        anchors.append(sandbox_pki(settings.secret_key).ca_certificate)
    return anchors


def verifier_identity(settings: Settings) -> VerifierIdentity:
    """VERIFIER_KEY_PATH/VERIFIER_CERT_PATH, or (outside AUTHORIZER=local in production) a
    self-signed pair for the PUBLIC_BASE_URL host, made once in the data folder."""
    key_path, cert_path = settings.verifier_key_path, settings.verifier_cert_path
    try:
        if key_path is None or cert_path is None:
            host = urlsplit(settings.public_base_url).hostname or "localhost"
            key_path, cert_path = ensure_development_identity(
                settings.data_folder / DEVELOPMENT_IDENTITY_FOLDER, host
            )
        return load_identity(key_path, cert_path)
    except IdentityError as exc:
        raise ConfigError(f"the verifier identity cannot be used: {exc.detail}") from None


def local_authorizer(settings: Settings) -> LocalAuthorizer:
    return LocalAuthorizer(
        LocalVerifierSettings(
            public_base_url=settings.public_base_url.rstrip("/"),
            trust_anchors=trust_anchors(settings),
            demo_wallet=settings.demo_wallet,
        ),
        verifier_identity(settings),
    )
