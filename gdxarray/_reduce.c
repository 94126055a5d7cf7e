/* Fused reductions of float32 signal: count, sum, sum of squares, min, max of
 * the finite values (NaN and +-inf skipped, as close-data's statistics), in
 * float64, per bin, in one pass over values that are still in cache.
 *
 * gdxarray loads this file through ctypes (gdxarray/_kernels.py); it is built
 * as an optional extension (setup.py).  Nothing here touches Python objects,
 * so ctypes.CDLL calls run with the GIL released.
 *
 * gd_decode_reduce() also decodes stored HDF5 chunks (zlib, byte shuffle)
 * itself, chunk by chunk into a scratch buffer that stays in L1/L2, through
 * function pointers the caller passes in (libdeflate's zlib decoder and
 * blosc2's unshuffle, both already loaded by Python packages): no link-time
 * dependency, and one call per batch of chunks instead of three per chunk.
 *
 * Accumulator layout: acc[5 * j + s] for bin j, stat s in
 * (count, sum, sum_squares, min, max); min/max start at +inf/-inf.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(__clang__)
#define TARGETS __attribute__((target_clones("avx2", "default")))
#else
#define TARGETS
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef double v4d __attribute__((vector_size(32)));

/* Stats of the finite values of x[0..n) added into acc[0..5). */
TARGETS static void reduce_run(const float *x, int64_t n, double *acc) {
    const v8f zero = {0, 0, 0, 0, 0, 0, 0, 0};
    const float inf = __builtin_inff();
    const v8f pinf = {inf, inf, inf, inf, inf, inf, inf, inf};
    const v8f ninf = -pinf;
    v4d s0 = {0, 0, 0, 0}, s1 = s0, q0 = s0, q1 = s0;
    v8f mn = pinf, mx = ninf;
    int64_t count = 0;
    int64_t i = 0;
    while (i + 8 <= n) {
        /* int32 lane counters: flush before they could overflow */
        int64_t stop = n - (n - i) % 8;
        if (stop - i > ((int64_t)1 << 30)) stop = i + ((int64_t)1 << 30);
        v8i cnt = {0, 0, 0, 0, 0, 0, 0, 0};
        for (; i < stop; i += 8) {
            v8f v;
            memcpy(&v, x + i, sizeof v);
            v8i m = (v - v) == zero; /* finite: x - x is 0, NaN for NaN and inf */
            v8f z = (v8f)((v8i)v & m);
            v4d lo = __builtin_convertvector(__builtin_shufflevector(z, z, 0, 1, 2, 3), v4d);
            v4d hi = __builtin_convertvector(__builtin_shufflevector(z, z, 4, 5, 6, 7), v4d);
            s0 += lo;
            s1 += hi;
            q0 += lo * lo;
            q1 += hi * hi;
            v8f a = (v8f)(((v8i)v & m) | ((v8i)pinf & ~m));
            v8f b = (v8f)(((v8i)v & m) | ((v8i)ninf & ~m));
            v8i lt = a < mn, gt = b > mx;
            mn = (v8f)(((v8i)a & lt) | ((v8i)mn & ~lt));
            mx = (v8f)(((v8i)b & gt) | ((v8i)mx & ~gt));
            cnt -= m;
        }
        for (int k = 0; k < 8; k++) count += cnt[k];
    }
    double sum = ((s0[0] + s1[0]) + (s0[1] + s1[1])) + ((s0[2] + s1[2]) + (s0[3] + s1[3]));
    double sq = ((q0[0] + q1[0]) + (q0[1] + q1[1])) + ((q0[2] + q1[2]) + (q0[3] + q1[3]));
    float lo = inf, hi = -inf;
    for (int k = 0; k < 8; k++) {
        if (mn[k] < lo) lo = mn[k];
        if (mx[k] > hi) hi = mx[k];
    }
    for (; i < n; i++) {
        float v = x[i];
        if (v - v == 0.0f) {
            double d = v;
            count++;
            sum += d;
            sq += d * d;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
    }
    acc[0] += (double)count;
    acc[1] += sum;
    acc[2] += sq;
    if (lo < acc[3]) acc[3] = lo;
    if (hi > acc[4]) acc[4] = hi;
}

/* First bin j with edges[j + 1] > pos (edges sorted, nbins + 1 of them). */
static int64_t first_bin(const int64_t *edges, int64_t nbins, int64_t pos) {
    int64_t lo = 0, hi = nbins;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (edges[mid + 1] > pos) hi = mid; else lo = mid + 1;
    }
    return lo;
}

