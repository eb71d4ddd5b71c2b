import os
import sys

CHUNK = "x" * (1 << 20)


def flood_then_return(megabytes):
    for _ in range(megabytes):
        sys.stdout.write(CHUNK)
    os.write(2, b"E" * (1 << 20))
    return 42


def flood_forever():
    block = b"y" * (1 << 20)
    while True:
        os.write(1, block)
