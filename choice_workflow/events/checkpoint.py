"""Checkpoints of the log's tree (C2SP tlog-checkpoint), signed as C2SP signed notes
with an Ed25519 key of the Department (the ``cryptography`` package).

A checkpoint's text is three lines: the log's origin, the tree size in decimal and
the root hash in base64. A signed note is that text, a blank line, then one line per
signature: an em dash, a space, the key name, a space, and base64 of the 4-byte key ID
followed by the Ed25519 signature of the text. Keys are written as
golang.org/x/mod/sumdb/note writes them: a verifier key ``name+keyid+base64(0x01 ||
public key)``, a signer key ``PRIVATE+KEY+name+keyid+base64(0x01 || seed)``. A
:class:`Signer` never shows its key (``repr`` hides it; errors name only the file).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from choice_workflow.errors import InvalidInput, Problem

ED25519 = 0x01
"""The signed-note signature type of Ed25519."""
DASH = "\u2014"
_NAME = re.compile(r"[^\s+]+")
_CITES: tuple[str, ...] = ()


def _bad(reason: str, hint: str, field: str = "key") -> InvalidInput:
    return InvalidInput(problems=[Problem(_CITES, reason, hint, field)])


def check_name(name: str) -> str:
    """A key name (and a checkpoint's origin): non-empty, no spaces, no ``+``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise _bad(
            f"{name!r} is not a key name",
            "Use a schema-less URL without spaces or '+', such as dol.illinois.gov/grants.",
            "name",
        )
    return name


def key_id(name: str, public: bytes) -> bytes:
    """C2SP signed-note: SHA-256(key name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@attrs.frozen
class Checkpoint:
    """The log's tree at ``size`` leaves, as the Department publishes it."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """The checkpoint's note text (C2SP tlog-checkpoint), ending in a newline."""
        return f"{self.origin}\n{self.size}\n{_b64(self.root)}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """The checkpoint of a note text (ValueError when it is not one)."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise ValueError(
                "a checkpoint is at least three non-empty lines, each ending in a newline"
            )
        origin, size, root = lines[0], lines[1], lines[2]
        if not re.fullmatch(r"0|[1-9][0-9]*", size):
            raise ValueError(f"the tree size {size!r} is not a decimal number")
        try:
            digest = _unb64(root)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"the root hash {root!r} is not base64") from exc
        if len(digest) != 32:
            raise ValueError(f"the root hash has {len(digest)} bytes, not 32")
        return cls(origin, int(size), digest)


