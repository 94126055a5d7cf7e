/* Decimal fields to float32, the common forms only: [+-]digits[.digits][(e|E)[+-]digits]
 * with at most 15 significant digits and a decimal exponent within [-22, 22]
 * after the point is taken out.  Those are converted by Clinger's fast path
 * (an exact double mantissa times or over an exact power of ten: one
 * correctly rounded operation), then rounded to float32 -- the same values
 * the vectorised numpy path and Python's float() give.  Anything else
 * (nan, inf, longer mantissas, junk) gets ok = 0 and is left to the callers'
 * general path.
 *
 * Built into the optional extension of setup.py and called through ctypes
 * from gdxarray/parsers/_vec.py (gdxarray/_kernels.py loads it).
 */

#include <stdint.h>

static const double P10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

void gd_parse_floats(const uint8_t *buf, const int64_t *starts, const int64_t *ends,
                     int64_t n, float *out, uint8_t *ok)
{
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = buf + starts[i], *e = buf + ends[i];
        int neg = 0, any = 0, nd = 0, frac = 0, exp = 0;
        uint64_t m = 0;
        ok[i] = 0;
        if (p < e && (*p == '+' || *p == '-')) {
            neg = *p == '-';
            p++;
        }
        for (; p < e && (unsigned)(*p - '0') < 10; p++) {
            any = 1;
            if (m == 0 && *p == '0')
                continue;                 /* leading zeros are not significant */
            if (++nd <= 15)
                m = m * 10 + (uint64_t)(*p - '0');
        }
        if (p < e && *p == '.') {
            for (p++; p < e && (unsigned)(*p - '0') < 10; p++) {
                any = 1;
                frac++;
                if (m == 0 && *p == '0')
                    continue;
                if (++nd <= 15)
                    m = m * 10 + (uint64_t)(*p - '0');
            }
        }
        if (!any || nd > 15)
            continue;
        if (p < e && (*p | 32) == 'e') {
            int eneg = 0, edigits = 0;
            p++;
            if (p < e && (*p == '+' || *p == '-')) {
                eneg = *p == '-';
                p++;
            }
            for (; p < e && (unsigned)(*p - '0') < 10; p++) {
                edigits++;
                if (exp < 10000)
                    exp = exp * 10 + (*p - '0');
            }
            if (!edigits)
                continue;
            if (eneg)
                exp = -exp;
        }
        if (p != e)
            continue;
        double v = (double)m;
        if (m != 0) {
            int k = exp - frac;
            if (k > 22 || k < -22)
                continue;
            v = k >= 0 ? v * P10[k] : v / P10[-k];
        }
        out[i] = (float)(neg ? -v : v);   /* |v| < 1e37: never overflows */
        ok[i] = 1;
    }
}
