#!/usr/bin/env python3
"""Records a run's held-out data in a model file that predates the record.

    tools/record_held_out.py MODEL.safetensors HOLDOUT.sprites     a restorer: its run's held-out sprites
    tools/record_held_out.py MODEL.safetensors OTHER.safetensors   any model: the record of another model
                                                                   whose run held out the same data

`pixelart train` writes the keys of what it held out into the model file (metadata
"held_out", one 16-digit hex key per line), and `train --init`, `train --holdout-from` and
`eval --holdout-from` read them. A model trained before that has only its seed, and a seed names
another split once the data are packed differently (data/models/README.md). This writes the keys
of a saved holdout.sprites into MODEL, leaving its tensors and every other metadata entry as they
are; the file is replaced whole (a temporary file, then a rename). The second form copies the
record of a later model trained on the same split (for upscalers, whose runs list their held-out
images in holdout.txt: check first that the two runs' lists are the same, `cmp`).

The key is holdout.h's content_key: FNV-1a 64 over the width and height (4 bytes each,
little-endian) and the RGBA bytes, a transparent pixel counted as (0, 0, 0, 0). Pure Python, no
third-party modules.
"""
import json
import os
import struct
import sys


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        sys.exit(f"{path}: not a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def write_safetensors(path, header, data):
    """The file replaced whole (a temporary file, then a rename); the tensors stay 8-byte aligned."""
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    os.replace(tmp, path)


def content_key(rgba, width, height):
    h = 0xCBF29CE484222325
    data = struct.pack("<II", width, height)
    for k in range(0, len(rgba), 4):
        px = rgba[k:k + 4]
        data += px if px[3] else b"\0\0\0\0"
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    model_path, source_path = argv[1], argv[2]
    header, data = read_safetensors(source_path)
    meta = header.get("__metadata__", {})
    if meta.get("format") == "pixelart-sprites-v1" and "sprites" in header:
        t = header["sprites"]
        count, canvas = t["shape"][0], t["shape"][1]
        begin, _ = t["data_offsets"]
        per = canvas * canvas * 4
        keys = [content_key(data[begin + i * per:begin + (i + 1) * per], canvas, canvas) for i in range(count)]
        what = "held-out sprites"
    elif meta.get("format", "").startswith("pixelart-") and meta.get("held_out"):
        keys = [int(k, 16) for k in meta["held_out"].split()]
        what = "held-out keys"
    else:
        sys.exit(f"{source_path}: neither a pixelart sprite set nor a model with a held-out record")

    mheader, mdata = read_safetensors(model_path)
    mmeta = mheader.setdefault("__metadata__", {})
    if not mmeta.get("format", "").startswith("pixelart-"):
        sys.exit(f"{model_path}: not a pixelart model")
    mmeta["held_out"] = "".join(f"{k:016x}\n" for k in keys)
    write_safetensors(model_path, mheader, mdata)
    print(f"{model_path}: recorded {len(keys)} {what} of {source_path}")


if __name__ == "__main__":
    main(sys.argv)
