#!/usr/bin/python3
"""Decrypts a CDOC2 container by the specification's steps, with code no one at riik wrote doing
the work: the FlatBuffers reader flatc generates from the reference's schema (header.fbs,
recipients.fbs), and pyca/cryptography (OpenSSL) for ECDH, RSA-OAEP, HKDF, HMAC and
ChaCha20-Poly1305; zlib and tarfile from Python. Only the container's framing and the order of
the steps are written here, as the CDOC2 specification gives them.

usage: cdoc2_decrypt.py GENERATED_DIR CONTAINER PRIVATE_KEY.pem OUTPUT_DIR
prints the names of the files written; exits non-zero on any failure.
"""
import io
import os
import struct
import sys
import tarfile
import zlib

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

generated, container_path, key_path, output = sys.argv[1:5]
sys.path.insert(0, generated)
from ee.cyber.cdoc2.fbs.header.Capsule import Capsule  # noqa: E402
from ee.cyber.cdoc2.fbs.header.Header import Header  # noqa: E402
from ee.cyber.cdoc2.fbs.recipients.ECCPublicKeyCapsule import ECCPublicKeyCapsule  # noqa: E402
from ee.cyber.cdoc2.fbs.recipients.RSAPublicKeyCapsule import RSAPublicKeyCapsule  # noqa: E402


def vector(table, name):
    return bytes(getattr(table, name)(i) for i in range(getattr(table, name + "Length")()))


def expand(key, info):
    return HKDFExpand(hashes.SHA256(), 32, info).derive(key)


def extract(salt, ikm):
    h = hmac.HMAC(salt, hashes.SHA256())
    h.update(ikm)
    return h.finalize()


data = open(container_path, "rb").read()
# Container format: "CDOC" | 0x02 | header length (uint32 BE) | header | HMAC-SHA-256 | payload.
assert data[:4] == b"CDOC" and data[4] == 2, "not a CDOC2 container"
(length,) = struct.unpack(">I", data[5:9])
header, mac, payload = data[9 : 9 + length], data[9 + length : 9 + length + 32], data[9 + length + 32 :]

key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
parsed = Header.GetRootAs(header, 0)
kek = None
for i in range(parsed.RecipientsLength()):
    record = parsed.Recipients(i)
    table = record.Capsule()
    if record.CapsuleType() == Capsule.recipients_ECCPublicKeyCapsule and isinstance(key, ec.EllipticCurvePrivateKey):
        capsule = ECCPublicKeyCapsule()
        capsule.Init(table.Bytes, table.Pos)
        mine = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        recipient, sender = vector(capsule, "RecipientPublicKey"), vector(capsule, "SenderPublicKey")
        if recipient != mine:
            continue
        shared = key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), sender))
        kek = expand(extract(b"CDOC20kekpremaster", shared), b"CDOC20kekXOR" + recipient + sender)
    elif record.CapsuleType() == Capsule.recipients_RSAPublicKeyCapsule and isinstance(key, rsa.RSAPrivateKey):
        capsule = RSAPublicKeyCapsule()
        capsule.Init(table.Bytes, table.Pos)
        mine = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        if vector(capsule, "RecipientPublicKey") != mine:
            continue
        oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        kek = key.decrypt(vector(capsule, "EncryptedKek"), oaep)
    else:
        continue
    fmk = bytes(a ^ b for a, b in zip(kek, vector(record, "EncryptedFmk")))
    break
assert kek is not None, "the key is not among the recipients"

check = hmac.HMAC(expand(fmk, b"CDOC20hmac"), hashes.SHA256())
check.update(header)
check.verify(mac)
plain = ChaCha20Poly1305(expand(fmk, b"CDOC20cek")).decrypt(payload[:12], payload[12:], b"CDOC20payload" + header + mac)
with tarfile.open(fileobj=io.BytesIO(zlib.decompress(plain))) as archive:
    for member in archive.getmembers():
        assert member.isfile() and "/" not in member.name and member.name not in ("", ".", ".."), member.name
        with open(os.path.join(output, member.name), "xb") as out:
            out.write(archive.extractfile(member).read())
        print(member.name)
