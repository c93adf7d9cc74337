#!/usr/bin/env python3
"""Records evaluation figures in a model file, beside the command that trained it.

    tools/record_evaluation.py MODEL.safetensors NAME EVAL.json [COMMAND]

EVAL.json is what `pixelart eval --json` printed. It is stored under the metadata key
"evaluation" as {NAME: {"command": COMMAND, "figures": <the JSON>}, ...}, NAME saying what was
evaluated ("angband16", "blobwars32"); other names already recorded stay. The tensors and every
other metadata entry are left as they are; the file is replaced whole (a temporary file, then a
rename; record_held_out.py's reader and writer). Pure Python, no third-party modules.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from record_held_out import read_safetensors, write_safetensors  # noqa: E402


def main(argv):
    if len(argv) not in (4, 5):
        sys.exit(__doc__)
    model_path, name, eval_path = argv[1], argv[2], argv[3]
    command = argv[4] if len(argv) == 5 else ""
    with open(eval_path) as f:
        figures = json.load(f)
    header, data = read_safetensors(model_path)
    meta = header.setdefault("__metadata__", {})
    if not meta.get("format", "").startswith("pixelart-"):
        sys.exit(f"{model_path}: not a pixelart model")
    record = json.loads(meta.get("evaluation", "{}"))
    record[name] = {"command": command, "figures": figures}
    meta["evaluation"] = json.dumps(record, separators=(",", ":"))
    write_safetensors(model_path, header, data)
    print(f"{model_path}: recorded the evaluation '{name}' of {eval_path}")


if __name__ == "__main__":
    main(sys.argv)
