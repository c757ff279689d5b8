/* The detail extract's fast path: GB18030 -> UTF-8, each line numbered, every row checked.
 *
 * One pass over whole lines of a chunk of the extract (header excluded). For each line it
 * writes "<line number>," and the line in UTF-8, and checks that the line is in the plain
 * form the landing contract allows and the warehouse loads as it is: 15 fields (only names
 * quoted), the file's period, codes of the right number of ASCII digits, non-negative plain
 * numbers (amounts present, with at most two decimals), no control character, CRLF line ends.
 *
 * It never decides a refusal. At a line outside that form (a quoted code, a sign, a blank
 * line, a byte the strict decoder refuses, an LF line end...) it stops with PLAIN_NO: the
 * caller then takes the Python path, whose transcoding and checked read name the problem,
 * or load what is merely unusual (a quoted number). So a mistake here could only cost speed
 * by saying no too often; the tests hold it to saying yes only where the Python path loads.
 *
 * Built by `make setup` into a shared library that plain_extract.py loads with ctypes
 * (which lets go of the GIL during the call, so DuckDB and this run side by side).
 */
#include <stdint.h>
#include <string.h>

#define PLAIN_YES 0
#define PLAIN_NO (-1)
#define FIELDS 15
#define MAX_DIGITS 18 /* DECIMAL(20, 2) keeps 18 before the point; quantities are held to it too */

typedef struct {
    int64_t consumed; /* input bytes of the whole lines handled */
    int64_t written;  /* output bytes */
    int64_t lines;    /* lines handled */
} plain_result;

