#!/usr/bin/env python3
"""Records evaluation figures in a model file, beside the command that trained it.

    tools/record_evaluation.py MODEL.safetensors NAME EVAL.json [COMMAND]

EVAL.json is what `pixelart eval --json` printed. It is stored under the metadata key
"evaluation" as {NAME: {"command": COMMAND, "figures": <the JSON>}, ...}, NAME saying what was
evaluated ("angband16", "blobwars32"); other names already recorded stay. The tensors and every
other metadata entry are left as they are; the file is replaced whole (a temporary file, then a
rename). Pure Python, no third-party modules.
"""
import json
import os
import struct
import sys


def main(argv):
    if len(argv) not in (4, 5):
        sys.exit(__doc__)
    model_path, name, eval_path = argv[1], argv[2], argv[3]
    command = argv[4] if len(argv) == 5 else ""
    with open(eval_path) as f:
        figures = json.load(f)
    with open(model_path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        sys.exit(f"{model_path}: not a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    header, data = json.loads(blob[8:8 + n]), blob[8 + n:]
    meta = header.setdefault("__metadata__", {})
    if not meta.get("format", "").startswith("pixelart-"):
        sys.exit(f"{model_path}: not a pixelart model")
    record = json.loads(meta.get("evaluation", "{}"))
    record[name] = {"command": command, "figures": figures}
    meta["evaluation"] = json.dumps(record, separators=(",", ":"))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the tensors stay 8-byte aligned
    tmp = model_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    os.replace(tmp, model_path)
    print(f"{model_path}: recorded the evaluation '{name}' of {eval_path}")


if __name__ == "__main__":
    main(sys.argv)
