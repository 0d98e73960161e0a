"""Fast Dice similarity over packed Bloom filters (CLKs): the linker's hot loop.

CLKs are packed into rows of 64-bit words; the Dice coefficient of two rows is
``2·popcount(a & b) / (popcount(a) + popcount(b))``, computed with the CPU's popcount
instruction (LLVM ``ctpop``) in numba-compiled loops that run over all cores.

Conventions (identical to anonlink's ``dice_coefficient_accelerated``):

* the bytes of a filter are taken as they are in memory, so bit order inside a byte does
  not matter as long as both sides are packed the same way;
* two all-zero filters have Dice 0.0 (anonlink's convention; 0/0 is never computed);
* a pair is a candidate when its score is ``>= threshold``; with ``threshold <= 0`` every
  pair is a candidate, empty filters included.

Arrays in, arrays out: candidate pairs are parallel arrays ``(i, j, score)``, never a
list of objects. ``padan.kernel_reference`` holds the slow, obviously correct version of
each function; the tests compare both, and both against anonlink.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numba
import numpy as np
from bitarray import bitarray
from numba import njit, prange, types
from numba.extending import intrinsic

__all__ = ["dice_all_pairs", "dice_pairs", "pack_clks", "popcounts"]

WORD_BYTES = 8
# Scratch memory for one block of rows in dice_all_pairs (row candidates are written
# densely before being compacted), which bounds memory whatever the input size.
_BLOCK_SCRATCH_BYTES = 64 * 1024 * 1024
# Below this many comparisons one thread is faster than waking the others.
_PARALLEL_MIN_COMPARISONS = 1 << 17


@intrinsic
def _popcount64(typingctx, word):
    """Population count of one 64-bit word, compiled to the ``popcnt`` instruction."""
    if word != types.uint64:
        return None
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


# Popcounts and compaction are linear and cheap: they run on one thread, so each kernel
# call opens a single parallel region (waking threads costs milliseconds on a busy box).
@njit(fastmath=False, cache=True)
def _popcounts(packed):
    n, words = packed.shape
    out = np.empty(n, dtype=np.int32)
    for i in range(n):
        count = 0
        for w in range(words):
            count += _popcount64(packed[i, w])
        out[i] = count
    return out


@njit(fastmath=False, cache=True, inline="always")
def _and_count(a, i, b, j, words):
    count = 0
    for w in range(words):
        count += _popcount64(a[i, w] & b[j, w])
    return count


@njit(fastmath=False, cache=True, inline="always")
def _dice(intersection, count_a, count_b):
    total = count_a + count_b
    if total == 0:
        return 0.0
    # Same expression as anonlink's C++ kernel, so scores agree to the last bit.
    return 2.0 * intersection / total


@njit(parallel=True, fastmath=False, cache=True)
def _dice_pairs(a, pop_a, b, pop_b, rows_a, rows_b):
    n_pairs = rows_a.shape[0]
    words = a.shape[1]
    out = np.empty(n_pairs, dtype=np.float64)
    for k in prange(n_pairs):
        i = rows_a[k]
        j = rows_b[k]
        out[k] = _dice(_and_count(a, i, b, j, words), pop_a[i], pop_b[j])
    return out


@njit(fastmath=False, cache=True)
def _min_intersections(max_bits, threshold):
    """For every popcount sum ``s`` in ``0..2·max_bits``: the least intersection ``c`` with
    ``dice(c, s) >= threshold`` in the score's own floating-point arithmetic (``s + 1``
    when none reaches it).

    Comparing integers against this table is exactly the test ``score >= threshold``
    (the rounded score never decreases as ``c`` grows), without a division per pair.
    It also prunes by popcounts alone: Dice ≤ 2·min(pa, pb)/(pa + pb), so a pair with
    ``min(pa, pb) < need[pa + pb]`` cannot reach the threshold.
    """
    need = np.empty(2 * max_bits + 1, dtype=np.int64)
    for total in range(2 * max_bits + 1):
        low, high = 0, total + 1  # binary search for the first c in [0, total]
        while low < high:
            mid = (low + high) // 2
            if _dice(mid, total, 0) >= threshold:
                high = mid
            else:
                low = mid + 1
        need[total] = low
    return need


@njit(fastmath=False, cache=True, inline="always")
def _keep(cols, scores, r, found, j, intersection, count_a, count_b, least):
    """Record pair ``(row r, j)`` if it reaches the threshold; return the new count."""
    if intersection < least:
        return found
    cols[r, found] = j
    scores[r, found] = _dice(intersection, count_a, count_b)
    return found + 1


@njit(fastmath=False, cache=True, inline="always")
def _row_candidates(a, pop_a, b, pop_b, need, i, r, cols, scores, counts):
    """Candidates of row ``i`` of ``a``, written to row ``r`` of the block's scratch."""
    words = a.shape[1]
    count_a = pop_a[i]
    found = 0
    for j in range(b.shape[0]):
        count_b = pop_b[j]
        least = need[count_a + count_b]
        if min(count_a, count_b) < least:
            continue  # popcounts alone rule this pair out
        intersection = _and_count(a, i, b, j, words)
        found = _keep(cols, scores, r, found, j, intersection, count_a, count_b, least)
    counts[r] = found


