"""`torchrun`, made to work on Debian's torch 1.13 with Python 3.11.

    python3 -m localrank_torch.launch [torchrun flags] -m localrank_torch.train [trainer flags]

torch 1.13's `Std.from_str` finds a flag value by iterating the `Std` IntFlag, and since Python
3.11 iteration skips the zero member (and multi-bit aliases), so `--redirects 0`, torchrun's
default, parses to None and every launch fails with "'NoneType' object has no attribute 'get'"
(fixed upstream in later torch releases). This wrapper parses those values with `Std(int(v))`
and then runs torchrun's own main(); every torchrun flag works as documented. On a torch that
is not affected, plain `torchrun` is equivalent.
"""
import re
import sys

from torch.distributed.elastic.multiprocessing import api as _api
from torch.distributed import run as _run


def _from_str(vm: str):
    if re.match(r"^[0123]$", vm):
        return _api.Std(int(vm))
    if re.match(r"^(\d:[0123],)*(\d:[0123])$", vm):
        return {int(i): _api.Std(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
    raise ValueError("%s does not match: <[0123]> or <(\\d:[0123],)*(\\d:[0123])>" % vm)


_api.Std.from_str = staticmethod(_from_str)

if __name__ == "__main__":
    sys.argv[0] = "torchrun"
    _run.main()
