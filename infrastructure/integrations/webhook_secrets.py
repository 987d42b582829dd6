"""Webhook signing secrets: made at random, stored only sealed with a key of our own.

A signing secret cannot be hashed like an API key: every delivery needs it in clear to sign.
So the event log keeps it encrypted with AES-256-GCM under a key derived (HKDF-SHA256) from
``HATCHED_SECRET_KEY``: a copy of the database alone does not reveal the secrets. Changing
``HATCHED_SECRET_KEY`` therefore makes existing secrets unreadable (deliveries then fail with
``secret_unavailable``; rotate the endpoints' secrets).

Secrets look like ``whsec_<base64 of 32 random bytes>``: the Standard Webhooks format, whose
libraries key the HMAC with the decoded bytes.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from application.integrations.webhook_signatures import SECRET_PREFIX

SEALED_PREFIX = "v1."
_INFO = b"hatched webhook signing secrets v1"
_AAD = b"hatched:webhook-secret"
_NONCE_BYTES = 12


class SealedWebhookSecrets:
    """The ``WebhookSecrets`` port."""

    def __init__(self, secret_key: str) -> None:
        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hatched", info=_INFO)
        self._aead = AESGCM(kdf.derive(secret_key.encode()))

    def new_secret(self) -> str:
        return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode()

    def seal(self, secret: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, secret.encode(), _AAD)
        return SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode()

    def unseal(self, sealed: str) -> str:
        if not sealed.startswith(SEALED_PREFIX):
            raise ValueError("not a sealed webhook secret")
        try:
            raw = base64.urlsafe_b64decode(sealed.removeprefix(SEALED_PREFIX))
            nonce, ciphertext = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
            return self._aead.decrypt(nonce, ciphertext, _AAD).decode()
        except (InvalidTag, ValueError) as error:
            raise ValueError("the secret was sealed with another key") from error