@attrs.frozen
class Verifier:
    """A public key that checks signed notes: its name, key ID and Ed25519 key."""

    name: str
    id: bytes
    public: bytes

    def text(self) -> str:
        """The verifier key: ``name+keyid+base64(0x01 || public key)``."""
        return f"{self.name}+{self.id.hex()}+{_b64(bytes([ED25519]) + self.public)}"

    @classmethod
    def parse(cls, text: str) -> Verifier:
        """A verifier key as :meth:`text` writes it (:class:`InvalidInput` otherwise)."""
        parts = text.strip().split("+", 2)
        hint = "Give the public key that choice-workflow keygen wrote (NAME+KEYID+BASE64)."
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise _bad("not a verifier key", hint)
        name = check_name(parts[0])
        try:
            raw = _unb64(parts[2])
        except (binascii.Error, ValueError):
            raise _bad("the verifier key's key is not base64", hint) from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise _bad("the verifier key is not an Ed25519 key", hint)
        public = raw[1:]
        if key_id(name, public).hex() != parts[1]:
            raise _bad("the verifier key's key ID does not match its name and key", hint)
        return cls(name, bytes.fromhex(parts[1]), public)

    def verifies(self, text: str, signature: bytes) -> bool:
        """Whether ``signature`` (without the key ID) signs ``text`` with this key."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, text.encode())
        except (InvalidSignature, ValueError):
            return False
        return True


@attrs.frozen(repr=False)
class Signer:
    """The Department's Ed25519 signing key, with its name. Its ``repr`` and every
    error it raises leave the key out."""

    name: str
    _seed: bytes = attrs.field(alias="seed")

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, key=<hidden>)"

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A new key named ``name``."""
        key = Ed25519PrivateKey.generate()
        seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(check_name(name), seed)

    @classmethod
    def parse(cls, text: str) -> Signer:
        """A signer key as :meth:`text` writes it (:class:`InvalidInput`, without the
        key, otherwise)."""
        parts = text.strip().split("+", 4)
        hint = "Give a key file that choice-workflow keygen wrote (PRIVATE+KEY+NAME+KEYID+BASE64)."
        if (
            len(parts) != 5
            or parts[:2] != ["PRIVATE", "KEY"]
            or not re.fullmatch(r"[0-9a-f]{8}", parts[3])
        ):
            raise _bad("the key file does not hold a signing key", hint)
        name = check_name(parts[2])
        try:
            raw = _unb64(parts[4])
        except (binascii.Error, ValueError):
            raise _bad("the key file's key is not base64", hint) from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise _bad("the key file does not hold an Ed25519 key", hint)
        signer = cls(name, raw[1:])
        if signer.verifier().id.hex() != parts[3]:
            raise _bad("the key file's key ID does not match its name and key", hint)
        return signer

    def text(self) -> str:
        """The signer key, to keep secret: ``PRIVATE+KEY+name+keyid+base64(0x01 || seed)``."""
        return f"PRIVATE+KEY+{self.name}+{self.verifier().id.hex()}+{_b64(bytes([ED25519]) + self._seed)}"

    def verifier(self) -> Verifier:
        """The public half."""
        public = (
            Ed25519PrivateKey.from_private_bytes(self._seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return Verifier(self.name, key_id(self.name, public), public)

    def sign(self, text: str) -> str:
        """``text`` as a signed note with this key's signature."""
        check_note_text(text)
        signature = Ed25519PrivateKey.from_private_bytes(self._seed).sign(text.encode())
        return f"{text}\n{DASH} {self.name} {_b64(self.verifier().id + signature)}\n"


def check_note_text(text: str) -> None:
    """A note's text: valid, ending in a newline, no control character but newlines."""
    if not text.endswith("\n") or any(ord(c) < 0x20 and c != "\n" for c in text):
        raise ValueError("a note's text ends in a newline and holds no other control character")


@attrs.frozen
class Opened:
    """A note read back: its text, the names of the known keys whose signatures
    verify, and why the note is not trusted (None: it is)."""

    text: str
    signed_by: tuple[str, ...]
    problem: str | None


def open_note(note: str, verifiers: Iterable[Verifier]) -> Opened:
    """Read a note and check its signatures against ``verifiers`` (C2SP signed-note:
    unknown keys are ignored; a known key's bad signature rejects the note; without a
    verified signature of a known key the note is rejected). A note without any
    signature line is its text alone, rejected as unsigned."""
    known = {(v.name, v.id): v for v in verifiers}
    cut = note.rfind("\n\n")
    if cut < 0:
        try:
            check_note_text(note)
        except ValueError as exc:
            return Opened(note, (), str(exc))
        return Opened(note, (), "the note is not signed")
    text, lines = note[: cut + 1], note[cut + 2 :]
    try:
        check_note_text(text)
    except ValueError as exc:
        return Opened(text, (), str(exc))
    if not lines.endswith("\n"):
        return Opened(text, (), "a signature line ends in a newline")
    signed: list[str] = []
    for line in lines[:-1].split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH or not _NAME.fullmatch(parts[1]):
            return Opened(text, (), f"not a signature line: {line[:80]!r}")
        try:
            raw = _unb64(parts[2])
        except (binascii.Error, ValueError):
            return Opened(text, (), "a signature is not base64")
        if len(raw) < 5:
            return Opened(text, (), "a signature is too short")
        verifier = known.get((parts[1], raw[:4]))
        if verifier is None:
            continue  # an unknown key: ignored
        if not verifier.verifies(text, raw[4:]):
            return Opened(text, (), f"the signature of {parts[1]} does not verify")
        signed.append(parts[1])
    if not signed:
        return Opened(text, (), "no signature of a known key")
    return Opened(text, tuple(signed), None)