static int all_digits(const uint8_t *s, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* "[0-9]{1,18}(\.[0-9]{1,max_decimals})?" (max_decimals < 0: up to 18 decimals). */
static int plain_number(const uint8_t *s, int64_t n, int max_decimals) {
    const uint8_t *point = memchr(s, '.', (size_t)n);
    int64_t whole = point ? point - s : n;
    if (whole < 1 || whole > MAX_DIGITS || !all_digits(s, whole)) return 0;
    if (!point) return 1;
    int64_t decimals = n - whole - 1;
    if (decimals < 1 || decimals > (max_decimals < 0 ? MAX_DIGITS : max_decimals)) return 0;
    return all_digits(point + 1, decimals);
}

/* The checks on one line's fields, by the extract's column order: 数据年月, 商品编码,
 * 商品名称, 贸易伙伴编码, 贸易伙伴名称, 贸易方式编码, 贸易方式名称, 注册地编码, 注册地名称,
 * 第一数量, 第一计量单位, 第二数量, 第二计量单位, 人民币, 美元. Names may be quoted, the rest not. */
static int plain_fields(const uint8_t **start, const int64_t *length, const int *quoted, const uint8_t *period) {
    static const int typed[] = {0, 1, 3, 5, 7, 9, 11, 13, 14};
    for (unsigned k = 0; k < sizeof typed / sizeof typed[0]; k++)
        if (quoted[typed[k]]) return 0;
    return length[0] == 6 && memcmp(start[0], period, 6) == 0
        && length[1] == 8 && all_digits(start[1], 8)
        && length[3] == 3 && all_digits(start[3], 3)
        && length[5] == 2 && all_digits(start[5], 2)
        && length[7] == 2 && all_digits(start[7], 2)
        && (length[9] == 0 || plain_number(start[9], length[9], -1))
        && (length[11] == 0 || plain_number(start[11], length[11], -1))
        && plain_number(start[13], length[13], 2)
        && plain_number(start[14], length[14], 2);
}

/* The tables give each GB18030 sequence in UTF-8: its bytes in the low three bytes (the
 * first lowest), their count in the high byte, 0 for a sequence the strict decoder refuses.
 * pairs is indexed by a character's first two bytes, (first << 8) | second; where those
 * begin a four-byte sequence it holds FOUR_BYTE_LEAD, and four_byte, indexed by the
 * sequence's linear index, gives the character. */
#define FOUR_BYTE_LEAD 0xFF000000u
typedef struct {
    const uint32_t *pairs, *four_byte;
    int64_t four_byte_count;
} gb18030_tables;

/* Decodes the GB18030 character at in[*i] (a byte >= 0x80) and writes it in UTF-8; 0 where
 * the strict decoder refuses it or the tables do not reach it. The line goes on at least to
 * its CR and LF, which no sequence contains: the bytes read past the character's start are
 * always the line's. */
static inline __attribute__((always_inline)) int put_character(const uint8_t *in, int64_t *i, uint8_t *out,
                                                               int64_t *written, const gb18030_tables *tables) {
    uint32_t utf8 = tables->pairs[(uint32_t)in[*i] << 8 | in[*i + 1]];
    if (utf8 == FOUR_BYTE_LEAD) {
        uint8_t b3 = in[*i + 2], b4 = in[*i + 3];
        if (b3 < 0x81 || b3 == 0xFF || b4 < 0x30 || b4 > 0x39) return 0;
        int64_t index = (in[*i] - 0x81) * 12600 + (in[*i + 1] - 0x30) * 1260 + (b3 - 0x81) * 10 + (b4 - 0x30);
        if (index >= tables->four_byte_count) return 0; /* beyond the tables: left to Python */
        utf8 = tables->four_byte[index];
        *i += 2;
    }
    *i += 2;
    out[*written] = (uint8_t)utf8; /* up to three bytes; the count says how many are kept */
    out[*written + 1] = (uint8_t)(utf8 >> 8);
    out[*written + 2] = (uint8_t)(utf8 >> 16);
    *written += utf8 >> 24;
    return utf8 != 0;
}

/* Transcodes one line, in[pos:stop] (without its CRLF), to out, splitting and checking its
 * fields on the way: a quote only around a whole field (RFC 4180, "" for a quote inside). */
static int plain_line(const uint8_t *in, int64_t pos, int64_t stop, uint8_t *out, int64_t *written,
                      const gb18030_tables *tables, const uint8_t *period) {
    const uint8_t *start[FIELDS];
    int64_t length[FIELDS];
    int quoted[FIELDS];
    int64_t i = pos, w = *written;
    for (int field = 0;; field++) {
        if (field == FIELDS) return 0;
        quoted[field] = i < stop && in[i] == '"';
        if (quoted[field]) { /* a name: copied with its quotes, as DuckDB reads it; not checked */
            start[field] = NULL, length[field] = 0;
            out[w++] = '"', i++;
            for (;;) {
                if (i >= stop) return 0; /* never closed */
                uint8_t b = in[i];
                if (b == '"') {
                    if (i + 1 < stop && in[i + 1] == '"') { out[w++] = '"', out[w++] = '"', i += 2; continue; }
                    break;
                }
                if (b < 0x20 || b == 0x7F) return 0; /* a control character: the Python path refuses it */
                if (b < 0x80) out[w++] = b, i++;
                else if (!put_character(in, &i, out, &w, tables)) return 0;
            }
            out[w++] = '"', i++;
            if (i < stop && in[i] != ',') return 0;
        } else {
            start[field] = out + w;
            for (; i < stop; ) {
                uint8_t b = in[i];
                if (b == ',') break;
                if (b == '"' || b < 0x20 || b == 0x7F) return 0;
                if (b < 0x80) out[w++] = b, i++;
                else if (!put_character(in, &i, out, &w, tables)) return 0;
            }
            length[field] = out + w - start[field];
        }
        if (i >= stop) {
            *written = w;
            return field == FIELDS - 1 && plain_fields(start, length, quoted, period);
        }
        out[w++] = ',', i++;
    }
}

/* A line number in decimal, counted up in place: cheaper than formatting each one. */
typedef struct {
    uint8_t digits[24];
    int length;
} line_number;

static void line_number_set(line_number *number, int64_t value) {
    uint8_t reversed[24];
    int count = 0;
    do { reversed[count++] = (uint8_t)('0' + value % 10); value /= 10; } while (value);
    for (int k = 0; k < count; k++) number->digits[k] = reversed[count - 1 - k];
    number->length = count;
}

static void line_number_next(line_number *number) {
    int k = number->length - 1;
    while (k >= 0 && number->digits[k] == '9') number->digits[k--] = '0';
    if (k >= 0) {
        number->digits[k]++;
    } else { /* 99 -> 100 */
        number->digits[number->length++] = '0';
        number->digits[0] = '1';
    }
}

/* Transcodes the whole lines of in[0:n], numbering them from first_line, into out, which
 * holds at least 3 * n + 64 bytes. An unfinished last line is left for the next call; a line
 * longer than max_line bytes is not plain (the Python path refuses it). */
int plain_extract_lines(const uint8_t *in, int64_t n, uint8_t *out, int64_t first_line,
                        const uint32_t *pairs, const uint32_t *four_byte, int64_t four_byte_count,
                        const uint8_t *period, int64_t max_line, plain_result *result) {
    const gb18030_tables tables = {pairs, four_byte, four_byte_count};
    int64_t pos = 0, written = 0, lines = 0;
    line_number number;
    line_number_set(&number, first_line);
    result->consumed = result->written = result->lines = 0;
    for (;;) {
        const uint8_t *newline = memchr(in + pos, '\n', (size_t)(n - pos));
        if (!newline) break;
        int64_t end = newline - in; /* the LF */
        /* 14 commas and CRLF at least; so the output, its number included, fits 3 * n + 64 */
        if (end - pos + 1 < FIELDS + 1 || end - pos > max_line || in[end - 1] != '\r') return PLAIN_NO;
        int64_t stop = end - 1; /* the CR */
        if (memchr(in + pos, '\r', (size_t)(stop - pos))) return PLAIN_NO; /* DuckDB ends a record there */
        memcpy(out + written, number.digits, (size_t)number.length);
        written += number.length;
        out[written++] = ',';
        if (!plain_line(in, pos, stop, out, &written, &tables, period)) return PLAIN_NO;
        out[written++] = '\r';
        out[written++] = '\n';
        pos = end + 1;
        lines++;
        line_number_next(&number);
    }
    result->consumed = pos;
    result->written = written;
    result->lines = lines;
    return PLAIN_YES;
}