@njit(fastmath=False, cache=True, inline="always")
def _four_rows_candidates(a, pop_a, b, pop_b, need, i, r, cols, scores, counts):
    """Candidates of rows ``i .. i + 3`` of ``a`` (scratch rows ``r .. r + 3``).

    Four rows share each load of a ``b`` row: about a quarter faster than one row at a
    time. Written out by hand because numba keeps scalars, not small arrays, in
    registers.
    """
    words = a.shape[1]
    p0, p1, p2, p3 = pop_a[i], pop_a[i + 1], pop_a[i + 2], pop_a[i + 3]
    f0 = f1 = f2 = f3 = 0
    for j in range(b.shape[0]):
        q = pop_b[j]
        l0, l1, l2, l3 = need[p0 + q], need[p1 + q], need[p2 + q], need[p3 + q]
        if min(p0, q) < l0 and min(p1, q) < l1 and min(p2, q) < l2 and min(p3, q) < l3:
            continue  # popcounts alone rule out all four pairs
        c0 = c1 = c2 = c3 = 0
        for w in range(words):
            word = b[j, w]
            c0 += _popcount64(a[i, w] & word)
            c1 += _popcount64(a[i + 1, w] & word)
            c2 += _popcount64(a[i + 2, w] & word)
            c3 += _popcount64(a[i + 3, w] & word)
        f0 = _keep(cols, scores, r, f0, j, c0, p0, q, l0)
        f1 = _keep(cols, scores, r + 1, f1, j, c1, p1, q, l1)
        f2 = _keep(cols, scores, r + 2, f2, j, c2, p2, q, l2)
        f3 = _keep(cols, scores, r + 3, f3, j, c3, p3, q, l3)
    counts[r], counts[r + 1], counts[r + 2], counts[r + 3] = f0, f1, f2, f3