/* Values x[0..n) lie at positions pos0, pos0 + 1, ...; add each into its bin
 * [edges[j], edges[j + 1]).  Positions outside [edges[0], edges[nbins]) are ignored. */
void gd_reduce_bins(const float *x, int64_t n, int64_t pos0, const int64_t *edges,
                    int64_t nbins, double *acc) {
    int64_t end = pos0 + n;
    if (nbins <= 0 || n <= 0 || end <= edges[0] || pos0 >= edges[nbins]) return;
    for (int64_t j = first_bin(edges, nbins, pos0); j < nbins && edges[j] < end; j++) {
        int64_t lo = edges[j] > pos0 ? edges[j] : pos0;
        int64_t hi = edges[j + 1] < end ? edges[j + 1] : end;
        if (hi > lo) reduce_run(x + (lo - pos0), hi - lo, acc + 5 * j);
    }
}

typedef int (*inflate_fn)(void *, const void *, size_t, void *, size_t, size_t *);
typedef int32_t (*unshuffle_fn)(int32_t, int32_t, const void *, void *);

/* HDF5's byte shuffle undone for 4-byte items (where no SIMD routine was passed). */
static void unshuffle4(const uint8_t *src, uint8_t *dst, int64_t items) {
    for (int64_t i = 0; i < items; i++) {
        dst[4 * i] = src[i];
        dst[4 * i + 1] = src[items + i];
        dst[4 * i + 2] = src[2 * items + i];
        dst[4 * i + 3] = src[3 * items + i];
    }
}

/* Decode and reduce stored chunks of one track.
 *
 * parts[4 * i ..]: (byte offset in raw, stored size, first row, end row) of chunk i;
 * rows [first, end) of it are reduced, row r sitting at position pos[i] + r.
 * flags: 1 = deflated, 2 = byte-shuffled.  scratch: 2 * chunk_rows * 4 bytes.
 * Returns -1, or the index of the chunk that failed (its inflate code in *rc).
 */
int64_t gd_decode_reduce(inflate_fn inflate, void *decompressor, unshuffle_fn unshuffle,
                         const uint8_t *raw, const int64_t *parts, const int64_t *pos,
                         int64_t nchunks, int64_t chunk_rows, int flags, uint8_t *scratch,
                         const int64_t *edges, int64_t nbins, double *acc, int *rc) {
    size_t size = (size_t)chunk_rows * 4;
    uint8_t *one = scratch, *two = scratch + size;
    for (int64_t i = 0; i < nchunks; i++) {
        const int64_t *p = parts + 4 * i;
        const uint8_t *data = raw + p[0];
        if (flags & 1) {
            int code = inflate(decompressor, data, (size_t)p[1], one, size, NULL);
            if (code) {
                *rc = code;
                return i;
            }
            data = one;
        } else if ((size_t)p[1] != size) {
            *rc = 2;
            return i;
        }
        if (flags & 2) {
            if (unshuffle != NULL) unshuffle(4, (int32_t)size, data, two);
            else unshuffle4(data, two, chunk_rows);
            data = two;
        }
        const float *values = (const float *)data;
        gd_reduce_bins(values + p[2], p[3] - p[2], pos[i] + p[2], edges, nbins, acc);
    }
    return -1;
}
