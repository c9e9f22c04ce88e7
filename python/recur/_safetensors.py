"""Writes the safetensors format: an 8-byte little-endian header length, a JSON header
(padded with spaces to a multiple of 8) naming each tensor's dtype, shape and byte range, then
the tensors' bytes. Standard library only: tools/export_torch.py uses it too."""
import json
import struct

FORMAT = "recur-1"  # the informative "format" metadata of the files recur's tools write


def encode(tensors, metadata):
    """The bytes of a safetensors file holding tensors, a dict of name -> (dtype, shape, data)
    in file order (dtype a safetensors name such as "F32", data the little-endian bytes), and
    metadata (str -> str, as "__metadata__")."""
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    offset = 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return b"".join([struct.pack("<Q", len(text)), text] + [t[2] for t in tensors.values()])
