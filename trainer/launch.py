"""torchrun, usable on Debian's torch 1.13 with Python 3.11.

    /usr/bin/python3 trainer/launch.py --standalone --nproc_per_node 2 trainer/train.py ARGS...

torch 1.13's launcher parses --redirects/--tee ("0" by default) by iterating
the `Std` flag enum, and Python 3.11 no longer iterates the zero and composite
flags, so every launch fails with "'NoneType' object has no attribute 'get'".
This builds the flag by value instead, then runs the unchanged torchrun. On a
newer torch, plain `torchrun` does the same thing.
"""
import re
import sys

from torch.distributed.elastic.multiprocessing import api
from torch.distributed.run import main

_original = api.Std.from_str


def _from_str(vm: str):  # noqa: ANN202
    if re.fullmatch(r"\d", vm):
        return api.Std(int(vm))
    if re.fullmatch(r"(\d:\d,)*\d:\d", vm):
        return {int(k): api.Std(int(v)) for k, v in (p.split(":") for p in vm.split(","))}
    return _original(vm)


api.Std.from_str = staticmethod(_from_str)

if __name__ == "__main__":
    sys.exit(main())