@njit(parallel=True, fastmath=False, cache=True)
def _all_pairs_block(a, pop_a, b, pop_b, need, start, cols, scores, counts):
    """Candidates of rows ``start .. start + len(counts)`` of ``a`` against all of ``b``.

    Row ``r`` of the block writes its candidates, in increasing ``j``, to the front of
    ``cols[r]`` / ``scores[r]`` and their number to ``counts[r]``.
    """
    rows = counts.shape[0]
    for group in prange((rows + 3) // 4):
        r = 4 * group
        if r + 4 <= rows:
            _four_rows_candidates(a, pop_a, b, pop_b, need, start + r, r, cols, scores, counts)
        else:
            for rest in range(r, rows):
                _row_candidates(a, pop_a, b, pop_b, need, start + rest, rest, cols, scores, counts)


@njit(cache=True)
def _compact_block(cols, scores, counts, offsets, out_j, out_score):
    for r in range(counts.shape[0]):
        base = offsets[r]
        for k in range(counts[r]):
            out_j[base + k] = cols[r, k]
            out_score[base + k] = scores[r, k]


@contextlib.contextmanager
def _numba_threads(threads: int | None) -> Iterator[None]:
    """Run the enclosed numba calls on ``threads`` threads, restoring the count after."""
    if threads is None:
        yield
        return
    available = numba.config.NUMBA_NUM_THREADS
    if not 1 <= threads <= available:
        raise ValueError(f"threads must be between 1 and {available}, got {threads}")
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def _threads_for(comparisons: int, threads: int | None) -> int | None:
    """``threads``, or a single thread when there is too little work to share."""
    if threads is None and comparisons < _PARALLEL_MIN_COMPARISONS:
        return 1
    return threads


def pack_clks(clks: Sequence[bitarray] | np.ndarray) -> np.ndarray:
    """Pack CLKs into an ``(n, words)`` C-contiguous ``uint64`` array, zero-padded.

    ``clks`` is a sequence of equal-length ``bitarray`` (as clkhash returns them) or an
    ``(n, nbytes)`` ``uint8`` array. Filter bytes keep their memory order, as anonlink
    reads them, so scores equal anonlink's on the same bitarrays. A length that is not a
    multiple of 64 bits is padded with zero bits, which change no popcount.
    """
    if isinstance(clks, np.ndarray):
        if clks.dtype != np.uint8 or clks.ndim != 2:
            raise ValueError(f"expected an (n, nbytes) uint8 array, got {clks.dtype} {clks.shape}")
        raw = clks
    else:
        lengths = {len(clk) for clk in clks}
        if len(lengths) > 1:
            raise ValueError(f"CLKs of different lengths: {sorted(lengths)}")
        nbytes = (lengths.pop() + 7) // 8 if lengths else 0
        # bitarray zeroes its pad bits in tobytes(), so short filters add no stray bits.
        joined = b"".join(clk.tobytes() for clk in clks)
        raw = np.frombuffer(joined, dtype=np.uint8).reshape(len(clks), nbytes)
    n, nbytes = raw.shape
    words = -(-nbytes // WORD_BYTES)
    padded = np.zeros((n, words * WORD_BYTES), dtype=np.uint8)
    padded[:, :nbytes] = raw
    return padded.view(np.uint64)


def _check_packed(packed: np.ndarray, name: str) -> np.ndarray:
    if packed.dtype != np.uint64 or packed.ndim != 2:
        raise ValueError(f"{name} must be an (n, words) uint64 array from pack_clks()")
    return np.ascontiguousarray(packed)


def _check_same_width(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape[1] != b.shape[1] and a.shape[0] and b.shape[0]:
        raise ValueError(f"filters of different widths: {a.shape[1]} and {b.shape[1]} words")


def popcounts(packed: np.ndarray) -> np.ndarray:
    """Number of set bits of every packed filter, as ``int32``."""
    return _popcounts(_check_packed(packed, "packed"))


def dice_pairs(
    a: np.ndarray,
    b: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    *,
    threads: int | None = None,
) -> np.ndarray:
    """Dice coefficient of the candidate pairs ``(a[i[k]], b[j[k]])``, as ``float64``.

    ``a`` and ``b`` come from ``pack_clks``; ``i`` and ``j`` are equal-length index arrays.
    Pairs are scored in parallel on ``threads`` threads (default: numba's setting, or one
    thread for a small batch); the result is in the order of the pairs.
    """
    a = _check_packed(a, "a")
    b = _check_packed(b, "b")
    rows_a = np.ascontiguousarray(i, dtype=np.int64)
    rows_b = np.ascontiguousarray(j, dtype=np.int64)
    if rows_a.shape != rows_b.shape or rows_a.ndim != 1:
        raise ValueError("i and j must be 1-D arrays of the same length")
    if rows_a.size == 0:
        return np.empty(0, dtype=np.float64)
    _check_same_width(a, b)
    # numba does not check bounds: refuse bad indices here rather than read stray memory.
    for rows, packed, name in ((rows_a, a, "i"), (rows_b, b, "j")):
        if rows.min() < 0 or rows.max() >= packed.shape[0]:
            raise IndexError(f"{name} holds a row index outside 0..{packed.shape[0] - 1}")
    with _numba_threads(_threads_for(rows_a.size, threads)):
        return _dice_pairs(a, _popcounts(a), b, _popcounts(b), rows_a, rows_b)


def dice_all_pairs(
    a: np.ndarray,
    b: np.ndarray,
    threshold: float,
    *,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs ``(i, j, score)`` of rows of ``a`` and ``b`` with Dice ``>= threshold``.

    The same candidates and scores as anonlink's ``dice_coefficient_accelerated``, but
    sorted by ``i`` then ``j`` (anonlink sorts by descending score). Pairs whose popcounts
    alone rule them out (Dice ≤ 2·min(pa, pb)/(pa + pb)) are never compared. ``threads``
    sets the number of numba threads for this call (default: numba's current setting, or
    one thread below ``_PARALLEL_MIN_COMPARISONS`` comparisons). Returns ``int64`` row
    indices into ``a`` and ``b`` and ``float64`` scores.
    """
    a = _check_packed(a, "a")
    b = _check_packed(b, "b")
    n, m = a.shape[0], b.shape[0]
    if n == 0 or m == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    _check_same_width(a, b)
    threshold = float(threshold)
    with _numba_threads(_threads_for(n * m, threads)):
        pop_a = _popcounts(a)
        pop_b = _popcounts(b)
        need = _min_intersections(a.shape[1] * 64, threshold)
        # Rows per block: a multiple of the 4-row tile, at least 4 tiles per thread.
        block = max(4 * numba.get_num_threads(), _BLOCK_SCRATCH_BYTES // (12 * m))
        block = min(-(-block // 4) * 4, n)
        # Scratch is reused across blocks; untouched pages cost no physical memory.
        cols = np.empty((block, m), dtype=np.int32)
        scores = np.empty((block, m), dtype=np.float64)
        parts_i, parts_j, parts_score = [], [], []
        for start in range(0, n, block):
            rows = min(block, n - start)
            counts = np.empty(rows, dtype=np.int64)
            _all_pairs_block(a, pop_a, b, pop_b, need, start, cols, scores, counts)
            offsets = np.zeros(rows, dtype=np.int64)
            np.cumsum(counts[:-1], out=offsets[1:])
            total = int(counts.sum())
            out_j = np.empty(total, dtype=np.int64)
            out_score = np.empty(total, dtype=np.float64)
            _compact_block(cols, scores, counts, offsets, out_j, out_score)
            parts_i.append(np.repeat(np.arange(start, start + rows, dtype=np.int64), counts))
            parts_j.append(out_j)
            parts_score.append(out_score)
    return np.concatenate(parts_i), np.concatenate(parts_j), np.concatenate(parts_score)
