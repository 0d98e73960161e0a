"""Fast, anonlink-compatible Dice similarity over packed Bloom filters (CLKs).

CLKs are packed into rows of 64-bit words; the Dice coefficient of two rows is
``2·popcount(a & b) / (popcount(a) + popcount(b))``. ``dice_all_pairs`` compares four
rows of one side with eight rows of the other per step, the eight held lane-major so
that each word costs one vector AND + popcount + add for eight pairs (one AVX-512
``VPOPCNTDQ`` instruction where the CPU has it), and a vectorised bound discards pairs
far below the threshold before any scalar work. Loops are numba-compiled and run on all
cores; the vector code is LLVM IR emitted through numba intrinsics, so the same source
compiles to AVX2 or plain ``popcnt`` on CPUs without AVX-512.

Conventions (identical to anonlink's ``dice_coefficient_accelerated``):

* the bytes of a filter are taken as they are in memory, so bit order inside a byte does
  not matter as long as both sides are packed the same way;
* two all-zero filters have Dice 0.0 (anonlink's convention; 0/0 is never computed);
* a pair is a candidate when its score is ``>= threshold``; with ``threshold <= 0`` every
  pair is a candidate, empty filters included.

Arrays in, arrays out: candidate pairs are parallel arrays ``(i, j, score)``, never a
list of objects. ``benchmarks.kernel_study.reference`` holds the slow, obviously correct version of
each function; the tests compare both, and both against anonlink.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numba
import numpy as np
from bitarray import bitarray
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.cpython.unsafe.numbers import trailing_zeros
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


# The all-pairs kernel compares TILE_ROWS rows of ``a`` with LANES rows of ``b`` at a
# time. ``b`` is stored lane-major (``_lanes``): word ``w`` of eight consecutive rows sits
# in one 512-bit vector, so one AND + popcount + add per word and ``a`` row advances eight
# pair counts at once, with no horizontal sum per pair (AVX-512 VPOPCNTDQ where the CPU
# has it; LLVM lowers the same IR to AVX2 or scalar code elsewhere).
LANES = 8
TILE_ROWS = 4
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_COUNTS = ir.VectorType(_I64, LANES)
_REALS = ir.VectorType(ir.DoubleType(), LANES)


def _splat(builder: ir.IRBuilder, value: ir.Value, vector: ir.VectorType) -> ir.Value:
    """``value`` in every lane of ``vector``."""
    one = builder.insert_element(ir.Constant(vector, ir.Undefined), value, ir.Constant(_I32, 0))
    zeros = ir.Constant(ir.VectorType(_I32, LANES), [0] * LANES)
    return builder.shuffle_vector(one, ir.Constant(vector, ir.Undefined), zeros)


@intrinsic
def _tile_mask(typingctx, a, pop_a, i, lanes, lane_pops, block, low, counts):
    """Intersections of rows ``i .. i + TILE_ROWS - 1`` of ``a`` with the LANES rows of
    lane block ``block``: written to ``counts[r * LANES + lane]``.

    Returns a bit mask (bit ``r * LANES + lane``) of the pairs with
    ``2 * count >= low * (pa + pb)`` in double precision: a cheap, vectorised pre-test
    that lets through every pair reaching the threshold when ``low`` is slightly below
    it; survivors are checked exactly by the caller.
    """
    expected = (
        types.Array(types.uint64, 2, "C"),
        types.Array(types.int64, 1, "C"),
        types.int64,
        types.Array(types.uint64, 3, "C"),
        types.Array(types.int64, 2, "C"),
        types.int64,
        types.float64,
        types.Array(types.int64, 1, "C"),
    )
    if (a, pop_a, i, lanes, lane_pops, block, low, counts) != expected:
        return None
    sig = types.int64(*expected)

    def codegen(context, builder, signature, args):
        arrays = {
            k: context.make_array(signature.args[k])(context, builder, value=args[k])
            for k in (0, 1, 3, 4, 7)
        }
        words = cgutils.unpack_tuple(builder, arrays[0].shape, 2)[1]
        first, block_v, low_v = args[2], args[5], args[6]
        ctpop = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(_COUNTS, [_COUNTS]), "llvm.ctpop.v8i64"
        )
        rows = [builder.add(first, ir.Constant(_I64, r)) for r in range(TILE_ROWS)]
        a_rows = [builder.gep(arrays[0].data, [builder.mul(row, words)]) for row in rows]
        lane_words = builder.gep(
            arrays[3].data, [builder.mul(builder.mul(block_v, words), ir.Constant(_I64, LANES))]
        )
        lane_words = builder.bitcast(lane_words, _COUNTS.as_pointer())
        zero = ir.Constant(_COUNTS, [0] * LANES)
        sums = [cgutils.alloca_once_value(builder, zero) for _ in range(TILE_ROWS)]
        with cgutils.for_range(builder, words) as loop:
            b_words = builder.load(builder.gep(lane_words, [loop.index]), align=8)
            for a_row, total in zip(a_rows, sums, strict=True):
                a_word = _splat(builder, builder.load(builder.gep(a_row, [loop.index])), _COUNTS)
                ones = builder.call(ctpop, [builder.and_(b_words, a_word)])
                builder.store(builder.add(builder.load(total), ones), total)

        b_pops = builder.gep(arrays[4].data, [builder.mul(block_v, ir.Constant(_I64, LANES))])
        b_pops = builder.load(builder.bitcast(b_pops, _COUNTS.as_pointer()), align=8)
        low_v = _splat(builder, low_v, _REALS)
        out = builder.bitcast(arrays[7].data, _COUNTS.as_pointer())
        mask = ir.Constant(_I64, 0)
        for r, (row, total) in enumerate(zip(rows, sums, strict=True)):
            count = builder.load(total)
            builder.store(count, builder.gep(out, [ir.Constant(_I64, r)]), align=8)
            a_pop = _splat(builder, builder.load(builder.gep(arrays[1].data, [row])), _COUNTS)
            bound = builder.fmul(builder.sitofp(builder.add(a_pop, b_pops), _REALS), low_v)
            hits = builder.fcmp_ordered(
                ">=", builder.sitofp(builder.add(count, count), _REALS), bound
            )
            hits = builder.zext(builder.bitcast(hits, ir.IntType(LANES)), _I64)
            mask = builder.or_(mask, builder.shl(hits, ir.Constant(_I64, LANES * r)))
        return mask

    return sig, codegen


@njit(fastmath=False, cache=True)
def _lanes(packed, pops):
    """``packed`` lane-major, ``(ceil(n / LANES), words, LANES)``, and its popcounts as
    ``(blocks, LANES)``; padding rows are empty."""
    n, words = packed.shape
    blocks = (n + LANES - 1) // LANES
    lanes = np.zeros((blocks, words, LANES), dtype=np.uint64)
    lane_pops = np.zeros((blocks, LANES), dtype=np.int64)
    for j in range(n):
        lane_pops[j // LANES, j % LANES] = pops[j]
        for w in range(words):
            lanes[j // LANES, w, j % LANES] = packed[j, w]
    return lanes, lane_pops


@njit(parallel=True, fastmath=False, cache=True)
def _all_pairs_block(a, pop_a, lanes, lane_pops, pop_b, need, low, start, cols, scores, counts):
    """Candidates of rows ``start .. start + len(counts)`` of ``a`` against all of ``b``.

    ``len(counts)`` is a multiple of TILE_ROWS (``a`` is padded). Row ``r`` of the block
    writes its candidates, in increasing ``j``, to the front of ``cols[r]`` /
    ``scores[r]`` and their number to ``counts[r]``.
    """
    m = pop_b.shape[0]
    for tile in prange(counts.shape[0] // TILE_ROWS):
        r0 = tile * TILE_ROWS
        first = start + r0
        tile_counts = np.empty(TILE_ROWS * LANES, dtype=np.int64)
        found = np.zeros(TILE_ROWS, dtype=np.int64)
        for block in range(lanes.shape[0]):
            mask = _tile_mask(a, pop_a, first, lanes, lane_pops, block, low, tile_counts)
            while mask != 0:
                k = trailing_zeros(mask)
                mask &= mask - 1
                r, j = k // LANES, block * LANES + k % LANES
                if j >= m:
                    continue  # a padding lane
                count_a, count_b = pop_a[first + r], pop_b[j]
                if tile_counts[k] >= need[count_a + count_b]:
                    cols[r0 + r, found[r]] = j
                    scores[r0 + r, found[r]] = _dice(tile_counts[k], count_a, count_b)
                    found[r] += 1
        counts[r0 : r0 + TILE_ROWS] = found


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


def _padded_rows(packed: np.ndarray, multiple: int) -> np.ndarray:
    """``packed`` with empty rows appended up to a multiple of ``multiple`` rows."""
    short = -packed.shape[0] % multiple
    if not short:
        return packed
    return np.concatenate([packed, np.zeros((short, packed.shape[1]), dtype=packed.dtype)])


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
    sorted by ``i`` then ``j`` (anonlink sorts by descending score). ``threads``
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
    # The vector pre-test is loose by far more than its rounding error; the exact test
    # against ``need`` decides.
    low = threshold - 1e-9 * abs(threshold)
    with _numba_threads(_threads_for(n * m, threads)):
        a = _padded_rows(a, TILE_ROWS)
        pop_a = _popcounts(a).astype(np.int64)
        pop_b = _popcounts(b).astype(np.int64)
        lanes, lane_pops = _lanes(b, pop_b)
        need = _min_intersections(a.shape[1] * 64, threshold)
        # Rows per block: whole tiles, at least 4 tiles per thread.
        block = max(4 * TILE_ROWS * numba.get_num_threads(), _BLOCK_SCRATCH_BYTES // (12 * m))
        block = min(-(-block // TILE_ROWS) * TILE_ROWS, a.shape[0])
        # Scratch is reused across blocks; untouched pages cost no physical memory.
        cols = np.empty((block, m), dtype=np.int32)
        scores = np.empty((block, m), dtype=np.float64)
        parts_i, parts_j, parts_score = [], [], []
        for start in range(0, n, block):
            counts = np.empty(min(block, a.shape[0] - start), dtype=np.int64)
            _all_pairs_block(
                a, pop_a, lanes, lane_pops, pop_b, need, low, start, cols, scores, counts
            )
            counts[n - start :] = 0  # padding rows of a are not candidates
            rows = len(counts)
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
