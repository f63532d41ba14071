"""Minimal decoder for Kubernetes protobuf request bodies (Content-Type application/vnd.kubernetes.protobuf).

Go clients (Helm's release storage) send Secrets and ConfigMaps this way. The envelope is the magic prefix
b"k8s\\x00" followed by a runtime.Unknown message whose `raw` field holds the typed object. Only the fields the
emulator needs are decoded; unknown fields are skipped. Responses are always JSON.
"""
import base64

MAGIC = b"k8s\x00"


class ProtobufError(Exception):
    pass


def _varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields(buf):
    """Yield (field_number, wire_type, value) for a message; value is int or bytes."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        num, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value = bytes(buf[pos:pos + length])
            if len(value) != length:
                raise ProtobufError("truncated field")
            pos += length
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        yield num, wire, value


def _map_entry(buf):
    key, value = "", b""
    for num, _, v in fields(buf):
        if num == 1:
            key = v.decode()
        elif num == 2:
            value = v
    return key, value


def _object_meta(buf):
    meta = {}
    for num, _, v in fields(buf):
        if num == 1:
            meta["name"] = v.decode()
        elif num == 2:
            meta["generateName"] = v.decode()
        elif num == 3:
            meta["namespace"] = v.decode()
        elif num == 5:
            meta["uid"] = v.decode()
        elif num == 6:
            meta["resourceVersion"] = v.decode()
        elif num == 7:
            meta["generation"] = v
        elif num in (11, 12):
            k, val = _map_entry(v)
            meta.setdefault("labels" if num == 11 else "annotations", {})[k] = val.decode()
        elif num == 14:
            meta.setdefault("finalizers", []).append(v.decode())
    return {k: v for k, v in meta.items() if v not in ("", 0)}


def _secret(buf):
    obj = {"metadata": {}}
    for num, _, v in fields(buf):
        if num == 1:
            obj["metadata"] = _object_meta(v)
        elif num == 2:
            k, val = _map_entry(v)
            obj.setdefault("data", {})[k] = base64.b64encode(val).decode()
        elif num == 3:
            obj["type"] = v.decode()
        elif num == 4:
            k, val = _map_entry(v)
            obj.setdefault("stringData", {})[k] = val.decode()
        elif num == 5:
            obj["immutable"] = bool(v)
    return obj


def _configmap(buf):
    obj = {"metadata": {}}
    for num, _, v in fields(buf):
        if num == 1:
            obj["metadata"] = _object_meta(v)
        elif num == 2:
            k, val = _map_entry(v)
            obj.setdefault("data", {})[k] = val.decode()
        elif num == 3:
            k, val = _map_entry(v)
            obj.setdefault("binaryData", {})[k] = base64.b64encode(val).decode()
        elif num == 4:
            obj["immutable"] = bool(v)
    return obj


def _metadata_only(buf):
    """Any other kind: field 1 is ObjectMeta for every top-level type; the rest cannot be decoded schema-less."""
    for num, _, v in fields(buf):
        if num == 1:
            return {"metadata": _object_meta(v)}
    return {"metadata": {}}


DECODERS = {"Secret": _secret, "ConfigMap": _configmap}


def decode(body: bytes) -> dict:
    """Decode an enveloped protobuf body into a JSON-like dict with apiVersion and kind."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing k8s protobuf magic prefix")
    api_version = kind = ""
    raw = b""
    for num, _, v in fields(body[len(MAGIC):]):
        if num == 1:
            for n2, _, v2 in fields(v):
                if n2 == 1:
                    api_version = v2.decode()
                elif n2 == 2:
                    kind = v2.decode()
        elif num == 2:
            raw = v
    obj = DECODERS.get(kind, _metadata_only)(raw)
    obj = {"apiVersion": api_version, "kind": kind, **obj}
    return obj


# ---------------------------------------------------------------- encoder (used by tests and for completeness)
def enc_varint(n):
    """A protobuf varint (also the OpenAPI v2 document's encoder, openapi.py)."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def enc_field(num, value):
    """Encode one field: int -> varint, str/bytes -> length-delimited."""
    if isinstance(value, bool) or isinstance(value, int):
        return enc_varint(num << 3) + enc_varint(int(value))
    if isinstance(value, str):
        value = value.encode()
    return enc_varint((num << 3) | 2) + enc_varint(len(value)) + value


def enc_map(num, mapping):
    return b"".join(enc_field(num, enc_field(1, k) + enc_field(2, v)) for k, v in mapping.items())


def encode_secret(name, namespace="", data=None, labels=None, type_="Opaque", resource_version="",
                  string_data=None):
    meta = enc_field(1, name) + (enc_field(3, namespace) if namespace else b"")
    if resource_version:
        meta += enc_field(6, resource_version)
    meta += enc_map(11, labels or {})
    raw = enc_field(1, meta) + enc_map(2, data or {}) + enc_field(3, type_) + enc_map(4, string_data or {})
    type_meta = enc_field(1, "v1") + enc_field(2, "Secret")
    return MAGIC + enc_field(1, type_meta) + enc_field(2, raw) + enc_field(3, "") + enc_field(4, "")
