"""Hash chains and Merkle roots: the tamper evidence of the log (docs/audit-format.md).

Each stream is a hash chain: ``hash = sha256(prev_hash || record)`` over the stored
canonical bytes of each event, with 32 zero bytes before the first. A seal covers every
stream's head with a Merkle tree as RFC 6962 defines it: ``leaf = sha256(0x00 || data)``,
``node = sha256(0x01 || left || right)``, the empty tree ``sha256("")``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

GENESIS = "0" * 64
"""The ``prev_hash`` of a stream's first event (32 zero bytes, in hex)."""


def link(prev_hash: str, record: bytes) -> str:
    """The hash (hex) of an event whose stored canonical bytes are ``record``."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + record).hexdigest()


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 section 2.1: the hash of a leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 section 2.1: the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash of ``leaves`` (the leaf inputs, not their hashes).

    For n > 1 leaves the tree splits at k, the largest power of two below n.
    """
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [leaf_hash(d) for d in leaves]
    return _mth(level)


def _mth(hashes: Sequence[bytes]) -> bytes:
    n = len(hashes)
    if n == 1:
        return hashes[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(_mth(hashes[:k]), _mth(hashes[k:]))


def head_leaf(stream_id: str, version: int, hash_hex: str) -> bytes:
    """The leaf input of one stream head in a seal: ``stream_id \\n version \\n hash``."""
    return f"{stream_id}\n{version}\n{hash_hex}".encode()
