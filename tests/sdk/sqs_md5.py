"""SQS's message digests, computed independently of the server.

The algorithm is the one written out in ../shared/conformance/sqs/md5_vectors.json: sort the
attribute names by bytes; for each, u32 big-endian length + bytes of the name, of the DataType,
one transport byte (1 = String/Number, 2 = Binary), then length + bytes of the value (UTF-8 for
strings, raw bytes for Binary); MD5 over the concatenation, lowercase hex.
"""

from __future__ import annotations

import base64
import hashlib
import struct


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def md5_of_attributes(attributes: dict, binary_is_base64: bool = False) -> str | None:
    """attributes: {name: {"DataType": ..., "StringValue" | "BinaryValue": ...}} as boto3 takes them.

    BinaryValue is bytes (boto3) or base64 text (the JSON wire, binary_is_base64=True).
    Returns None when there are no attributes (SQS then omits the field).
    """
    if not attributes:
        return None
    out = bytearray()
    for name in sorted(attributes, key=lambda n: n.encode("utf-8")):
        attr = attributes[name]
        data_type = attr["DataType"]
        out += _field(name.encode("utf-8"))
        out += _field(data_type.encode("utf-8"))
        if "BinaryValue" in attr and attr["BinaryValue"] is not None:
            value = attr["BinaryValue"]
            if isinstance(value, str):
                value = base64.b64decode(value) if binary_is_base64 else value.encode("utf-8")
            out += b"\x02" + _field(bytes(value))
        else:
            out += b"\x01" + _field(attr["StringValue"].encode("utf-8"))
    return hashlib.md5(bytes(out)).hexdigest()
