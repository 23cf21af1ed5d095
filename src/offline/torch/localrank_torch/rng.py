"""Port of src/rng.ts: mulberry32 and Box–Muller, bit-exact, so that a seed draws the same initial
weights, windows and negatives as the TypeScript trainer."""
import math

M32 = 0xFFFFFFFF


def imul(a: int, b: int) -> int:
    """Math.imul on unsigned 32-bit representations: the low 32 bits of the product."""
    return (a * b) & M32


class Mulberry32:
    """mulberry32 (Tommy Ettinger 2017): uniform floats in [0, 1), identical to src/rng.ts."""

    __slots__ = ("a",)

    def __init__(self, seed: int):
        self.a = seed & M32

    def __call__(self) -> float:
        self.a = (self.a + 0x6D2B79F5) & M32
        t = self.a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296.0


def gaussian(rand) -> float:
    """Standard normal by Box–Muller, as src/rng.ts `gaussian`."""
    u = max(rand(), 1e-12)
    v = rand()
    return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * v)
